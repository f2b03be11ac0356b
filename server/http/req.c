#include "req.h"

#include <string.h>

#include "buf.h"

const char *dp_req_header(const dp_req *r, const char *name, size_t *len)
{
    return dp_http_req_header(r->http, name, len);
}

const char *dp_req_body(const dp_req *r, size_t *len)
{
    *len = r->http->body.len;
    return r->http->body.data ? r->http->body.data : "";
}

void dp_req_respond(dp_req *r, int status, const char *ctype, const char *extra, const char *body,
                    size_t len)
{
    if (r->answered) return;
    r->answered = 1;
    r->on_abort = NULL;
    r->abort_data = NULL;
    r->io->respond(r, status, ctype, extra, body, len);
}

void dp_req_respond_shared(dp_req *r, int status, const char *ctype, const char *extra,
                           dp_body *body)
{
    if (r->io->respond_shared == NULL) {
        dp_req_respond(r, status, ctype, extra, body->data, body->len);
        return;
    }
    if (r->answered) return;
    r->answered = 1;
    r->on_abort = NULL;
    r->abort_data = NULL;
    r->io->respond_shared(r, status, ctype, extra, body);
}

void dp_req_error(dp_req *r, int status, const char *msg)
{
    dp_req_error_with(r, status, status == 503 ? r->retry_after : NULL, msg);
}

void dp_req_error_with(dp_req *r, int status, const char *extra, const char *msg)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "{\"error\":\"");
    dp_buf_json_str(&b, msg, strlen(msg));
    dp_buf_puts(&b, "\"}");
    dp_req_respond(r, status, "application/json", extra, b.data, b.len);
    dp_buf_free(&b);
}

int dp_req_stream_begin(dp_req *r, const char *ctype, const char *extra)
{
    if (r->answered) return -1;
    if (r->method == HTTP_HEAD) {
        dp_req_respond(r, 200, ctype, extra, "", 0);
        return -1;
    }
    r->answered = 1;
    r->io->stream_begin(r, ctype, extra);
    return 0;
}

void dp_req_stream_write(dp_req *r, const char *data, size_t len)
{
    r->io->stream_write(r, data, len);
}

void dp_req_on_abort(dp_req *r, void (*fn)(void *data), void *data)
{
    r->on_abort = fn;
    r->abort_data = data;
}

dp_req_slot *dp_req_slot_of(dp_req *r)
{
    return r->slot;
}
