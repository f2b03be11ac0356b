#include "http_request.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"

/* Framing allowance for chunked bodies: chunk-size lines, extensions and
 * trailers may use this much beyond the payload, plus a little per chunk. */
#define CHUNK_FRAMING_BASE      16384
#define CHUNK_FRAMING_PER_CHUNK 32

static int fail(dp_http_req *r, int status, const char *fmt, const char *detail)
{
    r->status = status;
    dp_err_set(&r->err, -EINVAL, fmt, detail);
    return -1;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    dp_http_req *r = p->data;
    if (r->url_len + len > r->lim.max_url_bytes)
        return fail(r, 414, "request target longer than %s bytes", "max_url_bytes");
    if (r->url_len == 0) r->url_off = (uint32_t)r->head.len;
    if (dp_buf_append(&r->head, at, len) != 0)
        return fail(r, 431, "request head larger than %s", "max_header_bytes");
    r->url_len += (uint32_t)len;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    dp_http_req *r = p->data;
    if (r->head_done) return 0; /* chunked trailers: counted as framing, ignored */
    if (r->nhdrs == 0 || r->last_cb_value) {
        if (r->nhdrs >= r->lim.max_headers)
            return fail(r, 431, "more header lines than %s", "max_headers");
        dp_http_hdr *h = &r->hdrs[r->nhdrs++];
        memset(h, 0, sizeof(*h));
        h->name_off = (uint32_t)r->head.len;
        r->last_cb_value = 0;
    }
    if (dp_buf_append(&r->head, at, len) != 0)
        return fail(r, 431, "request head larger than %s", "max_header_bytes");
    r->hdrs[r->nhdrs - 1].name_len += (uint32_t)len;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    dp_http_req *r = p->data;
    if (r->head_done) return 0;
    dp_http_hdr *h = &r->hdrs[r->nhdrs - 1];
    if (!r->last_cb_value) {
        h->value_off = (uint32_t)r->head.len;
        r->last_cb_value = 1;
    }
    if (dp_buf_append(&r->head, at, len) != 0)
        return fail(r, 431, "request head larger than %s", "max_header_bytes");
    h->value_len += (uint32_t)len;
    return 0;
}

static int header_is(const dp_http_req *r, const dp_http_hdr *h, const char *name)
{
    size_t n = strlen(name);
    return h->name_len == n && strncasecmp(r->head.data + h->name_off, name, n) == 0;
}

static int value_is(const dp_http_req *r, const dp_http_hdr *h, const char *v)
{
    size_t n = strlen(v);
    const char *s = r->head.data + h->value_off;
    size_t len = h->value_len;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return len == n && strncasecmp(s, v, n) == 0;
}

static int on_headers_complete(http_parser *p)
{
    dp_http_req *r = p->data;
    int ncl = 0, nte = 0, nce = 0, nhost = 0;
    if (p->http_major != 1 || p->http_minor > 1)
        return fail(r, 505, "HTTP version not supported: %s", "only HTTP/1.0 and HTTP/1.1 are");
    for (size_t i = 0; i < r->nhdrs; i++) {
        const dp_http_hdr *h = &r->hdrs[i];
        /* RFC 9112 5.1: no whitespace between a field name and its colon
         * ("Content-Length : 4" would be framing only some parsers see) */
        if (memchr(r->head.data + h->name_off, ' ', h->name_len) ||
            memchr(r->head.data + h->name_off, '\t', h->name_len))
            return fail(r, 400, "%s", "whitespace between a header name and its colon");
        if (header_is(r, h, "host"))
            nhost++;
        else if (header_is(r, h, "content-length"))
            ncl++;
        else if (header_is(r, h, "transfer-encoding")) {
            nte++;
            if (!value_is(r, h, "chunked"))
                return fail(r, 400, "Transfer-Encoding: only %s is supported", "chunked");
        } else if (header_is(r, h, "content-encoding")) {
            nce++;
            if (value_is(r, h, "gzip"))
                r->gzip = 1;
            else if (!value_is(r, h, "identity"))
                return fail(r, 415, "Content-Encoding: only %s is supported", "gzip");
        } else if (header_is(r, h, "expect")) {
            if (!value_is(r, h, "100-continue"))
                return fail(r, 417, "Expect: only %s is supported", "100-continue");
            r->expect_continue = 1;
        }
    }
    if (nhost > 1) return fail(r, 400, "%s", "more than one Host header");
    if (ncl > 1) return fail(r, 400, "%s", "conflicting Content-Length headers");
    if (ncl && nte) return fail(r, 400, "%s", "Content-Length together with Transfer-Encoding");
    if (nte > 1) return fail(r, 400, "%s", "repeated Transfer-Encoding headers");
    if (nce > 1) return fail(r, 400, "%s", "repeated Content-Encoding headers");
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->lim.max_body_bytes)
        return fail(r, 413, "body larger than %s", "max_body_bytes");

    r->head_done = 1;
    r->method = (int)p->method;
    r->keep_alive = http_should_keep_alive(p);
    r->body.max = r->gzip ? r->lim.max_decompressed_bytes : r->lim.max_body_bytes;
    if (r->gzip && dp_inflate_init(&r->inflate) != 0)
        return fail(r, 500, "%s", "cannot start inflater");

    if (r->on_head) {
        int status = r->on_head(r, r->ud);
        if (status != 0) {
            r->status = status;
            return -1;
        }
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    dp_http_req *r = p->data;
    r->raw_body += len;
    if (r->raw_body > r->lim.max_body_bytes)
        return fail(r, 413, "body larger than %s", "max_body_bytes");
    if (r->gzip) {
        int rc = dp_inflate_feed(&r->inflate, at, len, &r->body, &r->err);
        if (rc == -E2BIG) {
            r->status = 413;
            return -1;
        }
        if (rc != 0) {
            r->status = 400;
            return -1;
        }
        return 0;
    }
    if (dp_buf_append(&r->body, at, len) != 0)
        return fail(r, 413, "body larger than %s", "max_body_bytes");
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    dp_http_req *r = p->data;
    r->nchunks++;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    dp_http_req *r = p->data;
    if (r->gzip && dp_inflate_finish(&r->inflate, &r->err) != 0) {
        r->status = 400;
        return -1;
    }
    r->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_chunk_header = on_chunk_header,
    .on_message_complete = on_message_complete,
};

void dp_http_req_init(dp_http_req *r, const dp_http_limits *lim, dp_http_head_cb on_head, void *ud)
{
    memset(r, 0, sizeof(*r));
    r->lim = *lim;
    r->on_head = on_head;
    r->ud = ud;
    dp_buf_init(&r->head, lim->max_url_bytes + lim->max_header_bytes);
    dp_buf_init(&r->body, lim->max_body_bytes);
    r->hdrs = dp_calloc(lim->max_headers, sizeof(dp_http_hdr));
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

/* Buffers are kept between requests of a connection (no allocation per
 * request) unless a large request grew them: idle keep-alive connections
 * must not pin megabytes each. */
#define KEEP_BUF_MAX 65536

void dp_http_req_reset(dp_http_req *r)
{
    dp_inflate_end(&r->inflate);
    if (r->head.cap > KEEP_BUF_MAX) dp_buf_free(&r->head);
    if (r->body.cap > KEEP_BUF_MAX) dp_buf_free(&r->body);
    dp_buf_reset(&r->head);
    dp_buf_reset(&r->body);
    r->phase = 0;
    r->prev = 0;
    r->line_len = r->head_bytes = r->nlines = 0;
    r->url_off = r->url_len = 0;
    r->nhdrs = 0;
    r->last_cb_value = 0;
    r->gzip = 0;
    r->raw_body = r->body_wire = r->nchunks = 0;
    r->method = 0;
    r->keep_alive = 0;
    r->expect_continue = 0;
    r->head_done = 0;
    r->complete = 0;
    r->status = 0;
    r->err.msg[0] = '\0';
    http_parser_init(&r->parser, HTTP_REQUEST);
    r->parser.data = r;
}

void dp_http_req_free(dp_http_req *r)
{
    dp_inflate_end(&r->inflate);
    dp_buf_free(&r->head);
    dp_buf_free(&r->body);
    dp_free(r->hdrs);
    r->hdrs = NULL;
}

/* Scans head bytes for what http-parser tolerates but a server must not:
 * bare LF, bare CR and obs-fold (request smuggling vectors), and enforces the
 * request-line and header ceilings before anything is buffered. Sets
 * *head_end to the offset just past the head's final LF, or len. */
static int scan_head(dp_http_req *r, const char *data, size_t len, size_t *head_end)
{
    const size_t max_line = r->lim.max_url_bytes + 32; /* method, spaces, version */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (r->line_len > 0 && r->prev != '\r' && c != '\r' && c != '\n') {
            /* inside a line: the rest of it up to CR or LF, counted at once
             * (memchr: a head is 10-20 such runs, byte loops were 3 % of
             * the server's instructions) */
            const char *cr = memchr(data + i + 1, '\r', len - i - 1);
            size_t stop = cr ? (size_t)(cr - data) : len;
            const char *lf = memchr(data + i + 1, '\n', stop - i - 1);
            size_t k = lf ? (size_t)(lf - data) : stop;
            r->line_len += k - i;
            if (r->phase == 0 && r->line_len > max_line)
                return fail(r, 414, "request target longer than %s bytes", "max_url_bytes");
            if (r->phase == 1 && (r->head_bytes += k - i) > r->lim.max_header_bytes)
                return fail(r, 431, "request head larger than %s", "max_header_bytes");
            r->prev = (unsigned char)data[k - 1];
            i = k - 1;
            continue;
        }
        if (r->prev == '\r' && c != '\n') return fail(r, 400, "%s", "bare CR in request head");
        if (c == '\n') {
            if (r->prev != '\r') return fail(r, 400, "%s", "bare LF in request head");
            if (r->phase == 0) {
                if (r->line_len > 0) r->phase = 1; /* empty lines before the request line: skip */
            } else if (r->line_len == 0) {
                r->phase = 2;
                r->prev = 0;
                *head_end = i + 1;
                return 0;
            } else if (++r->nlines > r->lim.max_headers) {
                return fail(r, 431, "more header lines than %s", "max_headers");
            }
            r->line_len = 0;
        } else if (c != '\r') {
            if (r->phase == 1 && r->line_len == 0 && (c == ' ' || c == '\t'))
                return fail(r, 400, "%s", "obsolete line folding in request head");
            r->line_len++;
            if (r->phase == 0 && r->line_len > max_line)
                return fail(r, 414, "request target longer than %s bytes", "max_url_bytes");
        }
        if (r->phase == 1 && ++r->head_bytes > r->lim.max_header_bytes)
            return fail(r, 431, "request head larger than %s", "max_header_bytes");
        r->prev = c;
    }
    *head_end = len;
    return 0;
}

int dp_http_req_feed(dp_http_req *r, const char *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (r->complete) return DP_HTTP_DONE;
    if (len == 0) return DP_HTTP_MORE;
    size_t head_end = 0;
    int in_head = r->phase < 2;
    if (in_head && scan_head(r, data, len, &head_end) != 0) return DP_HTTP_FAIL;

    size_t n = http_parser_execute(&r->parser, &settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
    if (e != HPE_OK && e != HPE_PAUSED) {
        if (r->status == 0) {
            r->status = 400;
            dp_err_set(&r->err, -EINVAL, "malformed request: %s", http_errno_description(e));
        }
        return DP_HTTP_FAIL;
    }
    *consumed = n;

    /* Chunk framing (sizes, extensions, trailers) is bounded too. */
    size_t body_part = in_head ? (n > head_end ? n - head_end : 0) : n;
    r->body_wire += body_part;
    if (r->body_wire > r->raw_body &&
        r->body_wire - r->raw_body > CHUNK_FRAMING_BASE + CHUNK_FRAMING_PER_CHUNK * r->nchunks) {
        r->status = 400;
        dp_err_set(&r->err, -EINVAL, "chunked framing too large (extensions or trailers)");
        return DP_HTTP_FAIL;
    }
    return r->complete ? DP_HTTP_DONE : DP_HTTP_MORE;
}

const char *dp_http_req_url(const dp_http_req *r, size_t *len)
{
    *len = r->url_len;
    return r->head.data ? r->head.data + r->url_off : "";
}

const char *dp_http_req_header(const dp_http_req *r, const char *name, size_t *len)
{
    for (size_t i = 0; i < r->nhdrs; i++) {
        const dp_http_hdr *h = &r->hdrs[i];
        if (header_is(r, h, name)) {
            const char *v = r->head.data + h->value_off;
            size_t n = h->value_len;
            while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
                n--;
            *len = n;
            return v;
        }
    }
    *len = 0;
    return NULL;
}

void dp_http_req_path(const dp_http_req *r, const char **path, size_t *path_len, const char **query,
                      size_t *query_len)
{
    size_t n;
    const char *u = dp_http_req_url(r, &n);
    const char *q = memchr(u, '?', n);
    *path = u;
    *path_len = q ? (size_t)(q - u) : n;
    *query = q ? q + 1 : u + n;
    *query_len = q ? n - (size_t)(q - u) - 1 : 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int dp_http_query_get(const char *query, size_t qlen, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name), i = 0;
    while (i < qlen) {
        size_t end = i;
        while (end < qlen && query[end] != '&')
            end++;
        const char *eq = memchr(query + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (query + i)) : end - i;
        if (klen == nlen && memcmp(query + i, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : query + end;
            size_t vlen = eq ? (size_t)(query + end - v) : 0, o = 0;
            for (size_t k = 0; k < vlen; k++) {
                int c = (unsigned char)v[k];
                if (c == '%') {
                    if (k + 2 >= vlen) return -EINVAL;
                    int h = hexval(v[k + 1]), l = hexval(v[k + 2]);
                    if (h < 0 || l < 0) return -EINVAL;
                    c = h * 16 + l;
                    k += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (c == 0) return -EINVAL;
                if (o + 1 >= outlen) return -E2BIG;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 0;
        }
        i = end + 1;
    }
    return -ENOENT;
}
