/* Applying one shard's batch of entries, atomically and exactly once
 * (collector/rollup_apply.c), and the maintenance script
 * (collector/rollup.lua, compiled into the binary) that ends idle sessions
 * and deletes old days. Synchronous hiredis: the collector is a worker loop. */
#ifndef DP_ROLLUP_H
#define DP_ROLLUP_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "deckpulse/error.h"
#include "entry.h"

typedef struct dp_rollup {
    char sha[41];
    int64_t ttl_ms;
    size_t txn_sessions; /* sessions per MULTI/EXEC (collector_txn_sessions) */
    unsigned shards;     /* the streams' shards (a presentation's viewers are on all of them) */
    long long max_slides, max_actions; /* per presentation (rollup_caps.h) */
    long long quiet_ms;                /* prospect.returned: alert_quiet_days */
    /* a cluster: the connection of another shard (its {N} slot's primary),
     * for what a batch reads there (rollup_peers.h); NULL on one Redis */
    redisContext *(*peer)(void *ud, unsigned shard, dp_err *err);
    void *peer_ud;
    struct dp_peer_cache *peer_cache; /* what is known of the other shards */
} dp_rollup;

/* SCRIPT LOAD: 0 or -EIO with err. */
int dp_rollup_load(dp_rollup *ro, redisContext *rc, dp_err *err);
/* What one call applied: events counted, duplicates dropped, views past
 * the slides their session announced (counted as views of their slide, not
 * as positions: RELIABILITY row 23), events not counted because their
 * presentation had named all the slides or actions it may (rollup_caps.h;
 * marked applied, so never retried), and attempts started again because
 * state the batch read changed before its writes (another collector). */
typedef struct dp_rollup_counts {
    long long applied, dups, unplaced, conflicts;
    long long refused_slides, refused_actions; /* past a presentation's ceilings */
} dp_rollup_counts;

/* Applies e[0..n) (all of shard `shard`) and XACKs their ids in `group`
 * ("" for none): in one MULTI/EXEC with the XACK, or, with more than
 * ro->txn_sessions sessions, in MULTI/EXECs of that many whole sessions
 * each, then the XACK; adds to *counts, and *done is n once all of e was
 * applied and acknowledged, else 0 (what was applied counts as duplicates
 * when it comes again). 0, -EIO (connection, or state that kept changing: retry
 * later) or -EINVAL (Redis refused to read the state, e.g. a key of the
 * wrong type). */
int dp_rollup_apply(dp_rollup *ro, redisContext *rc, unsigned shard, const char *group,
                    const dp_entry *e, size_t n, dp_rollup_counts *counts, size_t *done,
                    dp_err *err);
/* Ends sessions of shard idle since before `before_ms`; *ended counts them. */
/* Deletes the per-day aggregates (materials, slides, viewers, prospects) of
 * days before cutoff ("YYYY-MM-DD"), a bounded amount per call: *more says
 * whether to call again. */
int dp_rollup_retain(dp_rollup *ro, redisContext *rc, unsigned shard, const char *cutoff,
                     long long *removed, int *more, dp_err *err);
/* Deletes deals whose current stage's `at` is before before_ms (500 a call;
 * *more says whether to call again), with their history and set entries. */
int dp_rollup_retain_deals(redisContext *rc, int64_t before_ms, long long *removed, int *more,
                           dp_err *err);
/* Ends at most DP_SWEEP_MAX sessions of the shard whose last event was
 * received before before_ms (*ended: how many). One script call: Redis
 * runs nothing else meanwhile, so the bound keeps that short (~20 us a
 * session); call again while *ended == DP_SWEEP_MAX. */
#define DP_SWEEP_MAX 200
int dp_rollup_sweep(dp_rollup *ro, redisContext *rc, unsigned shard, int64_t before_ms,
                    long long *ended, dp_err *err);

#endif
