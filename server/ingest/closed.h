/* Closed materials (setting catalog_strict): when on, a material the
 * catalog knows is closed, and an event naming one of its slides that the
 * catalog does not list (or a version above the catalog's) is refused: not
 * stored, counted in dp_events_rejected_total{reason="catalog"}, and named
 * in the batch's 202 answer. Materials the catalog does not know stay open.
 *
 * The ingest keeps a copy of the catalog's slide ids and versions, read
 * from Redis when Redis comes up and again whenever the catalog's
 * generation (dp:{c}:gen) has changed, checked at most once a second as
 * batches arrive. Until the first copy is read, nothing is refused. */
#ifndef DP_CLOSED_H
#define DP_CLOSED_H

#include <stdint.h>
#include <uv.h>

#include "redis.h"
#include "strmap.h"

typedef struct dp_closed {
    int enabled;
    dp_redis *redis; /* the one of the last refresh */
    uv_loop_t *loop;
    dp_strmap materials; /* id -> dp_strmap* (slide -> version) */
    char gen[32];
    int loaded;
    uint64_t checked_ms; /* loop time of the last generation check */
    /* a read under way: its own copy, swapped in when every answer came */
    int busy, failed;
    size_t pending;
    dp_strmap next;
    char next_gen[32];
} dp_closed;

void dp_closed_init(dp_closed *c, uv_loop_t *loop, int enabled);
/* Reads the catalog from redis again if its generation changed (at most
 * once a second unless force). */
void dp_closed_refresh(dp_closed *c, dp_redis *redis, int force);
/* 0 if the slide may be counted; 1 if material is closed and has no such
 * slide (or not that version). */
int dp_closed_refuses(const dp_closed *c, const char *material, const char *slide, int64_t version);
void dp_closed_free(dp_closed *c);

#endif
