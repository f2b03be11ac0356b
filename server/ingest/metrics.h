/* The ingest's counters, in Prometheus text (/metrics). */
#ifndef DP_METRICS_H
#define DP_METRICS_H

#include <stdint.h>

#include "buf.h"

typedef enum dp_reject {
    DP_REJECT_INVALID = 0,  /* 400 */
    DP_REJECT_UNAUTHORIZED, /* 401 */
    DP_REJECT_ORIGIN,       /* 403 */
    DP_REJECT_TOO_LARGE,    /* 413 */
    DP_REJECT_MEDIA_TYPE,   /* 415 */
    DP_REJECT_UNAVAILABLE,  /* 503 */
    DP_REJECT_RATE_IP,      /* 429: too many requests from one address */
    DP_REJECT_RATE_LINK,    /* 429: too many batches for one link token */
    DP_REJECT_BOT,          /* 202 but not stored: a crawler, preview or mail scanner */
    DP_REJECT_PREFETCH,     /* 202 but not stored: a browser prefetch */
    DP_REJECT_SPOOL_FULL,   /* 503: Redis cannot take it and the spool is at spool_max_mb */
    DP_REJECT__COUNT
} dp_reject;

#define DP_LATENCY_BUCKETS 14

typedef struct dp_metrics {
    uint64_t events_accepted;        /* in Redis or in the spool */
    uint64_t events_spooled;         /* of those, through the spool */
    uint64_t clamped_at, clamped_ms; /* implausible values clamped (ingest.c) */
    uint64_t refused_catalog;        /* events of closed materials' unknown slides */
    uint64_t batches_accepted;
    uint64_t events_rejected[DP_REJECT__COUNT]; /* events of rejected batches, when known */
    uint64_t batches_rejected[DP_REJECT__COUNT];
    uint64_t xadd_buckets[DP_LATENCY_BUCKETS]; /* cumulative at render */
    uint64_t xadd_count;
    uint64_t xadd_sum_us;
} dp_metrics;

extern const char *const *const dp_reject_names; /* DP_REJECT__COUNT of them */

void dp_metrics_xadd_latency(void *m, uint64_t usec);
void dp_metrics_reject(dp_metrics *m, dp_reject why, uint64_t events);

int dp_metrics_render(const dp_metrics *m, dp_buf *out);

#endif
