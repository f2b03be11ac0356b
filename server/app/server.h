/* deckpulse-server: every part wired together. The HTTP server and its
 * routes (server/http), who may do what (server/auth), ingest, reports and
 * operations (server/ingest, server/reports, server/ops), the Redis
 * connection they share and, when no Redis is configured, the private
 * redis-server and the collector this server supervises. main.c builds one
 * dp_server from the configuration and runs the loop; tests can do the
 * same in-process. */
#ifndef DP_SERVER_H
#define DP_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "alerts.h"
#include "auth.h"
#include "child.h"
#include "deckpulse/config.h"
#include "http.h"
#include "ingest.h"
#include "ops.h"
#include "redis.h"
#include "reports.h"

typedef struct dp_server {
    uv_loop_t *loop;
    const dp_config *cfg;
    dp_http http; /* the listener, its connections and the route table */
    dp_auth auth;
    dp_ingest_ctx ingest;
    dp_reports_ctx reports;
    dp_ops_ctx ops;
    dp_alerts alerts;

    dp_redis redis; /* ingest's, and the writes of the catalog and erasure */
    int have_redis;
    int redis_durable;                /* appendonly yes + appendfsync always: 1, 0, -1 unknown */
    int durable_pending, durable_acc; /* the primaries' answers awaited, and so far */
    dp_child redis_child;
    int have_redis_child;
    dp_child collector_child; /* start_collector */
    int have_collector;
    int collector_stopped;
    dp_child notifier_child; /* start_notifier */
    dp_child *workers;       /* workers 1..n-1 (worker 0 is this process) */
    int nworkers;
    int have_notifier;
    int notifier_stopped;

    int stopping;
    uv_timer_t shutdown_timer;
    uv_signal_t sigterm, sigint;
    int open_handles;
    void (*on_stopped)(void *ud);
    void *stopped_ud;
} dp_server;

/* Everything in place before the loop runs: data_dir, secrets, keys, the
 * private redis-server if redis is empty, the Redis connection, the
 * listener, the signal handlers. 0 or a negative errno with err; a failed
 * start has already undone itself (nothing to stop or free). */
int dp_server_start(dp_server *s, uv_loop_t *loop, const dp_config *cfg, dp_err *err);
/* The program's command line, for the workers it starts (workers > 1). */
void dp_server_set_argv(int argc, char **argv);
/* Graceful stop: no new connections, requests in flight finish (within
 * shutdown_timeout_ms), Redis and the private redis-server are closed; then
 * on_stopped runs and the loop has nothing left. */
void dp_server_stop(dp_server *s, void (*on_stopped)(void *), void *ud);
void dp_server_free(dp_server *s);
/* The checks of dp_server_start that need no I/O: listen, api_keys, redis. */
int dp_server_check_config(const dp_config *cfg, dp_err *err);
/* Every part's counters for /metrics (metrics.c): the ops' render callback. */
void dp__server_render_metrics(void *s, dp_buf *out);

#endif
