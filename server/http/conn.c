#include "conn.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "alloc.h"
#include "cors.h"
#include "log.h"
#include "router.h"

#define DRAIN_MAX_BYTES (1024 * 1024)
#define DRAIN_MS        1000

static void start_reading(dp_conn *c);
static void process(dp_conn *c, const char *data, size_t len);
static void conn_respond(dp_conn *c, int status, const char *ctype, const char *extra,
                         const char *body, size_t len);
static void conn_error(dp_conn *c, int status, const char *msg);
static void conn_respond_with(dp_conn *c, int status, const char *ctype, const char *extra,
                              const char *body, size_t len, dp_body *shared);
static void conn_stream_begin(dp_conn *c, const char *ctype, const char *extra);
static void conn_stream_write(dp_conn *c, const char *data, size_t len);

/* A handler's answers (req.h) go to its connection. */
static void io_respond(dp_req *r, int status, const char *ctype, const char *extra,
                       const char *body, size_t len)
{
    conn_respond(r->io_ud, status, ctype, extra, body, len);
}

static void io_respond_shared(dp_req *r, int status, const char *ctype, const char *extra,
                              dp_body *body)
{
    conn_respond_with(r->io_ud, status, ctype, extra, body->data, body->len, body);
}

static void io_stream_begin(dp_req *r, const char *ctype, const char *extra)
{
    conn_stream_begin(r->io_ud, ctype, extra);
}

static void io_stream_write(dp_req *r, const char *data, size_t len)
{
    conn_stream_write(r->io_ud, data, len);
}

static const dp_req_io conn_io = {io_respond, io_stream_begin, io_stream_write, io_respond_shared};

/* The handler's view of the next request, empty until it is complete. */
static void req_reset(dp_conn *c)
{
    c->r = (dp_req){.http = &c->req,
                    .peer = c->peer,
                    .route = "other",
                    .route_ix = DP_ROUTE_NAME_OTHER,
                    .key_ix = -1,
                    .io = &conn_io,
                    .io_ud = c,
                    .slot = &c->slot,
                    .retry_after = c->http->retry_after};
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    dp_conn *c = h->data;
    if (--c->handles_open > 0) return;
    dp_http_req_free(&c->req);
    c->http->queued -= c->queued;
    dp_buf_free(&c->out);
    dp_body_unref(c->shared);
    dp_free(c->pend);
    if (c->slot.data && c->slot.free_fn) c->slot.free_fn(c->slot.data);
    dp_free(c);
}

void dp_conn_close(dp_conn *c)
{
    if (c->state == DP_CONN_CLOSING) return;
    c->state = DP_CONN_CLOSING;
    dp_http *h = c->http;
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    h->nconns--;
    if (c->r.on_abort) {
        /* the handler's request goes away unanswered, or its stream ends */
        void (*fn)(void *) = c->r.on_abort;
        c->r.on_abort = NULL;
        fn(c->r.abort_data);
    }
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    if (h->stopping && h->on_conn_closed) h->on_conn_closed(h->ud);
}

static void access_log(dp_conn *c)
{
    if (!c->http->cfg->access_log) return;
    const char *path = "-", *q;
    size_t plen = 1, qlen;
    if (c->req.url_len) dp_http_req_path(&c->req, &path, &plen, &q, &qlen);
    char clean[201];
    size_t n = 0;
    for (size_t i = 0; i < plen && n < sizeof(clean) - 1; i++) {
        unsigned char ch = (unsigned char)path[i];
        clean[n++] = (ch > 0x20 && ch < 0x7f && ch != '"') ? (char)ch : '?';
    }
    clean[n] = '\0';
    double ms = (double)(uv_hrtime() - c->started_ns) / 1e6;
    char worker[32] = "";
    if (c->http->cfg->workers > 1) /* which of the processes on the port answered */
        snprintf(worker, sizeof(worker), " worker=%lld", (long long)c->http->cfg->worker);
    fprintf(stderr,
            "access method=%s path=\"%s\" route=%s status=%d in=%zu out=%zu events=%zu "
            "ms=%.3f%s\n",
            c->req.head_done ? http_method_str((enum http_method)c->req.method) : "-", clean,
            c->r.route, c->status, c->req.raw_body, c->out.len, c->r.events, ms, worker);
}

static void on_timer(uv_timer_t *t);

/* Timeouts are lazy (a request moves them three times and clears them
 * twice): arm() and disarm() only set c->deadline; the one libuv timer is
 * started only when it is not running or would fire after the new
 * deadline, and when it fires before the deadline (it moved on) it is
 * started again for what is left. */
static void arm(dp_conn *c, int64_t ms)
{
    c->deadline = uv_now(c->http->loop) + (uint64_t)ms;
    if (!uv_is_active((uv_handle_t *)&c->timer) || c->timer_due > c->deadline) {
        c->timer_due = c->deadline;
        uv_timer_start(&c->timer, on_timer, (uint64_t)ms, 0);
    }
}

static void disarm(dp_conn *c)
{
    c->deadline = 0;
}

static void stop_reading(dp_conn *c)
{
    if (c->reading) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void on_drain_shutdown(uv_shutdown_t *req, int status)
{
    (void)req;
    (void)status;
}

static void begin_drain(dp_conn *c)
{
    /* Send FIN, then read and discard briefly, so the client sees the answer
     * rather than a reset caused by unread request bytes. */
    c->state = DP_CONN_DRAINING;
    c->drained = 0;
    if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_drain_shutdown) != 0) {
        dp_conn_close(c);
        return;
    }
    arm(c, DRAIN_MS);
    start_reading(c);
}

static void next_request(dp_conn *c)
{
    dp_http_req_reset(&c->req);
    c->state = DP_CONN_IDLE;
    c->status = 0;
    req_reset(c);
    if (c->pend != NULL) {
        /* Pipelined bytes already here: parse them before reading more. */
        char *p = c->pend;
        size_t len = c->plen - c->ppos, off = c->ppos;
        c->pend = NULL;
        c->ppos = c->plen = 0;
        process(c, p + off, len);
        dp_free(p);
        return;
    }
    arm(c, c->http->cfg->keepalive_timeout_ms);
    start_reading(c);
}

static void write_done(dp_conn *c, int status)
{
    if (c->state == DP_CONN_CLOSING) return;
    if (status < 0) {
        dp_conn_close(c);
        return;
    }
    disarm(c);
    /* what the answer held goes back: the shared body's reference, the
     * copy's count, and a large copy's buffer (an idle keep-alive
     * connection kept a 4 MB answer's buffer until it closed) */
    dp_body_unref(c->shared);
    c->shared = NULL;
    c->http->queued -= c->queued;
    c->queued = 0;
    if (c->out.cap > DP_CONN_OUT_KEEP) dp_buf_free(&c->out);
    if (c->peer_eof && c->pend == NULL)
        dp_conn_close(c); /* nothing more can come */
    else if (c->close_after)
        begin_drain(c);
    else
        next_request(c);
}

static void on_write(uv_write_t *w, int status)
{
    write_done(w->data, status);
}

/* "Date: ..." for the current second, formatted once per second. */
static const char *date_header(void)
{
    static char buf[64];
    static time_t cached = -1;
    time_t now = time(NULL);
    if (now != cached) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, sizeof(buf), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        cached = now;
    }
    return buf;
}

/* Access-Control-Allow-Origin for an allowed Origin. */
static void cors_headers(dp_conn *c, dp_buf *o)
{
    size_t olen;
    const char *origin = dp_http_req_header(&c->req, "origin", &olen);
    if (origin && dp_origin_allowed(c->http->cfg->allowed_origins, origin, olen)) {
        dp_buf_puts(o, "Access-Control-Allow-Origin: ");
        dp_buf_append(o, origin, olen);
        dp_buf_puts(o, "\r\nVary: Origin\r\n");
    }
}

static void conn_respond(dp_conn *c, int status, const char *ctype, const char *extra,
                         const char *body, size_t len)
{
    conn_respond_with(c, status, ctype, extra, body, len, NULL);
}

/* The answer: its head (and a body without shared, copied) in c->out, a
 * shared body by reference. */
static void conn_respond_with(dp_conn *c, int status, const char *ctype, const char *extra,
                              const char *body, size_t len, dp_body *shared)
{
    if (c->state == DP_CONN_CLOSING || c->state == DP_CONN_WRITING ||
        c->state == DP_CONN_DRAINING || c->state == DP_CONN_STREAMING)
        return;
    dp_http *h = c->http;
    int with_body = c->req.method != HTTP_HEAD || !c->req.head_done;
    if (with_body && shared == NULL && len > DP_CONN_OUT_KEEP &&
        h->queued + len > (uint64_t)h->cfg->max_write_queue_mb << 20) {
        /* copies of answers waiting for clients that read slowly (or not)
         * are bounded in all: this one would pass it */
        h->queue_full++;
        static const char busy[] = "{\"error\":\"server busy: too many answers waiting for "
                                   "slow clients (max_write_queue_mb); retry shortly\"}";
        c->close_after = 1;
        conn_respond_with(c, 503, "application/json", h->retry_after, busy, sizeof(busy) - 1, NULL);
        return;
    }
    if (!c->req.head_done || !c->req.keep_alive || h->stopping) c->close_after = 1;
    c->status = status;

    dp_buf *o = &c->out;
    dp_buf_reset(o);
    /* no printf on the answer path: it was ~2 % of ingest */
    char num[24];
    size_t nlen;
    const char *digits = dp_i64_to_str(status, num, &nlen);
    dp_buf_puts(o, "HTTP/1.1 ");
    dp_buf_append(o, digits, nlen);
    dp_buf_puts(o, " ");
    dp_buf_puts(o, reason(status));
    dp_buf_puts(o, "\r\n");
    dp_buf_puts(o, date_header());
    if (ctype) {
        dp_buf_puts(o, "Content-Type: ");
        dp_buf_puts(o, ctype);
        dp_buf_puts(o, "\r\n");
    }
    digits = dp_i64_to_str((int64_t)len, num, &nlen);
    dp_buf_puts(o, "Content-Length: ");
    dp_buf_append(o, digits, nlen);
    dp_buf_puts(o, "\r\n");
    if (c->close_after)
        dp_buf_puts(o, "Connection: close\r\n");
    else if (c->req.parser.http_minor == 0)
        dp_buf_puts(o, "Connection: keep-alive\r\n");
    if (c->req.head_done && c->r.cors) cors_headers(c, o);
    if (extra) dp_buf_puts(o, extra);
    dp_buf_puts(o, "\r\n");
    if (with_body && shared == NULL) dp_buf_append(o, body, len);

    dp_router_count(&h->router, c->r.route_ix, status);
    access_log(c);

    c->state = DP_CONN_WRITING;
    uv_buf_t b[2] = {uv_buf_init(o->data, (unsigned)o->len), uv_buf_init(NULL, 0)};
    unsigned nb = 1;
    if (with_body && shared != NULL && len > 0) {
        b[nb++] = uv_buf_init(shared->data, (unsigned)len);
        c->shared = dp_body_ref(shared);
    }
    if (c->pend == NULL) {
        /* Usually the whole answer fits in the socket: written now, and
         * the connection goes straight on (no write request, no change to
         * what epoll watches). With pipelined bytes waiting, the answer goes
         * through uv_write so the next request is parsed from the loop, not
         * from inside this call. */
        int n = uv_try_write((uv_stream_t *)&c->tcp, b, nb);
        if (n == (int)(b[0].len + b[1].len)) {
            write_done(c, 0);
            return;
        }
        if (n == UV_EAGAIN) {
            n = 0;
        } else if (n < 0) {
            dp_conn_close(c);
            return;
        }
        /* what is left of the two */
        size_t done = (size_t)n;
        if (done >= b[0].len) {
            done -= b[0].len;
            b[0] = b[1];
            nb = 1;
        }
        b[0].base += done;
        b[0].len -= (unsigned)done;
    }
    if (shared == NULL) {
        c->queued = o->len;
        h->queued += c->queued;
    }
    /* a client that reads nothing for DP_WRITE_STALL_MS is dropped */
    c->wq_left = (size_t)-1;
    arm(c, DP_WRITE_STALL_MS);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, b, nb, on_write) != 0) dp_conn_close(c);
}

typedef struct stream_write {
    uv_write_t req;
    dp_conn *conn;
    size_t len;
    char data[];
} stream_write;

static void on_stream_write(uv_write_t *w, int status)
{
    stream_write *sw = (stream_write *)w;
    dp_conn *c = sw->conn;
    dp_free(sw);
    if (status < 0 && c->state == DP_CONN_STREAMING) dp_conn_close(c);
}

static void conn_stream_write(dp_conn *c, const char *data, size_t len)
{
    if (c->state != DP_CONN_STREAMING) return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + len > DP_STREAM_QUEUE_MAX) {
        dp_conn_close(c); /* it does not read */
        return;
    }
    stream_write *sw = dp_malloc(sizeof(*sw) + len);
    sw->conn = c;
    sw->len = len;
    memcpy(sw->data, data, len);
    uv_buf_t b = uv_buf_init(sw->data, (unsigned)len);
    if (uv_write(&sw->req, (uv_stream_t *)&c->tcp, &b, 1, on_stream_write) != 0) {
        dp_free(sw);
        dp_conn_close(c);
    }
}

static void conn_stream_begin(dp_conn *c, const char *ctype, const char *extra)
{
    c->close_after = 1;
    c->status = 200;
    dp_buf *o = &c->out;
    dp_buf_reset(o);
    dp_buf_puts(o, "HTTP/1.1 200 OK\r\n");
    dp_buf_puts(o, date_header());
    dp_buf_printf(o, "Content-Type: %s\r\nConnection: close\r\n", ctype);
    if (c->r.cors) cors_headers(c, o);
    if (extra) dp_buf_puts(o, extra);
    dp_buf_puts(o, "\r\n");
    dp_router_count(&c->http->router, c->r.route_ix, 200);
    access_log(c);
    disarm(c);
    c->state = DP_CONN_STREAMING;
    c->drained = 0;
    conn_stream_write(c, o->data, o->len);
    start_reading(c); /* to see the client go */
}

/* The transport's own answers (bad requests, timeouts): no handler has
 * the request. */
static void conn_error(dp_conn *c, int status, const char *msg)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "{\"error\":\"");
    dp_buf_json_str(&b, msg, strlen(msg));
    dp_buf_puts(&b, "\"}");
    c->r.answered = 1;
    conn_respond(c, status, "application/json", NULL, b.data, b.len);
    dp_buf_free(&b);
}

static void on_timer(uv_timer_t *t)
{
    dp_conn *c = t->data;
    uint64_t now = uv_now(c->http->loop);
    if (c->deadline == 0) return; /* cleared since it was started */
    if (now < c->deadline) {      /* moved on since it was started */
        c->timer_due = c->deadline;
        uv_timer_start(t, on_timer, c->deadline - now, 0);
        return;
    }
    c->deadline = 0;
    switch (c->state) {
    case DP_CONN_HEAD:
        c->http->timeouts++;
        c->close_after = 1;
        conn_error(c, 408, "request head not received within header_timeout_ms");
        break;
    case DP_CONN_BODY:
        c->http->timeouts++;
        c->close_after = 1;
        conn_error(c, 408, "request body not received within body_timeout_ms");
        break;
    case DP_CONN_BUSY:
        break;
    case DP_CONN_WRITING: {
        /* an answer being written: dropped once the client has read
         * nothing of it for DP_WRITE_STALL_MS */
        size_t left = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
        if (left < c->wq_left) {
            c->wq_left = left;
            arm(c, DP_WRITE_STALL_MS);
            break;
        }
        c->http->timeouts++;
        c->http->write_stalls++;
        dp_conn_close(c);
        break;
    }
    default: /* idle keep-alive, the end of a drain */
        dp_conn_close(c);
        break;
    }
}

static int on_head(dp_http_req *r, void *ud)
{
    dp_conn *c = ud;
    c->state = DP_CONN_BODY;
    arm(c, c->http->cfg->body_timeout_ms);
    const char *path, *q;
    size_t n, qn;
    dp_http_req_path(r, &path, &n, &q, &qn);
    /* 100 Continue only for a body a route will read: not on a GET, nor for
     * a path or method that gets 404 or 405 (the client sends its body or
     * not; the answer comes after it either way) */
    if (r->expect_continue && (r->method == HTTP_POST || r->method == HTTP_PUT) &&
        !((r->parser.flags & F_CONTENTLENGTH) && r->parser.content_length == 0) &&
        dp_router_takes(&c->http->router, r->method, path, n)) {
        static char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t b = uv_buf_init(cont, sizeof(cont) - 1);
        c->creq.data = c;
        uv_write(&c->creq, (uv_stream_t *)&c->tcp, &b, 1, NULL);
    }
    return 0;
}

/* Feeds bytes to the parser until one request is complete. Bytes past it
 * (pipelining) are kept in c->pend for after the answer. */
static void process(dp_conn *c, const char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        if (c->state == DP_CONN_IDLE) {
            c->state = DP_CONN_HEAD;
            if (c->http->cfg->access_log) c->started_ns = uv_hrtime(); /* for its "ms" */
            arm(c, c->http->cfg->header_timeout_ms);
        }
        size_t used = 0;
        int rc = dp_http_req_feed(&c->req, data + pos, len - pos, &used);
        pos += used;
        if (rc == DP_HTTP_FAIL) {
            c->close_after = 1;
            conn_error(c, c->req.status, c->req.err.msg);
            return;
        }
        if (rc == DP_HTTP_DONE) {
            disarm(c);
            if (pos < len) {
                stop_reading(c);
                c->pend = dp_malloc(len - pos);
                memcpy(c->pend, data + pos, len - pos);
                c->ppos = 0;
                c->plen = len - pos;
            }
            c->state = DP_CONN_BUSY;
            dp_req *r = &c->r;
            r->method = c->req.method;
            dp_http_req_path(&c->req, &r->path, &r->path_len, &r->query, &r->query_len);
            dp_router_dispatch(&c->http->router, r);
            return;
        }
    }
    if (c->state == DP_CONN_IDLE) {
        arm(c, c->http->cfg->keepalive_timeout_ms);
    }
    start_reading(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    dp_conn *c = h->data;
    (void)suggested;
    buf->base = c->http->rbuf;
    buf->len = DP_READ_BUF;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    dp_conn *c = st->data;
    if (nread == 0) return;
    int answering = c->state == DP_CONN_BUSY || c->state == DP_CONN_WRITING;
    if (nread < 0) {
        if (nread == UV_EOF && answering) {
            /* half-closed after its request: it still gets the answer */
            stop_reading(c);
            c->peer_eof = 1;
            return;
        }
        /* EOF or error: a half-received request is abandoned; nothing was
         * acknowledged for it. */
        dp_conn_close(c);
        return;
    }
    if (c->state == DP_CONN_DRAINING || c->state == DP_CONN_STREAMING) {
        c->drained += (size_t)nread;
        if (c->drained > DRAIN_MAX_BYTES) dp_conn_close(c);
        return;
    }
    if (answering) {
        /* the next request, early: kept for after the answer, reading paused */
        stop_reading(c);
        size_t have = c->pend ? c->plen - c->ppos : 0;
        char *p = dp_malloc(have + (size_t)nread);
        if (have) memcpy(p, c->pend + c->ppos, have);
        memcpy(p + have, buf->base, (size_t)nread);
        dp_free(c->pend);
        c->pend = p;
        c->ppos = 0;
        c->plen = have + (size_t)nread;
        return;
    }
    if (c->state != DP_CONN_IDLE && c->state != DP_CONN_HEAD && c->state != DP_CONN_BODY) return;
    process(c, buf->base, (size_t)nread);
}

static void start_reading(dp_conn *c)
{
    if (c->reading || c->state == DP_CONN_CLOSING) return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = 1;
}

void dp_conn_accept(dp_http *h)
{
    dp_conn *c = dp_calloc(1, sizeof(*c));
    c->http = h;
    uv_tcp_init(h->loop, &c->tcp);
    c->tcp.data = c;
    c->handles_open = 1;
    if (uv_accept((uv_stream_t *)&h->listener, (uv_stream_t *)&c->tcp) != 0) {
        c->state = DP_CONN_CLOSING;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        return;
    }
    if (h->nconns >= (uint64_t)h->cfg->max_connections || h->stopping) {
        static char busy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 43\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            "{\"error\":\"too many connections; try again\"}";
        uv_buf_t b = uv_buf_init(busy, sizeof(busy) - 1);
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        h->connections_refused++;
        c->state = DP_CONN_CLOSING;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        return;
    }
    uv_timer_init(h->loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
    uv_tcp_nodelay(&c->tcp, 1);

    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof(c->peer));
        else
            uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof(c->peer));
    }

    dp_http_req_init(&c->req, &h->limits, on_head, c);
    dp_buf_init(&c->out, 0);
    req_reset(c);
    c->next = h->conns;
    if (h->conns) h->conns->prev = c;
    h->conns = c;
    h->nconns++;
    h->connections_total++;
    c->state = DP_CONN_IDLE;
    arm(c, h->cfg->header_timeout_ms); /* a new connection must start its request promptly */
    start_reading(c);
}

void dp_conn_shutdown_all(dp_http *h)
{
    dp_conn *c = h->conns;
    while (c != NULL) {
        dp_conn *next = c->next;
        if ((c->state == DP_CONN_IDLE && c->pend == NULL) || c->state == DP_CONN_STREAMING)
            dp_conn_close(c);
        else
            c->close_after = 1;
        c = next;
    }
}
