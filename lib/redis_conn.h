/* One connection of the async client (lib/redis.h), internal to lib/:
 * hiredis on the loop, reconnecting with backoff, the watchdog that drops
 * it when commands go unanswered for timeout_ms. The client (redis.c) uses
 * one to its seeds; in a cluster (redis_cluster.c) one per primary. It
 * knows nothing of clusters: when on_connected is set, the connection is
 * up but the client stays CONNECTING until dp__conn_up says so. */
#ifndef DP_REDIS_CONN_H
#define DP_REDIS_CONN_H

#include "redis.h"

void dp__conn_init(dp_redis *r, uv_loop_t *loop, uint64_t timeout_ms);
/* A connection to host:port alone (a cluster's primary): up when connected. */
void dp__conn_init_node(dp_redis *r, uv_loop_t *loop, const char *host, int port,
                        uint64_t timeout_ms);
void dp__conn_start(dp_redis *r);
/* A command on this connection (whatever the client's state): 0 or -EAGAIN. */
int dp__conn_send(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len);
/* The client is usable: state UP, then on_up. */
void dp__conn_up(dp_redis *r);
/* Drops the connection (from outside its own callbacks); it reconnects. */
void dp__conn_drop(dp_redis *r, const char *why);
/* Closes: timers, then the connection (after pending answers unless force). */
void dp__conn_close(dp_redis *r, int force, void (*on_closed)(void *), void *ud);
/* One of the handles r->open_handles counts is closed. */
void dp__conn_handle_closed(dp_redis *r);

#endif
