#include "fake_req.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void fake_respond(dp_req *r, int status, const char *ctype, const char *extra,
                         const char *body, size_t len)
{
    dp_fake_req *f = r->io_ud;
    f->responses++;
    f->status = status;
    snprintf(f->ctype, sizeof(f->ctype), "%s", ctype ? ctype : "");
    dp_buf_reset(&f->headers);
    if (extra) dp_buf_puts(&f->headers, extra);
    dp_buf_reset(&f->body);
    dp_buf_append(&f->body, body, len);
}

static void fake_stream_begin(dp_req *r, const char *ctype, const char *extra)
{
    dp_fake_req *f = r->io_ud;
    f->responses++;
    f->status = 200;
    f->streaming = 1;
    snprintf(f->ctype, sizeof(f->ctype), "%s", ctype);
    if (extra) dp_buf_puts(&f->headers, extra);
}

static void fake_stream_write(dp_req *r, const char *data, size_t len)
{
    dp_fake_req *f = r->io_ud;
    if (f->streaming) dp_buf_append(&f->stream, data, len);
}

static const dp_req_io fake_io = {fake_respond, fake_stream_begin, fake_stream_write, NULL};

int dp_fake_req_open(dp_fake_req *f, const char *raw, const char *peer)
{
    memset(f, 0, sizeof(*f));
    f->lim = (dp_http_limits){.max_header_bytes = 16384,
                              .max_headers = 64,
                              .max_url_bytes = 4096,
                              .max_body_bytes = 1 << 20,
                              .max_decompressed_bytes = 4 << 20};
    dp_http_req_init(&f->http, &f->lim, NULL, NULL);
    dp_buf_init(&f->headers, 0);
    dp_buf_init(&f->body, 0);
    dp_buf_init(&f->stream, 0);
    size_t used = 0;
    if (dp_http_req_feed(&f->http, raw, strlen(raw), &used) != DP_HTTP_DONE) return -1;
    dp_req *r = &f->req;
    r->method = f->http.method;
    dp_http_req_path(&f->http, &r->path, &r->path_len, &r->query, &r->query_len);
    r->http = &f->http;
    r->peer = peer;
    r->route = "other";
    r->io = &fake_io;
    r->key_ix = -1;
    r->io_ud = f;
    r->slot = &f->slot;
    r->retry_after = "Retry-After: 7\r\n";
    return 0;
}

void dp_fake_req_close(dp_fake_req *f)
{
    if (f->req.on_abort) {
        void (*fn)(void *) = f->req.on_abort;
        f->req.on_abort = NULL;
        fn(f->req.abort_data);
    }
    if (f->slot.data && f->slot.free_fn) f->slot.free_fn(f->slot.data);
    dp_http_req_free(&f->http);
    dp_buf_free(&f->headers);
    dp_buf_free(&f->body);
    dp_buf_free(&f->stream);
}

int dp_fake_req_header(const dp_fake_req *f, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    const char *p = f->headers.data, *end = p + f->headers.len;
    while (p && p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (eol == NULL) break;
        if ((size_t)(eol - p) > nl + 1 && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(eol - v), v);
            return 0;
        }
        p = eol + 2;
    }
    return -1;
}
