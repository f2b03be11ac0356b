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

/* body with its plain ETag, by reference when shared (body.h); gzshared
 * the gzip bytes if already made (else made here when wanted, and handed
 * to *keep if given, so a cache can hold them). */
static void send_body(dp_req *req, const char *ctype, const char *body, size_t len, dp_body *shared,
                      const char *plain_etag, dp_body *gzshared, dp_body **keep, const char *cache)
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
        dp_body *z = dp_body_ref(gzshared);
        if (z == NULL) {
            dp_buf zb;
            dp_buf_init(&zb, 0);
            if (dp_gzip(body, len, &zb) == 0) z = dp_body_new(zb.data, zb.len);
            dp_buf_free(&zb);
        }
        if (z != NULL) {
            EXTRA("ETag: %s\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\n%s", etag, cache);
            dp_req_respond_shared(req, 200, ctype, extra, z);
            if (keep && gzshared == NULL)
                *keep = z; /* our reference goes to the keeper */
            else
                dp_body_unref(z);
            return;
        }
        memcpy(etag + 17, "\"", 2);
    }
    EXTRA("ETag: %s\r\nVary: Accept-Encoding\r\n%s", etag, cache);
    if (shared)
        dp_req_respond_shared(req, 200, ctype, extra, shared);
    else
        dp_req_respond(req, 200, ctype, extra, body, len);
}

void dp_reply(dp_req *req, int status, const char *ctype, const char *body, size_t len)
{
    dp_reply_with(req, status, ctype, body, len, NULL);
}

void dp_reply_with(dp_req *req, int status, const char *ctype, const char *body, size_t len,
                   const char *headers)
{
    char etag[24], cache[256];
    if (status != 200) {
        dp_req_respond(req, status, ctype, headers, body, len);
        return;
    }
    dp_etag(body, len, etag);
    dp_assert(snprintf(cache, sizeof(cache), "%s%s", PRIVATE, headers ? headers : "") <
              (int)sizeof(cache));
    send_body(req, ctype, body, len, NULL, etag, NULL, NULL, cache);
}

void dp_reply_cached(dp_req *req, dp_rcache *rc, dp_rcache_entry *e)
{
    dp_reply_cached_with(req, rc, e, PRIVATE);
}

void dp_reply_cached_with(dp_req *req, dp_rcache *rc, dp_rcache_entry *e, const char *cache)
{
    if (e->etag[0] == '\0') dp_etag(e->body->data, e->body->len, e->etag);
    char both[512];
    if (e->extra[0]) {
        dp_assert(snprintf(both, sizeof(both), "%s%s", cache, e->extra) < (int)sizeof(both));
        cache = both;
    }
    dp_body *keep = NULL;
    send_body(req, e->ctype, e->body->data, e->body->len, e->body, e->etag, e->gz,
              e->gz ? NULL : &keep, cache);
    if (keep) {
        /* keep the gzip bytes with the entry: later clients skip deflate */
        e->gz = keep;
        e->bytes += keep->len;
        if (rc) rc->bytes += keep->len; /* NULL: an entry of no cache */
    }
}
