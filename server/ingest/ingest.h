/* Ingest: POST /v1/events and GET /v1/pixel.gif, from the request to a
 * durable 202 (Redis, or the spool while Redis cannot take it). */
#ifndef DP_INGEST_H
#define DP_INGEST_H

#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "batch.h"
#include "buf.h"
#include "deckpulse/config.h"
#include "metrics.h"
#include "ratelimit.h"
#include "closed.h"
#include "redis.h"
#include "router.h"
#include "spool.h"
#include "spool_replay.h"
#include "xadd_group.h"

typedef struct dp_ingest_ctx {
    uv_loop_t *loop;
    const dp_config *cfg;
    dp_redis *redis; /* the ingest's connection (the server's), NULL if none */
    dp_auth *auth;   /* link tokens */
    dp_batch_limits batch_limits;

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
    dp_ratelimit rate_ip, rate_link;               /* requests, batches */
    dp_ratelimit rate_ip_events, rate_link_events; /* events */
    dp_closed closed;                              /* catalog_strict */
    dp_buf resp;                                   /* scratch for formatting Redis commands */
} dp_ingest_ctx;

/* Limits, rate limits and buffers from cfg; the spool, the XADD groups
 * and the replay are opened by the server (they need its Redis). */
void dp_ingest_init(dp_ingest_ctx *g, uv_loop_t *loop, const dp_config *cfg, dp_auth *auth);
void dp_ingest_free(dp_ingest_ctx *g);
int dp_ingest_register(dp_router *rt, dp_ingest_ctx *g);
/* A batch's answer from its XADD group (dp_xgroup_cb). */
void dp__ingest_stored(void *member, int status, const char *text, size_t len);
/* The ingest's counters, the XADD groups', the token cache's and the
 * spool's, in Prometheus text: 0 or -E2BIG. */
int dp_ingest_render_metrics(const dp_ingest_ctx *g, dp_buf *out);

#endif
