/* deckpulse-collector: reads the event streams through the consumer group
 * "rollup", archives every event, applies batches (rollup_apply.c:
 * aggregates + dedup marks + XACK in one MULTI/EXEC), claims entries of
 * dead consumers, dead-letters entries that keep failing, ends idle sessions
 * and trims the streams below what every group has acknowledged. */
#ifndef DP_COLLECTOR_H
#define DP_COLLECTOR_H

#include <hiredis/hiredis.h>
#include <signal.h>

#include "archive.h"
#include "lease.h"
#include "redis_sync.h"
#include "deckpulse/config.h"
#include "rollup.h"
#include "strmap.h"

#define DP_COLLECTOR_BATCH_GROWTH 8

typedef struct dp_collector {
    const dp_config *cfg;
    dp_sync sync;                              /* the single Redis, or a cluster's primaries */
    redisContext *rc;                          /* the connection of the shard (or key) at hand */
    dp_leases leases;                          /* the shards this collector consumes (lease.h) */
    unsigned char group_made[DP_SHARDS_MAX];   /* this session */
    unsigned char shard_warned[DP_SHARDS_MAX]; /* its primary's absence logged */
    dp_rollup ro;
    dp_archive ar;
    int have_archive;
    char name[128];
    volatile sig_atomic_t *stop;
    /* counters (also written to the hash dp:{0}:collectors as "<name>|<counter>"
     * every second, for the server's /metrics) */
    long long batches, events, applied, duplicates, dead, ended, errors, unplaced, conflicts;
    long long refused_slides, refused_actions;
    /* entries the next read of new ones asks for: collector_batch while
     * keeping up; doubled after each full read (a backlog), up to
     * DP_COLLECTOR_BATCH_GROWTH times it */
    long long count;
    /* events per entry in the last read of new entries (an entry holds a
     * batch or, v 3, several), so that a read can be kept to
     * collector_read_events: XREADGROUP's COUNT counts entries, and Redis
     * answers nothing else while it writes the reply */
    double per_entry;
    int64_t started_ms;
    int64_t last_tick_ms;
    int64_t last_retain_ms; /* retention runs at the first tick, then hourly */
    long long last_tick_events;
    dp_strmap erased;        /* prospects whose archive rows this run removed */
    const redisReply *peers; /* dp:{0}:collectors, while erasing */
    int64_t peers_at;
} dp_collector;

/* Connects (retrying until *stop), then consumes until *stop. 0 on a clean
 * stop. */
int dp_collector_run(dp_collector *c, const dp_config *cfg, volatile sig_atomic_t *stop,
                     dp_err *err);
/* Connects once to the configured Redis (for --replay): 0, or -EIO with err. */
int dp_collector_connect(dp_sync *s, const dp_config *cfg, dp_err *err);

#endif
