/* The reports: every report route, the catalog, the erasure of a prospect
 * and the live viewers, with what they share (their Redis connection, the
 * answer cache, the computations in flight, the live listeners). */
#ifndef DP_REPORTS_H
#define DP_REPORTS_H

#include <stdint.h>
#include <uv.h>

#include "apikey.h"
#include "buf.h"
#include "deckpulse/config.h"
#include "live.h"
#include "redis.h"
#include "report_cache.h"
#include "req.h"
#include "router.h"
#include "strmap.h"

struct dp_reports_ctx {
    uv_loop_t *loop;
    const dp_config *cfg;
    const dp_apikeys *keys;
    const int *stopping; /* the server's */
    dp_redis *redis;     /* writes (the catalog, erasure): the server's main connection */
    dp_redis rredis;     /* reads: their own, so an XADD never waits behind a report */
    int have_rredis;

    dp_rcache rcache;                        /* report answers */
    dp_strmap flights;                       /* cache key -> the report computing it */
    unsigned reports_running;                /* report computations in progress */
    unsigned running_by_key[DP_APIKEYS_MAX]; /* of them, per API key (its index) */
    uint64_t reports_computed;               /* started, in all */

    uv_timer_t live_timer; /* GET /v1/live: live.h */
    int live_busy;
    char *live_last;
    uint64_t live_sent_at;
    dp_req *live[DP_LIVE_LISTENERS]; /* the streams listening */
    unsigned nlive;
    void (*live_closed)(void *ud); /* dp_live_stop's */
    void *live_closed_ud;

    uv_timer_t temp_timer; /* prospect.temperature (temperature.c) */
    int temp_busy;
    int64_t temp_since; /* the last pass's start (ms) */
};

void dp_reports_init(dp_reports_ctx *r, uv_loop_t *loop, const dp_config *cfg,
                     const dp_apikeys *keys, const int *stopping);
void dp_reports_free(dp_reports_ctx *r);
int dp_reports_register(dp_router *rt, dp_reports_ctx *r);
/* The prospect.temperature watcher (temperature.c): started with the live
 * feed, stopped with it. */
void dp_temp_watch_start(dp_reports_ctx *s);
void dp_temp_watch_stop(dp_reports_ctx *s);
/* The answer cache's and the computations' counters: 0 or -E2BIG. */
int dp_reports_render_metrics(const dp_reports_ctx *r, dp_buf *out);

#endif
