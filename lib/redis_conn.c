/* One connection of the async client: redis_conn.h. */
#include "redis_conn.h"
#include "redis_url.h"
#include "redis_uv.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

typedef struct cmd_ctx {
    dp_redis *r;
    dp_redis_cb cb;
    void *priv;
    uint64_t sent_ns;
} cmd_ctx;

const char *dp_redis_state_name(dp_redis_state s)
{
    switch (s) {
    case DP_REDIS_UP:
        return "up";
    case DP_REDIS_CONNECTING:
        return "connecting";
    default:
        return "down";
    }
}

/* The connection's state; the client's follows it until cluster mode takes
 * the client's over. */
static void set_state(dp_redis *r, dp_redis_state s)
{
    r->conn_state = s;
    r->state_since = uv_now(r->loop);
    if (r->cl == NULL) r->state = s;
}

static void connect_now(dp_redis *r);

static void on_retry(uv_timer_t *t)
{
    connect_now(t->data);
}

static void schedule_retry(dp_redis *r)
{
    if (r->closing) return;
    uv_timer_start(&r->retry_timer, on_retry, r->backoff_ms, 0);
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void maybe_closed(dp_redis *r)
{
    if (r->closing && r->ac == NULL && r->open_handles == 0 && r->on_closed) {
        void (*cb)(void *) = r->on_closed;
        r->on_closed = NULL;
        cb(r->closed_ud);
    }
}

void dp__conn_handle_closed(dp_redis *r)
{
    r->open_handles--;
    maybe_closed(r);
}

/* The next seed, after this one failed. */
static void next_seed(dp_redis *r)
{
    if (r->nseeds < 2) return;
    r->seed_at = (r->seed_at + 1) % r->nseeds;
    const dp_redis_url *u = &r->seeds[r->seed_at];
    dp_free(r->host);
    r->host = dp_strdup(u->host);
    r->port = u->port;
}

void dp__conn_up(dp_redis *r)
{
    if (r->state == DP_REDIS_UP || r->closing) return;
    r->state = DP_REDIS_UP;
    if (r->on_up) r->on_up(r, r->up_ud);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    dp_redis *r = ac->data;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        dp_warn("redis: cannot connect: %s", ac->errstr);
        r->ac = NULL;
        set_state(r, DP_REDIS_DOWN);
        next_seed(r);
        schedule_retry(r);
        maybe_closed(r);
        return;
    }
    r->connects++;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->conn_state = DP_REDIS_UP;
    r->state_since = uv_now(r->loop);
    if (r->path)
        dp_info("redis: connected to unix:%s", r->path);
    else if (!r->is_node)
        dp_info("redis: connected to %s:%d", r->host, r->port);
    if (r->on_connected)
        r->on_connected(r); /* the client says when it is up */
    else
        dp__conn_up(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    dp_redis *r = ac->data;
    r->ac = NULL;
    r->pending = 0;
    set_state(r, DP_REDIS_DOWN);
    r->disconnects++;
    if (!r->closing) {
        if (status != REDIS_OK) dp_warn("redis: connection lost: %s", ac->errstr);
        next_seed(r);
        schedule_retry(r);
        if (r->on_down) r->on_down(r, r->up_ud);
    }
    maybe_closed(r);
}

static void connect_now(dp_redis *r)
{
    if (r->closing || r->ac != NULL) return;
    redisAsyncContext *ac =
        r->path ? redisAsyncConnectUnix(r->path) : redisAsyncConnect(r->host, r->port);
    if (ac == NULL || ac->err) {
        dp_debug("redis: connect failed: %s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        set_state(r, DP_REDIS_DOWN);
        next_seed(r);
        schedule_retry(r);
        return;
    }
    ac->data = r;
    if (dp_redis_uv_attach(ac, r->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->pending = 0;
    set_state(r, DP_REDIS_CONNECTING);
}

/* Drops the connection from outside any hiredis callback: every pending
 * command's callback runs with NULL. */
void dp__conn_drop(dp_redis *r, const char *why)
{
    redisAsyncContext *ac = r->ac;
    if (ac == NULL) return;
    dp_warn("redis: dropping connection: %s", why);
    redisAsyncFree(ac); /* runs on_disconnect if it was connected */
    r->ac = NULL;
    r->pending = 0;
    set_state(r, DP_REDIS_DOWN);
    if (!uv_is_active((uv_handle_t *)&r->retry_timer)) schedule_retry(r);
}

static void on_watchdog(uv_timer_t *t)
{
    dp_redis *r = t->data;
    uint64_t now = uv_now(r->loop);
    if (r->conn_state == DP_REDIS_CONNECTING && now - r->state_since > r->timeout_ms) {
        r->timeouts++;
        dp__conn_drop(r, "connect timed out");
    } else if (r->conn_state == DP_REDIS_UP && r->pending > 0 &&
               now - r->last_progress > r->timeout_ms) {
        r->timeouts++;
        dp__conn_drop(r, "command timed out");
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    dp__conn_handle_closed(h->data);
}

void dp__conn_init(dp_redis *r, uv_loop_t *loop, uint64_t timeout_ms)
{
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->timeout_ms = timeout_ms;
    r->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(loop, &r->retry_timer);
    uv_timer_init(loop, &r->watchdog);
    r->retry_timer.data = r->watchdog.data = r;
    r->open_handles = 2;
}

void dp__conn_init_node(dp_redis *r, uv_loop_t *loop, const char *host, int port,
                        uint64_t timeout_ms)
{
    dp__conn_init(r, loop, timeout_ms);
    r->is_node = 1;
    r->host = dp_strdup(host);
    r->port = port;
}

void dp__conn_start(dp_redis *r)
{
    uint64_t tick = r->timeout_ms / 4 ? r->timeout_ms / 4 : 1;
    uv_timer_start(&r->watchdog, on_watchdog, tick, tick);
    connect_now(r);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    cmd_ctx *c = priv;
    dp_redis *r = c->r;
    if (r->pending > 0) r->pending--;
    if (reply != NULL) {
        r->last_progress = uv_now(r->loop);
        if (r->on_latency) r->on_latency(r->latency_ud, (uv_hrtime() - c->sent_ns) / 1000);
    }
    if (c->cb) c->cb(r, reply, c->priv); /* NULL: the answer is not wanted */
    dp_free(c);
}

int dp__conn_send(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len)
{
    if (r->conn_state != DP_REDIS_UP || r->ac == NULL || r->closing) return -EAGAIN;
    cmd_ctx *c = dp_malloc(sizeof(*c));
    c->r = r;
    c->cb = cb;
    c->priv = priv;
    c->sent_ns = uv_hrtime();
    if (redisAsyncFormattedCommand(r->ac, on_reply, c, cmd, len) != REDIS_OK) {
        dp_free(c);
        return -EAGAIN;
    }
    if (r->pending++ == 0) r->last_progress = uv_now(r->loop);
    return 0;
}

void dp__conn_close(dp_redis *r, int force, void (*on_closed)(void *), void *ud)
{
    if (r->closing) return;
    r->closing = 1;
    r->on_closed = on_closed;
    r->closed_ud = ud;
    uv_timer_stop(&r->retry_timer);
    uv_close((uv_handle_t *)&r->retry_timer, on_handle_closed);
    uv_close((uv_handle_t *)&r->watchdog, on_handle_closed);
    if (r->ac != NULL) {
        if (force || r->conn_state != DP_REDIS_UP) {
            redisAsyncContext *ac = r->ac;
            r->ac = NULL;
            redisAsyncFree(ac);
        } else {
            redisAsyncDisconnect(r->ac); /* after pending replies; then on_disconnect */
        }
    }
    set_state(r, DP_REDIS_DOWN);
    r->state = DP_REDIS_DOWN;
    dp_free(r->host);
    dp_free(r->path);
    dp_free(r->seeds);
    r->host = r->path = NULL;
    r->seeds = NULL;
    maybe_closed(r);
}
