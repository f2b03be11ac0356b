#include "child.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define STABLE_MS      10000 /* a child that ran this long restarts without delay */

static const char setpriv_path[] = "/usr/bin/setpriv";

void dp_child_init(dp_child *c, uv_loop_t *loop, const char *name, const char *const *argv)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->name = dp_strdup(name);
    int n = 0;
    while (argv[n])
        n++;
    int extra = access(setpriv_path, X_OK) == 0 ? 3 : 0;
    c->argv = dp_calloc((size_t)(n + extra + 1), sizeof(char *));
    if (extra) {
        c->argv[0] = dp_strdup(setpriv_path);
        c->argv[1] = dp_strdup("--pdeathsig=TERM");
        c->argv[2] = dp_strdup("--");
    }
    for (int i = 0; i < n; i++)
        c->argv[extra + i] = dp_strdup(argv[i]);
    c->argc = n + extra;
    c->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
}

static void maybe_stopped(dp_child *c)
{
    if (c->stopping && !c->running && c->handles_open == 0 && c->on_stopped) {
        void (*cb)(void *) = c->on_stopped;
        c->on_stopped = NULL;
        cb(c->stopped_ud);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    dp_child *c = h->data;
    c->handles_open--;
    maybe_stopped(c);
}

static void on_proc_closed(uv_handle_t *h)
{
    dp_child *c = h->data;
    c->running = 0;
    if (c->stopping) {
        uv_timer_stop(&c->timer);
        if (!uv_is_closing((uv_handle_t *)&c->timer))
            uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    }
    maybe_stopped(c);
}

static int spawn(dp_child *c);

static void on_restart(uv_timer_t *t)
{
    dp_child *c = t->data;
    if (!c->stopping && !c->running && spawn(c) != 0) {
        uv_timer_start(&c->timer, on_restart, c->backoff_ms, 0);
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    dp_child *c = p->data;
    if (!c->stopping) {
        uint64_t ran = uv_now(c->loop) - c->started_at;
        if (ran > STABLE_MS) c->backoff_ms = BACKOFF_MIN_MS;
        dp_warn("%s exited (status %lld, signal %d) after %llu ms; restarting in %llu ms", c->name,
                (long long)status, sig, (unsigned long long)ran, (unsigned long long)c->backoff_ms);
        c->restarts++;
        uv_timer_start(&c->timer, on_restart, c->backoff_ms, 0);
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    } else {
        dp_info("%s stopped (status %lld, signal %d)", c->name, (long long)status, sig);
    }
    uv_close((uv_handle_t *)p, on_proc_closed);
}

static int spawn(dp_child *c)
{
    uv_process_options_t o;
    uv_stdio_container_t stdio[3];
    memset(&o, 0, sizeof(o));
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = 2; /* the child's stdout joins our log stream */
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    o.file = c->argv[0];
    o.args = c->argv;
    o.exit_cb = on_exit_cb;
    o.stdio = stdio;
    o.stdio_count = 3;
    c->proc.data = c;
    int rc = uv_spawn(c->loop, &c->proc, &o);
    if (rc != 0) {
        dp_error("cannot start %s (%s): %s", c->name, c->argv[0], uv_strerror(rc));
        /* uv_spawn failure still requires closing the handle */
        uv_close((uv_handle_t *)&c->proc, NULL);
        return rc;
    }
    c->running = 1;
    c->started_at = uv_now(c->loop);
    dp_info("%s started, pid %d", c->name, c->proc.pid);
    return 0;
}

int dp_child_start(dp_child *c)
{
    return spawn(c);
}

static void on_kill(uv_timer_t *t)
{
    dp_child *c = t->data;
    if (c->running) {
        dp_warn("%s did not stop in time; killing it", c->name);
        uv_process_kill(&c->proc, SIGKILL);
    }
}

void dp_child_stop(dp_child *c, uint64_t grace_ms, void (*on_stopped)(void *), void *ud)
{
    c->stopping = 1;
    c->on_stopped = on_stopped;
    c->stopped_ud = ud;
    uv_timer_stop(&c->timer);
    if (c->running) {
        uv_process_kill(&c->proc, SIGTERM);
        uv_timer_start(&c->timer, on_kill, grace_ms, 0);
    } else if (!uv_is_closing((uv_handle_t *)&c->timer)) {
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    }
    maybe_stopped(c);
}

void dp_child_free(dp_child *c)
{
    for (int i = 0; i < c->argc; i++)
        dp_free(c->argv[i]);
    dp_free(c->argv);
    dp_free(c->name);
    c->argv = NULL;
    c->name = NULL;
}
