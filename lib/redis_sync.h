/* The collector's blocking Redis client, single Redis or cluster (issue
 * 22). Connects to the first seed that answers, asks INFO cluster; in a
 * cluster it loads the slot map and opens a connection per primary as the
 * first command for it comes. The collector asks for the connection that
 * serves a key (every command of a batch shares the shard's {N} tag) and
 * treats a redirection like a lost connection: everything is closed, the
 * map loaded again, and the work retried from the stream's pending
 * entries (idempotent: collector/rollup_apply.c). A primary that cannot
 * be reached fails only the shards it serves: it is tried again at most
 * once a second, and the map is reloaded meanwhile (a replica promoted). */
#ifndef DP_REDIS_SYNC_H
#define DP_REDIS_SYNC_H

#include <hiredis/hiredis.h>

#include "cluster_map.h"
#include "deckpulse/error.h"
#include "redis_url.h"

typedef struct dp_sync {
    redisContext *ctl; /* the seed's: the single Redis, or the map's source */
    int cluster;
    dp_cluster_map map;
    redisContext *node[DP_CLUSTER_NODES_MAX];
    int64_t failed_ms[DP_CLUSTER_NODES_MAX]; /* when connecting to it last failed */
    int stale;                               /* reload the map before the next use */
    int64_t loaded_ms;
    struct timeval connect_tv, command_tv;
} dp_sync;

/* Connects (url: the `redis` setting, seeds tried in turn); commands wait
 * up to command_ms. 0, or -EIO with err. */
int dp_sync_connect(dp_sync *s, const char *url, int connect_ms, int command_ms, dp_err *err);
/* The connection serving key (the single one when not a cluster), or NULL
 * with err (no primary for the slot, cannot connect). */
redisContext *dp_sync_for(dp_sync *s, const char *key, dp_err *err);
/* A command on c failed (the connection is gone): it is closed, and the
 * map reloaded before the next dp_sync_for. */
void dp_sync_failed(dp_sync *s, redisContext *c);
/* dp_sync_for the keys of a shard ("dp:{N}:..."); ud is the dp_sync (the
shape the rollup and the leases ask for another shard's connection in). */
redisContext *dp_sync_for_shard(void *ud, unsigned shard, dp_err *err);
void dp_sync_close(dp_sync *s);

/* 1 if an error reply says the cluster changed or is changing (MOVED, ASK,
 * TRYAGAIN, CLUSTERDOWN) or the node is not ready (LOADING, READONLY,
 * MASTERDOWN): try again later, the command itself is fine. */
int dp_redis_err_transient(const char *msg);

#endif
