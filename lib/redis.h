/* An always-reconnecting async Redis connection: hiredis on the libuv loop
 * through hiredis's libuv adapter. Commands issued in one loop iteration
 * share one write (hiredis buffers them until the socket is writable), so
 * concurrent requests are pipelined for free.
 *
 * States: DOWN -> CONNECTING -> UP. While not UP, dp_redis_command() fails
 * with -EAGAIN and runs no callback. A command unanswered for timeout_ms
 * (Redis stopped, network gone) drops the connection: every pending callback
 * then runs with reply == NULL, and reconnection starts with exponential
 * backoff (50 ms doubling to 2 s). Used by the server and the notifier.
 *
 * Cluster mode is detected, not configured (issue 22): on connecting, the
 * client asks INFO cluster; with cluster_enabled:1 it loads the slot map and
 * keeps one connection per primary (each an internal dp_redis), routes each
 * command by its key's slot (cluster_route.h), follows MOVED and ASK and
 * retries CLUSTERDOWN/TRYAGAIN within timeout_ms, and refreshes the map
 * when a primary is lost (lib/redis_cluster.c). The connection to the seeds
 * stays as the control connection. A slot whose primary is not connected
 * fails its commands with -EAGAIN, as when the single Redis is away. */
#ifndef DP_REDIS_H
#define DP_REDIS_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <uv.h>

#include "deckpulse/error.h"

typedef enum dp_redis_state { DP_REDIS_DOWN = 0, DP_REDIS_CONNECTING, DP_REDIS_UP } dp_redis_state;

typedef struct dp_redis dp_redis;
typedef struct dp_redis_cluster dp_redis_cluster;
/* reply is NULL when the connection failed before an answer came; hiredis
 * frees the reply after the callback returns. */
typedef void (*dp_redis_cb)(dp_redis *r, redisReply *reply, void *priv);
/* Latency observer: called for every answered command, in microseconds. */
typedef void (*dp_redis_latency_cb)(void *ud, uint64_t usec);

struct dp_redis {
    uv_loop_t *loop;
    char *host; /* TCP, or NULL */
    int port;
    char *path; /* unix socket, or NULL */
    uint64_t timeout_ms;
    struct dp_redis_url *seeds; /* the `redis` setting's nodes, tried in turn */
    size_t nseeds, seed_at;

    redisAsyncContext *ac;
    dp_redis_state state;      /* the client's: commands are accepted when UP */
    dp_redis_state conn_state; /* its own connection's (the control one in a cluster) */
    int probed;                /* INFO cluster answered on this connection */
    int is_node;               /* a primary's connection inside a cluster client */
    dp_redis_cluster *cl;      /* cluster mode: the routing (redis_cluster.c) */
    void (*on_down)(dp_redis *r, void *ud); /* its connection lost (after up_ud) */
    void (*on_connected)(dp_redis *r);      /* connected: the client decides when UP */
    uv_timer_t retry_timer;
    uv_timer_t watchdog;
    uint64_t backoff_ms;
    uint64_t state_since;   /* uv_now when the state last changed */
    uint64_t last_progress; /* uv_now of the last reply, or of the first send when idle */
    size_t pending;

    dp_redis_latency_cb on_latency;
    void *latency_ud;
    /* called each time the connection comes up (after a reconnect too; in a
     * cluster, again each time a primary's connection comes up afterwards) */
    void (*on_up)(dp_redis *r, void *ud);
    void *up_ud;

    /* counters for /metrics */
    uint64_t connects, disconnects, timeouts;
    uint64_t redirects; /* a cluster's MOVED/ASK/TRYAGAIN followed */

    int closing;
    int open_handles;
    void (*on_closed)(void *ud);
    void *closed_ud;
};

/* url: "redis://host:port" or "unix:/path". 0 or -EINVAL. */
int dp_redis_init(dp_redis *r, uv_loop_t *loop, const char *url, uint64_t timeout_ms, dp_err *err);
void dp_redis_start(dp_redis *r);
int dp_redis_command(dp_redis *r, dp_redis_cb cb, void *priv, int argc, const char **argv,
                     const size_t *argvlen);
/* The same for a command already in RESP (lib/resp.h). */
int dp_redis_formatted(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len);
/* A keyless command on the connection that serves key (a WAIT after a
 * write, on the write's connection). */
int dp_redis_formatted_at(dp_redis *r, const char *key, size_t keylen, dp_redis_cb cb, void *priv,
                          const char *cmd, size_t len);
/* dp_redis_command sent where key is served: a script that declares no
 * key (its keys share key's hash tag), or a keyless command. */
int dp_redis_command_at(dp_redis *r, const char *key, dp_redis_cb cb, void *priv, int argc,
                        const char **argv, const size_t *argvlen);
/* The command on every primary (one Redis: on it), each answer to cb
 * (with the node's connection as r): how many were sent. */
int dp_redis_each_primary(dp_redis *r, dp_redis_cb cb, void *priv, int argc, const char **argv);
/* 1 once cluster mode was detected. */
int dp_redis_is_cluster(const dp_redis *r);
/* Disconnects (pending commands first get their answers unless force),
 * closes the handles, then calls on_closed. */
void dp_redis_close(dp_redis *r, int force, void (*on_closed)(void *), void *ud);
const char *dp_redis_state_name(dp_redis_state s);

#endif
