#include "reply.h"

#include "alloc.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* snprintf into extra, which must hold it all: a header cut short would
 * break the answer (the dashboards' policy once did, at 256 bytes) */
#define EXTRA(...) dp_assert(snprintf(extra, sizeof(extra), __VA_ARGS__) < (int)sizeof(extra))

#define GZIP_MIN 512                                    /* smaller bodies go as they are */
#define PRIVATE  "Cache-Control: private, no-cache\r\n" /* reports: revalidate */

void dp_etag(const char *body, size_t len, char out[24])
{
    unsigned char h[8];
    crypto_generichash(h, sizeof(h), (const unsigned char *)body, len, NULL, 0);
    out[0] = '"';
    sodium_bin2hex(out + 1, 17, h, sizeof(h));
    out[17] = '"';
    out[18] = '\0';
}

int dp_gzip(const char *in, size_t len, dp_buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -EIO;
    size_t bound = deflateBound(&zs, (uLong)len);
    if (dp_buf_reserve(out, bound) != 0) {
        deflateEnd(&zs);
        return -E2BIG;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) out->len += bound - zs.avail_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? 0 : -EIO;
}

static int accepts_gzip(const dp_http_req *r)
{
    size_t n;
    const char *v = dp_http_req_header(r, "accept-encoding", &n);
    for (size_t i = 0; v && i + 4 <= n; i++)
        if (!strncasecmp(v + i, "gzip", 4)) {
            /* "gzip;q=0" refuses it */
            const char *q = v + i + 4;
            size_t rest = n - i - 4;
            while (rest && *q == ' ')
                q++, rest--;
            if (rest >= 4 && !strncmp(q, ";q=0", 4) && (rest == 4 || q[4] != '.')) return 0;
            return 1;
        }
    return 0;
}

/* body with its plain ETag; *gz/gzlen the gzip bytes if already made (else
 * made here when wanted, into keep if given so a cache can hold them). */
static void send_body(dp_req *req, const char *ctype, const char *body, size_t len,
                      const char *plain_etag, const char *gzbody, size_t gzlen, dp_buf *keep,
                      const char *cache)
{
    char etag[24], extra[1024]; /* the caller's header lines (the dashboards' policy) fit */
    memcpy(etag, plain_etag, 19);
    int gz = len >= GZIP_MIN && accepts_gzip(req->http);
    /* the gzip representation gets its own tag, as it is other bytes */
    if (gz) memcpy(etag + 17, "-gz\"", 5);
    size_t n;
    const char *inm = dp_http_req_header(req->http, "if-none-match", &n);
    if (inm != NULL && ((n == 1 && inm[0] == '*') || memmem(inm, n, etag, strlen(etag)) != NULL)) {
        EXTRA("ETag: %s\r\nVary: Accept-Encoding\r\n", etag);
        dp_req_respond(req, 304, NULL, extra, "", 0);
        return;
    }
    if (gz) {
        dp_buf z;
        dp_buf_init(&z, 0);
        if (gzbody == NULL && dp_gzip(body, len, &z) == 0) {
            gzbody = z.data;
            gzlen = z.len;
        }
        if (gzbody != NULL) {
            EXTRA("ETag: %s\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\n%s", etag, cache);
            dp_req_respond(req, 200, ctype, extra, gzbody, gzlen);
            if (keep && z.data) {
                *keep = z;
                return;
            }
            dp_buf_free(&z);
            return;
        }
        dp_buf_free(&z);
        memcpy(etag + 17, "\"", 2);
    }
    EXTRA("ETag: %s\r\nVary: Accept-Encoding\r\n%s", etag, cache);
    dp_req_respond(req, 200, ctype, extra, body, len);
}

void dp_reply(dp_req *req, int status, const char *ctype, const char *body, size_t len)
{
    char etag[24];
    if (status != 200) {
        dp_req_respond(req, status, ctype, NULL, body, len);
        return;
    }
    dp_etag(body, len, etag);
    send_body(req, ctype, body, len, etag, NULL, 0, NULL, PRIVATE);
}

void dp_reply_cached(dp_req *req, dp_rcache *rc, dp_rcache_entry *e)
{
    dp_reply_cached_with(req, rc, e, PRIVATE);
}

void dp_reply_cached_with(dp_req *req, dp_rcache *rc, dp_rcache_entry *e, const char *cache)
{
    if (e->etag[0] == '\0') dp_etag(e->body, e->len, e->etag);
    dp_buf keep;
    dp_buf_init(&keep, 0);
    send_body(req, e->ctype, e->body, e->len, e->etag, e->gz, e->gzlen, e->gz ? NULL : &keep,
              cache);
    if (keep.data) {
        /* keep the gzip bytes with the entry: later clients skip deflate */
        e->gz = dp_buf_steal(&keep, &e->gzlen);
        e->bytes += e->gzlen;
        if (rc) rc->bytes += e->gzlen; /* NULL: an entry of no cache */
    }
}
