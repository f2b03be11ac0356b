/* An always-reconnecting async Redis connection: hiredis on the libuv loop
 * through hiredis's libuv adapter. Commands issued in one loop iteration
 * share one write (hiredis buffers them until the socket is writable), so
 * concurrent requests are pipelined for free.
 *
 * States: DOWN -> CONNECTING -> UP. While not UP, dp_redis_command() fails
 * with -EAGAIN and runs no callback. A command unanswered for timeout_ms
 * (Redis stopped, network gone) drops the connection: every pending callback
 * then runs with reply == NULL, and reconnection starts with exponential
 * backoff (50 ms doubling to 2 s). Used by the server and the collector. */
#ifndef DP_REDIS_H
#define DP_REDIS_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <uv.h>

#include "deckpulse/error.h"

typedef enum dp_redis_state { DP_REDIS_DOWN = 0, DP_REDIS_CONNECTING, DP_REDIS_UP } dp_redis_state;

typedef struct dp_redis dp_redis;
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

    redisAsyncContext *ac;
    dp_redis_state state;
    uv_timer_t retry_timer;
    uv_timer_t watchdog;
    uint64_t backoff_ms;
    uint64_t state_since;   /* uv_now when the state last changed */
    uint64_t last_progress; /* uv_now of the last reply, or of the first send when idle */
    size_t pending;

    dp_redis_latency_cb on_latency;
    void *latency_ud;
    /* called each time the connection comes up (after a reconnect too) */
    void (*on_up)(dp_redis *r, void *ud);
    void *up_ud;

    /* counters for /metrics */
    uint64_t connects, disconnects, timeouts;

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
/* Disconnects (pending commands first get their answers unless force),
 * closes the handles, then calls on_closed. */
void dp_redis_close(dp_redis *r, int force, void (*on_closed)(void *), void *ud);
const char *dp_redis_state_name(dp_redis_state s);

#endif
