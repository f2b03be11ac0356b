/* The HTTP/1.1 server: the listener, its connections (conn.c) and the
 * router every complete request goes to. It knows no route and no
 * feature: the start-up wiring (server/app) registers the routes and is
 * told when connections close during a stop. */
#ifndef DP_HTTP_H
#define DP_HTTP_H

#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "deckpulse/config.h"
#include "deckpulse/error.h"
#include "http_request.h"
#include "router.h"

#define DP_READ_BUF 65536

typedef struct dp_conn dp_conn;

typedef struct dp_http {
    uv_loop_t *loop;
    const dp_config *cfg; /* timeouts, max_connections, allowed_origins, access_log */
    dp_http_limits limits;
    dp_router router;
    char retry_after[40]; /* "Retry-After: N\r\n", added to every 503 */

    uv_tcp_t listener;
    int have_listener;
    char url[300];  /* where it listens: "http://127.0.0.1:8080" */
    char bound[96]; /* the address bound, as `listen` takes it: "0.0.0.0:8080" */

    char *rbuf;     /* shared read buffer: every read is parsed before the next */
    dp_conn *conns; /* doubly linked list of open connections */
    uint64_t nconns;
    int stopping; /* answers close their connection; new ones are refused */
    /* a connection closed while stopping; the listener closed (both get ud) */
    void (*on_conn_closed)(void *ud);
    void (*on_listener_closed)(void *ud);
    void *ud;

    uint64_t connections_total;
    uint64_t connections_refused;
    uint64_t timeouts;
    uint64_t queued;       /* bytes of copied answers being written to clients */
    uint64_t queue_full;   /* answers refused with 503 because of max_write_queue_mb */
    uint64_t write_stalls; /* connections dropped: their client read nothing for 5 s */
} dp_http;

/* Limits and buffers from cfg; routes are added to h->router after. */
void dp_http_init(dp_http *h, uv_loop_t *loop, const dp_config *cfg);
/* Listens on cfg->listen ("address:port", "[v6]:port"); fills h->url.
 * 0 or a negative errno with err. */
int dp_http_listen(dp_http *h, dp_err *err);
/* The address check of dp_http_listen alone, for --check. */
int dp_http_check_listen(const char *spec, dp_err *err);
/* Stops accepting (on_listener_closed(ud) once the listener is closed),
 * closes idle connections, marks the others to close after their answer. */
void dp_http_stop(dp_http *h, void (*on_listener_closed)(void *ud));
/* Closes every connection now (shutdown_timeout_ms passed). */
void dp_http_close_all(dp_http *h);
void dp_http_free(dp_http *h);
/* Requests, connections and timeouts in Prometheus text: 0 or -E2BIG. */
int dp_http_render_metrics(const dp_http *h, dp_buf *out);

#endif
