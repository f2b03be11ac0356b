/* deckpulse-server: the listener, its connections, and the shared state the
 * routes use. main.c builds one dp_server from the configuration and runs
 * the loop; tests can do the same in-process. */
#ifndef DP_SERVER_H
#define DP_SERVER_H

#include <stdint.h>
#include <uv.h>

#include "apikey.h"
#include "batch.h"
#include "buf.h"
#include "child.h"
#include "deckpulse/config.h"
#include "http.h"
#include "live.h"
#include "metrics.h"
#include "ratelimit.h"
#include "report_cache.h"
#include "redis.h"
#include "spool.h"
#include "spool_replay.h"
#include "xadd_group.h"

typedef struct dp_ingest dp_ingest;

typedef struct dp_server {
    uv_loop_t *loop;
    const dp_config *cfg;
    dp_http http; /* the listener, its connections and the route table */
    dp_batch_limits batch_limits;

    dp_redis redis;
    int have_redis;
    dp_redis rredis; /* the reports' connection */
    int have_rredis;
    dp_child redis_child;
    int have_redis_child;
    dp_child collector_child; /* start_collector */
    int have_collector;
    int collector_stopped;

    char *secret; /* HMAC key for link tokens */
    size_t secret_len;
    struct dp_token_cache *tokens; /* verified tokens (token_cache.h) */
    dp_apikeys keys;
    char admin_key[80]; /* generated admin key, "" if api_keys was set */

    /* daily salt for anonymous viewer hashes, cached from Redis */
    char salt_day[11];
    unsigned char salt[32];
    int have_salt;
    uint64_t salt_gen; /* bumped whenever salt changes (viewer ids kept per connection) */
    int salt_local;    /* made here while Redis was away, not shared yet */

    dp_xgroups xgroups; /* this loop iteration's XADD per shard (xadd_group.h) */
    int have_xgroups;
    dp_spool spool; /* batches Redis could not take, until replayed */
    int have_spool;
    dp_spool_replay replay;
    int have_replay;

    dp_metrics metrics;
    uv_timer_t live_timer; /* GET /v1/live: live.h */
    int live_busy;
    char *live_last;
    uint64_t live_sent_at;
    dp_req *live[DP_LIVE_LISTENERS]; /* the streams listening */
    unsigned nlive;
    dp_ratelimit rate_ip, rate_link; /* ingest: ratelimit.h */
    dp_rcache rcache;                /* report answers */
    dp_strmap flights;               /* cache key -> the report computing it */
    unsigned reports_running;        /* report computations in progress */
    uint64_t reports_computed;       /* started, in all */
    dp_buf resp;                     /* scratch for formatting Redis commands */

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
/* Graceful stop: no new connections, requests in flight finish (within
 * shutdown_timeout_ms), Redis and the private redis-server are closed; then
 * on_stopped runs and the loop has nothing left. */
void dp_server_stop(dp_server *s, void (*on_stopped)(void *), void *ud);
void dp_server_free(dp_server *s);
/* The checks of dp_server_start that need no I/O: listen, api_keys, redis. */
int dp_server_check_config(const dp_config *cfg, dp_err *err);
/* The server a route's handler belongs to (every route's ud). */
static inline dp_server *dp_srv(const dp_req *r)
{
    return r->ud;
}

#endif
