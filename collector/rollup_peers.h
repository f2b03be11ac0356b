/* What a batch reads from the other shards when they live on other nodes
 * (a Redis Cluster, issue 22): whether a presentation's first browser of
 * the day differs on another shard (forwarding) and how many slides and
 * actions the presentation has named there (its ceilings). On one Redis
 * these reads are in the batch's own pipeline (an MGET and SCARDs over the
 * shards); in a cluster each shard's keys are on its primary, so they are
 * read there, after the batch's own reads and before its transaction —
 * neither was ever watched, so what they mean is unchanged. */
#ifndef DP_ROLLUP_PEERS_H
#define DP_ROLLUP_PEERS_H

#include "rollup_batch.h"

/* What is known of the other shards across batches: their first browsers
 * of a day (never change once set), their slide and action counts (reused
 * for COUNTS_MS unless a ceiling is near). */
typedef struct dp_peer_cache dp_peer_cache;
void dp_peer_cache_free(dp_peer_cache *c);

/* 1 when the other shards are read apart (b->peer set, several shards). */
int dp__rollup_peers_apart(const batch *b);
/* Reads them and folds them into b's pvds and pcaps: 0, or -EIO. */
int dp__rollup_read_peers(batch *b, dp_err *err);

#endif
