/* One XADD per shard per loop iteration: xadd_group.h. */
#include "xadd_group.h"

#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "log.h"
#include "resp.h"

/* Room kept before the text for the XADD's RESP head, written when the
 * group is sent, so the text is never copied on our side. */
#define HEAD_ROOM DP_XGROUP_HEAD_MAX

typedef struct member {
    void *ud;
    size_t off, len; /* its lines in text */
} member;

struct dp_xgroup {
    dp_xgroups *owner;
    uint64_t born_ns; /* when its first batch joined */
    unsigned shard;
    dp_buf text; /* HEAD_ROOM bytes, then the batches' lines */
    member *m;
    size_t n, cap;
    uint64_t events;
    uint64_t sent_ns;
    int answers; /* still awaited: the XADD's, and the WAIT's */
    int failed;
};

static void on_check(uv_check_t *h);
static void on_hold(uv_timer_t *t);

void dp_xgroups_init(dp_xgroups *g, uv_loop_t *loop, dp_redis *redis, unsigned shards,
                     uint64_t hold_us, dp_xgroup_cb cb)
{
    memset(g, 0, sizeof(*g));
    g->hold_us = hold_us;
    g->loop = loop;
    g->redis = redis;
    g->cb = cb;
    g->shards = shards ? shards : 1;
    g->filling = dp_calloc(g->shards, sizeof(*g->filling));
    g->inflight = dp_calloc(g->shards, sizeof(*g->inflight));
    uv_check_init(loop, &g->check);
    g->check.data = g;
    uv_timer_init(loop, &g->hold);
    g->hold.data = g;
    uv_unref((uv_handle_t *)&g->hold);
    g->check_open = 1;
}

static dp_xgroup *group_new(dp_xgroups *g, unsigned shard)
{
    dp_xgroup *x = dp_calloc(1, sizeof(*x));
    x->owner = g;
    x->shard = shard;
    dp_buf_init(&x->text, 0);
    dp_buf_reserve(&x->text, HEAD_ROOM + 4096);
    x->text.len = HEAD_ROOM;
    x->born_ns = uv_hrtime();
    return x;
}

static void group_free(dp_xgroup *x)
{
    dp_buf_free(&x->text);
    dp_free(x->m);
    dp_free(x);
}

/* Every member's answer, then the group is gone. */
static void done(dp_xgroup *x, int status)
{
    dp_xgroups *g = x->owner;
    for (size_t i = 0; i < x->n; i++)
        g->cb(x->m[i].ud, status, x->text.data + x->m[i].off, x->m[i].len);
    group_free(x);
}

/* Both answers in (or the one, without WAIT): the members are told. */
static void settle(dp_xgroup *x)
{
    dp_xgroups *g = x->owner;
    if (--x->answers > 0) return;
    /* the shard's next group goes at the end of this loop iteration, with
     * the batches read in it */
    if (--g->inflight[x->shard] == 0 && g->filling[x->shard] &&
        !uv_is_active((uv_handle_t *)&g->check) && g->check_open)
        uv_check_start(&g->check, on_check);
    done(x, x->failed ? -EIO : 0);
}

static void on_reply(dp_redis *r, redisReply *reply, void *priv)
{
    dp_xgroup *x = priv;
    dp_xgroups *g = x->owner;
    (void)r;
    if (reply != NULL && g->on_latency)
        g->on_latency(g->latency_ud, (uv_hrtime() - x->sent_ns) / 1000);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        x->failed = 1;
        dp_warn("ingest: XADD of %zu batch(es) failed: %s", x->n,
                reply ? reply->str : "connection lost");
    }
    settle(x);
}

/* WAIT's answer: how many replicas have everything the connection wrote. */
static void on_wait(dp_redis *r, redisReply *reply, void *priv)
{
    dp_xgroup *x = priv;
    dp_xgroups *g = x->owner;
    (void)r;
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER ||
        reply->integer < (long long)g->wait_replicas) {
        if (!x->failed)
            dp_warn("ingest: %zu batch(es) not confirmed by %u replica(s) in %llu ms (%s); "
                    "spooled",
                    x->n, g->wait_replicas, (unsigned long long)g->wait_ms,
                    reply == NULL                      ? "connection lost"
                    : reply->type == REDIS_REPLY_ERROR ? reply->str
                                                       : "too few replicas");
        x->failed = 1;
        g->unreplicated++;
    }
    settle(x);
}

static char *put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}

/* "$len\r\nvalue\r\n" */
static char *put_bulk(char *w, const char *s, size_t n)
{
    char num[24];
    size_t nl;
    const char *d = dp_i64_to_str((int64_t)n, num, &nl);
    *w++ = '$';
    w = put(w, d, nl);
    w = put(w, "\r\n", 2);
    w = put(w, s, n);
    return put(w, "\r\n", 2);
}

size_t dp_xgroup_head(char *out, const char *stream, uint64_t k, uint64_t n, size_t textlen)
{
    char kn[24], nn[24], tl[24];
    size_t kl, nl, tll;
    const char *ks = dp_i64_to_str((int64_t)k, kn, &kl);
    const char *ns = dp_i64_to_str((int64_t)n, nn, &nl);
    const char *t = dp_i64_to_str((int64_t)textlen, tl, &tll);
    char *w = out;
    w = put(w, "*11\r\n$4\r\nXADD\r\n", 15);
    w = put_bulk(w, stream, strlen(stream));
    w = put(w, "$1\r\n*\r\n$1\r\nv\r\n", 14);
    w = put_bulk(w, DP_ENTRY_VERSION, 1);
    w = put(w, "$1\r\nk\r\n", 7);
    w = put_bulk(w, ks, kl);
    w = put(w, "$1\r\nn\r\n", 7);
    w = put_bulk(w, ns, nl);
    w = put(w, "$7\r\nbatches\r\n$", 14);
    w = put(w, t, tll);
    w = put(w, "\r\n", 2);
    return (size_t)(w - out);
}

static void send_group(dp_xgroups *g, dp_xgroup *x)
{
    g->filling[x->shard] = NULL;
    char stream[32], head[DP_XGROUP_HEAD_MAX];
    dp_key_stream(stream, sizeof(stream), x->shard);
    size_t hl = dp_xgroup_head(head, stream, x->n, x->events, x->text.len - HEAD_ROOM);
    char *start = x->text.data + HEAD_ROOM - hl;
    memcpy(start, head, hl);
    dp_buf_append(&x->text, "\r\n", 2);
    x->sent_ns = uv_hrtime();
    size_t len = (size_t)(x->text.data + x->text.len - start);
    if (dp_redis_formatted(g->redis, on_reply, x, start, len) != 0) {
        done(x, -EAGAIN);
        return;
    }
    x->answers = 1;
    if (g->wait_replicas) {
        /* on the XADD's own connection: WAIT counts what it wrote */
        char cmd[96];
        int cl = snprintf(cmd, sizeof(cmd), "*3\r\n$4\r\nWAIT\r\n$%d\r\n%u\r\n$%d\r\n%llu\r\n",
                          snprintf(NULL, 0, "%u", g->wait_replicas), g->wait_replicas,
                          snprintf(NULL, 0, "%llu", (unsigned long long)g->wait_ms),
                          (unsigned long long)g->wait_ms);
        if (dp_redis_formatted_at(g->redis, stream, strlen(stream), on_wait, x, cmd, (size_t)cl) ==
            0)
            x->answers++;
        else
            x->failed = 1; /* sent, but it cannot be confirmed */
    }
    g->inflight[x->shard]++;
    g->sent++;
    g->members += x->n;
}

int dp_xgroup_add(dp_xgroups *g, unsigned shard, void *member_ud, uint32_t nevents,
                  int (*write)(void *ud, dp_buf *text), void *ud)
{
    if (!g->check_open) return -EAGAIN;
    if (shard >= g->shards) return -EINVAL;
    /* batches joining per millisecond, the window before this one */
    uint64_t now = uv_hrtime();
    if (now - g->win_ns >= 1000000) {
        g->prev_win = now - g->win_ns < 2000000 ? g->win : 0;
        g->win_ns = now;
        g->win = 0;
    }
    g->win++;
    dp_xgroup *x = g->filling[shard];
    if (x && (x->n >= DP_ENTRY_BATCHES_MAX || x->text.len - HEAD_ROOM >= DP_XGROUP_BYTES)) {
        send_group(g, x); /* full: the member starts the next one */
        x = NULL;
    }
    int fresh = x == NULL;
    if (fresh) x = group_new(g, shard);
    size_t mark = x->text.len;
    if (x->n) dp_buf_append(&x->text, "\n", 1);
    size_t off = x->text.len;
    int rc = write(ud, &x->text);
    if (rc != 0) {
        if (fresh) {
            group_free(x);
        } else {
            x->text.len = mark;
        }
        return rc;
    }
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        x->m = dp_realloc(x->m, x->cap * sizeof(*x->m));
    }
    x->m[x->n++] = (member){member_ud, off, x->text.len - off};
    x->events += nevents;
    g->filling[shard] = x;
    if (g->inflight[shard] == 0 && !uv_is_active((uv_handle_t *)&g->check))
        uv_check_start(&g->check, on_check);
    return 0;
}

void dp_xgroups_flush(dp_xgroups *g)
{
    for (unsigned i = 0; i < g->shards; i++)
        if (g->filling[i]) send_group(g, g->filling[i]);
}

/* Sends the groups that may go: not while the shard's previous XADD is
 * unanswered (the group goes when that answer comes, with whatever joined
 * meanwhile), and, while batches arrive fast, not before the group holds
 * DP_XGROUP_HOLD_BATCHES or is hold_us old. 1 if a group was held back. */
static int send_ready(dp_xgroups *g)
{
    uint64_t now = uv_hrtime();
    int busy = g->hold_us > 0 && g->prev_win >= DP_XGROUP_HOLD_RATE;
    int held = 0;
    for (unsigned i = 0; i < g->shards; i++) {
        dp_xgroup *x = g->filling[i];
        if (x == NULL || g->inflight[i]) continue;
        if (busy && x->n < DP_XGROUP_HOLD_BATCHES && now - x->born_ns < g->hold_us * 1000) {
            held = 1;
            continue;
        }
        send_group(g, x);
    }
    return held;
}

/* After the poll phase that read this iteration's requests; while a group
 * is held back, every iteration looks again, and a timer makes sure there
 * is one soon (libuv's timers count milliseconds: the hold is at most 1 ms
 * past hold_us). */
static void on_check(uv_check_t *h)
{
    dp_xgroups *g = h->data;
    uv_check_stop(h);
    if (send_ready(g)) {
        uv_check_start(h, on_check);
        if (!uv_is_active((uv_handle_t *)&g->hold)) uv_timer_start(&g->hold, on_hold, 1, 0);
    }
}

static void on_hold(uv_timer_t *t)
{
    (void)t; /* the loop woke up: on_check looks again after the poll */
}

static void on_handle_closed(uv_handle_t *h)
{
    dp_xgroups *g = h->data;
    if (--g->closing == 0 && g->on_closed) g->on_closed(g->closed_ud);
}

void dp_xgroups_close(dp_xgroups *g, void (*on_closed)(void *), void *ud)
{
    dp_xgroups_flush(g);
    if (!g->check_open) return;
    g->check_open = 0;
    g->on_closed = on_closed;
    g->closed_ud = ud;
    g->closing = 2;
    uv_close((uv_handle_t *)&g->check, on_handle_closed);
    uv_close((uv_handle_t *)&g->hold, on_handle_closed);
}

void dp_xgroups_free(dp_xgroups *g)
{
    if (g->filling)
        for (unsigned i = 0; i < g->shards; i++)
            if (g->filling[i]) group_free(g->filling[i]);
    dp_free(g->filling);
    dp_free(g->inflight);
    g->filling = NULL;
    g->inflight = NULL;
}
