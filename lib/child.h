/* Supervision of a child process (the private redis-server, the
 * collector): started with uv_spawn, restarted with backoff when it dies,
 * stopped with SIGTERM (then SIGKILL after a grace period) on shutdown.
 * Where util-linux's setpriv exists the child also gets SIGTERM if this
 * process dies without cleaning up, so it never outlives its supervisor. */
#ifndef DP_CHILD_H
#define DP_CHILD_H

#include <stdint.h>
#include <uv.h>

typedef struct dp_child {
    uv_loop_t *loop;
    char *name;
    char **argv; /* owned, NULL-terminated */
    int argc;
    uv_process_t proc;
    uv_timer_t timer; /* restart backoff, then kill grace */
    int running;
    int stopping;
    int handles_open;
    uint64_t started_at;
    uint64_t backoff_ms;
    uint64_t restarts;
    void (*on_stopped)(void *ud);
    void *stopped_ud;
} dp_child;

/* Copies argv (argv[0] is the program, looked up on PATH). */
void dp_child_init(dp_child *c, uv_loop_t *loop, const char *name, const char *const *argv);
/* 0 or a negative errno from uv_spawn (the first start only; restarts retry). */
int dp_child_start(dp_child *c);
/* SIGTERM, SIGKILL after grace_ms, then on_stopped once all handles are closed. */
void dp_child_stop(dp_child *c, uint64_t grace_ms, void (*on_stopped)(void *), void *ud);
void dp_child_free(dp_child *c);

#endif
