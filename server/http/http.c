#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "conn.h"
#include "log.h"

void dp_http_init(dp_http *h, uv_loop_t *loop, const dp_config *cfg)
{
    h->loop = loop;
    h->cfg = cfg;
    h->limits = (dp_http_limits){
        .max_header_bytes = (size_t)cfg->max_header_bytes,
        .max_headers = (size_t)cfg->max_headers,
        .max_url_bytes = (size_t)cfg->max_url_bytes,
        .max_body_bytes = (size_t)cfg->max_body_bytes,
        .max_decompressed_bytes = (size_t)cfg->max_decompressed_bytes,
    };
    snprintf(h->retry_after, sizeof(h->retry_after), "Retry-After: %lld\r\n",
             (long long)cfg->retry_after_s);
    dp_router_init(&h->router);
    h->rbuf = dp_malloc(DP_READ_BUF);
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, dp_err *err)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL) return dp_err_set(err, -EINVAL, "listen: expected address:port");
    size_t hn = (size_t)(colon - spec);
    if (hn >= sizeof(host)) return dp_err_set(err, -EINVAL, "listen: address too long");
    memcpy(host, spec, hn);
    host[hn] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || port < 0 || port > 65535)
        return dp_err_set(err, -EINVAL, "listen: bad port in '%s'", spec);
    if (host[0] == '[' && hn >= 2 && host[hn - 1] == ']') {
        host[hn - 1] = '\0';
        if (uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss) != 0)
            return dp_err_set(err, -EINVAL, "listen: bad IPv6 address in '%s'", spec);
    } else if (uv_ip4_addr(hn ? host : "0.0.0.0", (int)port, (struct sockaddr_in *)ss) != 0) {
        return dp_err_set(err, -EINVAL, "listen: bad IPv4 address in '%s'", spec);
    }
    return 0;
}

int dp_http_check_listen(const char *spec, dp_err *err)
{
    struct sockaddr_storage ss;
    return parse_listen(spec, &ss, err);
}

static void on_connection(uv_stream_t *l, int status)
{
    if (status < 0) {
        dp_warn("accept: %s", uv_strerror(status));
        return;
    }
    dp_conn_accept(l->data);
}

int dp_http_listen(dp_http *h, dp_err *err)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    int rc = parse_listen(h->cfg->listen, &ss, err);
    if (rc != 0) return rc;
    uv_tcp_init_ex(h->loop, &h->listener, ss.ss_family);
    h->listener.data = h;
    h->have_listener = 1;
    if (h->cfg->workers > 1) {
        /* the workers bind the same port: the kernel spreads connections */
        uv_os_fd_t fd;
        int one = 1;
        if (uv_fileno((uv_handle_t *)&h->listener, &fd) != 0 ||
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
            return dp_err_set(err, -errno, "listen: SO_REUSEPORT: %s", strerror(errno));
    }
    if ((rc = uv_tcp_bind(&h->listener, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&h->listener, 511, on_connection)) != 0)
        return dp_err_set(err, rc, "listen: cannot listen on %s: %s", h->cfg->listen,
                          uv_strerror(rc));
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &blen);
    char ip[64];
    int port;
    if (bound.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        snprintf(h->url, sizeof(h->url), "http://[%s]:%d", ip, port);
        snprintf(h->bound, sizeof(h->bound), "[%s]:%d", ip, port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof(ip));
        port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        snprintf(h->bound, sizeof(h->bound), "%s:%d", ip, port);
        snprintf(h->url, sizeof(h->url), "http://%s:%d", strcmp(ip, "0.0.0.0") ? ip : "127.0.0.1",
                 port);
    }
    return 0;
}

static void on_listener_closed_cb(uv_handle_t *l)
{
    dp_http *h = l->data;
    if (h->on_listener_closed) h->on_listener_closed(h->ud);
}

void dp_http_stop(dp_http *h, void (*on_listener_closed)(void *ud))
{
    h->stopping = 1;
    h->on_listener_closed = on_listener_closed;
    if (h->have_listener) uv_close((uv_handle_t *)&h->listener, on_listener_closed_cb);
    h->have_listener = 0;
    dp_conn_shutdown_all(h);
}

void dp_http_close_all(dp_http *h)
{
    while (h->conns)
        dp_conn_close(h->conns);
}

void dp_http_free(dp_http *h)
{
    dp_free(h->rbuf);
    h->rbuf = NULL;
}

int dp_http_render_metrics(const dp_http *h, dp_buf *o)
{
    int rc = dp_router_render(&h->router, o);
    rc |=
        dp_buf_printf(o,
                      "# HELP dp_open_connections Client connections open now.\n"
                      "# TYPE dp_open_connections gauge\n"
                      "dp_open_connections %llu\n"
                      "# HELP dp_connections_total Client connections accepted.\n"
                      "# TYPE dp_connections_total counter\n"
                      "dp_connections_total %llu\n"
                      "# HELP dp_connections_refused_total Connections refused at "
                      "max_connections.\n"
                      "# TYPE dp_connections_refused_total counter\n"
                      "dp_connections_refused_total %llu\n"
                      "# HELP dp_http_timeouts_total Requests closed by a header, body or idle "
                      "timeout.\n"
                      "# TYPE dp_http_timeouts_total counter\n"
                      "dp_http_timeouts_total %llu\n",
                      (unsigned long long)h->nconns, (unsigned long long)h->connections_total,
                      (unsigned long long)h->connections_refused, (unsigned long long)h->timeouts);
    rc |= dp_buf_printf(o,
                        "# HELP dp_http_write_queue_bytes Copies of answers being written to "
                        "clients now (shared cached answers are not copied).\n"
                        "# TYPE dp_http_write_queue_bytes gauge\n"
                        "dp_http_write_queue_bytes %llu\n"
                        "# HELP dp_http_write_queue_full_total Answers refused with 503: their "
                        "copy would pass max_write_queue_mb.\n"
                        "# TYPE dp_http_write_queue_full_total counter\n"
                        "dp_http_write_queue_full_total %llu\n"
                        "# HELP dp_http_write_stalls_total Connections dropped: their client read "
                        "nothing of an answer for 5 s.\n"
                        "# TYPE dp_http_write_stalls_total counter\n"
                        "dp_http_write_stalls_total %llu\n",
                        (unsigned long long)h->queued, (unsigned long long)h->queue_full,
                        (unsigned long long)h->write_stalls);
    return rc ? -E2BIG : 0;
}
