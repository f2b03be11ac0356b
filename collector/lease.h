/* Collectors divide the shards among themselves (PRODUCT.md, issue 22):
 * each shard is consumed by the one collector holding its lease (dp:{N}:lease,
 * its name, expiring DP_LEASE_MS after the last renewal), so a shard's
 * entries are applied in stream order — a session whose batches straddle
 * midnight starts on the day of its first, as with one collector. Every
 * tick a collector renews what it holds, gives back what exceeds its fair
 * part (the shards divided by the collectors alive, from dp:{0}:collectors)
 * and takes free shards up to it; a collector that dies leaves its shards
 * to the others once their leases expire (then XAUTOCLAIM takes its
 * pending entries). */
#ifndef DP_LEASE_H
#define DP_LEASE_H

#include <hiredis/hiredis.h>

#include "deckpulse/error.h"
#include "deckpulse/keys.h"

#define DP_LEASE_MS 10000

typedef struct dp_leases {
    unsigned shards;
    unsigned char held[DP_SHARDS_MAX];
    unsigned nheld;
} dp_leases;

/* The connection serving a shard's keys. */
typedef redisContext *(*dp_lease_conn_fn)(void *ud, unsigned shard, dp_err *err);

/* Renews, gives back and takes leases so that `me` holds its part of the
 * shards among `alive` collectors (itself included). 0, or -EIO. */
int dp_leases_update(dp_leases *l, unsigned alive, const char *me, dp_lease_conn_fn conn, void *ud,
                     dp_err *err);
/* Gives back every lease held (a clean stop): others take over at once. */
void dp_leases_release(dp_leases *l, const char *me, dp_lease_conn_fn conn, void *ud);

#endif
