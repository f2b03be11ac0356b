/* The cluster half of lib/redis.c (issue 22), internal to lib/: the slot
 * map, one connection per primary, routing, redirections and retries. */
#ifndef DP_REDIS_CLUSTER_H
#define DP_REDIS_CLUSTER_H

#include "redis.h"
#include "redis_conn.h"

/* A CLUSTER SLOTS answer on r's control connection: enters cluster mode
 * (first time) or refreshes the map. 0, or -EINVAL with err. */
int dp__cluster_load(dp_redis *r, const redisReply *slots, dp_err *err);
/* Routes cmd: 0, or -EAGAIN (no connected primary for its slot). */
int dp__cluster_send(dp_redis *r, const char *key, size_t keylen, dp_redis_cb cb, void *priv,
                     const char *cmd, size_t len);
/* A PFCOUNT or MGET whose keys span slots, split (redis_scatter.c): 0 or
 * -EAGAIN as sent; 1 when cmd is not one (send it as it is). */
int dp__cluster_scatter(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len);
/* cmd on every connected primary: how many were sent. */
int dp__cluster_each(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len);
/* Fails what waits, closes the primaries' connections; r->open_handles
 * counts them until each is closed. */
void dp__cluster_close(dp_redis *r, int force);

#endif
