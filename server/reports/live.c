#include "live.h"

#include <stdio.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "auth.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "clock.h"
#include "reports.h"

#define TICK_MS      1000
#define KEEPALIVE_MS 15000

typedef struct live_query live_query;

/* Whose answer this is: a command's place (answers from a cluster's
 * primaries do not come back in the order they were asked). */
typedef struct live_ask {
    live_query *q;
    size_t i;
} live_ask;

struct live_query {
    dp_reports_ctx *srv;
    size_t outstanding;
    int failed;
    size_t n;
    live_ask *asks; /* one per command in flight */
    struct {
        unsigned shard;
        long long score; /* its last event's receive time */
        char id[DP_ID_MAX + 1];
        char *fields[8];
    } s[2 * DP_LIVE_MAX]; /* the newest sessions with a link, then the newest of all */
    size_t nk[2];         /* how many of each */
};

static const char *const sess_fields[] = {"presentation", "prospect", "account", "mode",
                                          "last",         "lastrecv", "slides",  "seen"};

static unsigned listeners(dp_reports_ctx *s)
{
    return s->nlive;
}

static void broadcast(dp_reports_ctx *s, const char *data, size_t len)
{
    /* a write may end a stream, which takes it off the list: a copy */
    dp_req *to[DP_LIVE_LISTENERS];
    unsigned n = s->nlive;
    memcpy(to, s->live, n * sizeof(to[0]));
    for (unsigned i = 0; i < n; i++)
        dp_req_stream_write(to[i], data, len);
}

/* A listener's stream ended (the client went, was too slow, or the server
 * stops). */
static void unlisten(void *p)
{
    dp_req *req = p;
    dp_reports_ctx *s = req->ud;
    for (unsigned i = 0; i < s->nlive; i++)
        if (s->live[i] == req) {
            s->live[i] = s->live[--s->nlive];
            return;
        }
}

static void json_str(dp_buf *b, const char *name, const char *v)
{
    dp_buf_printf(b, ",\"%s\":", name);
    if (v == NULL || v[0] == '\0') {
        dp_buf_puts(b, "null");
        return;
    }
    dp_buf_puts(b, "\"");
    dp_buf_json_str(b, v, strlen(v));
    dp_buf_puts(b, "\"");
}

static void query_free(live_query *q)
{
    for (size_t i = 0; i < q->n; i++)
        for (int k = 0; k < 8; k++)
            dp_free(q->s[i].fields[k]);
    q->srv->live_busy = 0;
    dp_free(q->asks);
    dp_free(q);
}

/* A fresh set of command places, i = 0 .. n-1. */
static void asks_reset(live_query *q, size_t n)
{
    dp_free(q->asks);
    q->asks = dp_calloc(n ? n : 1, sizeof(*q->asks));
    for (size_t i = 0; i < n; i++)
        q->asks[i] = (live_ask){q, i};
}

static int has_link(char *const *f)
{
    return f[1] != NULL && f[1][0] != '\0'; /* its prospect: it came with a link token */
}

/* Link sessions before anonymous ones, each newest first. */
static int before(char *const *a, char *const *b)
{
    if (has_link(a) != has_link(b)) return has_link(a);
    long long x = a[5] ? atoll(a[5]) : 0, y = b[5] ? atoll(b[5]) : 0;
    return x > y;
}

/* The snapshot, sent if it changed: every session with a link token first
 * (a real prospect is never pushed off by a burst of anonymous pages), then
 * anonymous ones, at most DP_LIVE_ANONYMOUS_MAX of them, each group newest
 * first; DP_LIVE_MAX rows in all. */
static void publish(live_query *q)
{
    dp_reports_ctx *s = q->srv;
    /* insertion sort (at most 2 * DP_LIVE_MAX) */
    for (size_t i = 1; i < q->n; i++)
        for (size_t j = i; j > 0; j--) {
            if (!before(q->s[j].fields, q->s[j - 1].fields)) break;
            __typeof__(q->s[0]) t = q->s[j - 1];
            q->s[j - 1] = q->s[j];
            q->s[j] = t;
        }
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "{\"viewers\":[");
    size_t shown = 0, anonymous = 0;
    for (size_t i = 0; i < q->n && shown < DP_LIVE_MAX; i++) {
        char **f = q->s[i].fields;
        if (f[0] == NULL) continue; /* state expired */
        if (!has_link(f) && anonymous++ >= DP_LIVE_ANONYMOUS_MAX) break;
        /* last = material|slide|version|day|mode */
        char m[DP_ID_MAX + 1] = "", sl[DP_ID_MAX + 1] = "", ver[16] = "";
        if (f[4]) sscanf(f[4], "%64[^|]|%64[^|]|%15[^|]", m, sl, ver);
        dp_buf_printf(&b, "%s{\"session\":\"%s\"", shown ? "," : "", q->s[i].id);
        json_str(&b, "presentation", f[0]);
        json_str(&b, "prospect", f[1]);
        json_str(&b, "account", f[2]);
        json_str(&b, "mode", f[3]);
        json_str(&b, "material", m);
        json_str(&b, "slide", sl);
        dp_buf_printf(&b, ",\"version\":%s,\"slides\":%s,\"seen\":%s,\"last_seen\":%s}",
                      ver[0] ? ver : "null", f[6] ? f[6] : "0", f[7] ? f[7] : "0",
                      f[5] ? f[5] : "0");
        shown++;
    }
    dp_buf_puts(&b, "]}");
    if (listeners(s) == 0) { /* they left while it was read: nobody to keep it for */
        dp_buf_free(&b);
        return;
    }
    uint64_t now = uv_now(s->loop);
    int changed = s->live_last == NULL || strcmp(s->live_last, b.data) != 0;
    if (changed) {
        dp_free(s->live_last);
        s->live_last = dp_strdup(b.data);
        dp_buf out;
        dp_buf_init(&out, 0);
        dp_buf_printf(&out, "event: viewers\ndata: {\"at\":%lld,%s\n\n", (long long)dp_now_ms(),
                      b.data + 1);
        broadcast(s, out.data, out.len);
        dp_buf_free(&out);
        s->live_sent_at = now;
    } else if (now - s->live_sent_at >= KEEPALIVE_MS) {
        broadcast(s, ": keepalive\n\n", 13);
        s->live_sent_at = now;
    }
    dp_buf_free(&b);
}

static void on_state(dp_redis *r, redisReply *reply, void *priv)
{
    live_query *q = ((live_ask *)priv)->q;
    size_t i = ((live_ask *)priv)->i;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) q->failed = 1;
    if (!q->failed && reply->type == REDIS_REPLY_ARRAY)
        for (size_t k = 0; k < reply->elements && k < 8; k++)
            if (reply->element[k]->type == REDIS_REPLY_STRING)
                q->s[i].fields[k] = dp_strndup(reply->element[k]->str, reply->element[k]->len);
    if (--q->outstanding > 0) return;
    if (!q->failed && !*q->srv->stopping) publish(q);
    query_free(q);
}

static void read_states(live_query *q)
{
    dp_reports_ctx *s = q->srv;
    if (q->n == 0) {
        publish(q);
        query_free(q);
        return;
    }
    size_t sent = 0;
    asks_reset(q, q->n);
    for (size_t i = 0; i < q->n; i++) {
        char key[128];
        dp_key_sess(key, sizeof(key), q->s[i].shard, q->s[i].id);
        const char *argv[10] = {"HMGET", key};
        for (int k = 0; k < 8; k++)
            argv[2 + k] = sess_fields[k];
        q->outstanding++;
        if (dp_redis_command(&s->rredis, on_state, &q->asks[i], 10, argv, NULL) != 0) {
            q->outstanding--;
            q->failed = 1;
            break;
        }
        sent++;
    }
    if (sent < q->n) {
        /* some never went: the ones that did answer later; stop counting on them */
        q->n = sent;
        if (q->outstanding == 0) query_free(q);
    }
}

static void on_open(dp_redis *r, redisReply *reply, void *priv)
{
    live_query *q = ((live_ask *)priv)->q;
    /* per shard, its link sessions (even places), then all its sessions */
    unsigned shard = (unsigned)(((live_ask *)priv)->i / 2),
             kind = (unsigned)(((live_ask *)priv)->i % 2);
    (void)r;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        q->failed = 1;
    } else {
        /* each shard's newest, newest first: keep the DP_LIVE_MAX newest of
         * all the shards, not the first shards' */
        __typeof__(q->s[0]) *v = q->s + kind * DP_LIVE_MAX;
        size_t *n = &q->nk[kind];
        for (size_t k = 0; k + 1 < reply->elements; k += 2) {
            const redisReply *e = reply->element[k], *sc = reply->element[k + 1];
            if (e->type != REDIS_REPLY_STRING || e->len > DP_ID_MAX ||
                sc->type != REDIS_REPLY_STRING)
                continue;
            long long score = atoll(sc->str);
            size_t at = *n;
            if (*n == DP_LIVE_MAX) {
                size_t min = 0;
                for (size_t i = 1; i < *n; i++)
                    if (v[i].score < v[min].score) min = i;
                if (score <= v[min].score) break; /* the rest of this shard is older */
                at = min;
            } else {
                (*n)++;
            }
            v[at].shard = shard;
            v[at].score = score;
            memcpy(v[at].id, e->str, e->len);
            v[at].id[e->len] = '\0';
        }
    }
    if (--q->outstanding > 0) return;
    if (q->failed || *q->srv->stopping) {
        query_free(q);
        return;
    }
    /* one array: the link sessions, then the others not among them */
    q->n = q->nk[0];
    for (size_t i = 0; i < q->nk[1]; i++) {
        const __typeof__(q->s[0]) *o = &q->s[DP_LIVE_MAX + i];
        size_t j = 0;
        while (j < q->nk[0] && (q->s[j].shard != o->shard || strcmp(q->s[j].id, o->id) != 0))
            j++;
        if (j == q->nk[0]) q->s[q->n++] = *o;
    }
    read_states(q);
}

static void on_tick(uv_timer_t *t)
{
    dp_reports_ctx *s = t->data;
    if (listeners(s) == 0) {
        /* nobody keeps the picture current now: the next listener waits
         * for a fresh one (the timer starts at once) rather than get this */
        uv_timer_stop(t);
        dp_free(s->live_last);
        s->live_last = NULL;
        return;
    }
    if (s->live_busy || !s->have_rredis || s->rredis.state != DP_REDIS_UP) return;
    live_query *q = dp_calloc(1, sizeof(*q));
    q->srv = s;
    s->live_busy = 1;
    char min[24];
    snprintf(min, sizeof(min), "%lld", (long long)(dp_now_ms() - DP_LIVE_WINDOW_MS));
    unsigned shards = (unsigned)s->cfg->shards;
    asks_reset(q, 2 * (size_t)shards);
    for (unsigned n = 0; n < 2 * shards && !q->failed; n++) {
        char key[32], lim[16];
        if (n % 2 == 0)
            dp_key_openl(key, sizeof(key), n / 2);
        else
            dp_key_open(key, sizeof(key), n / 2);
        snprintf(lim, sizeof(lim), "%d", DP_LIVE_MAX);
        const char *argv[] = {"ZRANGE", key,     "+inf", min, "BYSCORE",
                              "REV",    "LIMIT", "0",    lim, "WITHSCORES"};
        q->outstanding++;
        if (dp_redis_command(&s->rredis, on_open, &q->asks[n], 10, argv, NULL) != 0) {
            q->outstanding--;
            q->failed = 1;
        }
    }
    if (q->outstanding == 0) query_free(q);
}

void dp_live_start(dp_reports_ctx *s)
{
    uv_timer_init(s->loop, &s->live_timer);
    s->live_timer.data = s;
    dp_temp_watch_start(s);
}

static void on_timer_closed(uv_handle_t *h)
{
    dp_reports_ctx *s = h->data;
    if (s->live_closed) s->live_closed(s->live_closed_ud);
}

void dp_live_stop(dp_reports_ctx *s, void (*on_closed)(void *ud), void *ud)
{
    s->live_closed = on_closed;
    s->live_closed_ud = ud;
    dp_temp_watch_stop(s);
    uv_close((uv_handle_t *)&s->live_timer, on_timer_closed);
    dp_free(s->live_last);
    s->live_last = NULL;
}

void dp_route_live(dp_req *req)
{
    dp_reports_ctx *s = req->ud;
    if (dp_req_authorize(req, ((dp_reports_ctx *)req->ud)->keys, DP_ROLE_SALES, 1,
                         "watch live viewers") == DP_ROLE_NONE)
        return;
    if (listeners(s) >= DP_LIVE_LISTENERS) {
        dp_req_error(req, 503, "too many live listeners; retry later");
        return;
    }
    unsigned mine = 0;
    for (unsigned i = 0; i < s->nlive; i++)
        mine += s->live[i]->key_ix == req->key_ix;
    if (mine >= (unsigned)s->cfg->live_streams_per_key) {
        dp_req_error(req, 503, "too many live listeners with this API key (live_streams_per_key)");
        return;
    }
    if (dp_req_stream_begin(req, "text/event-stream",
                            "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n") != 0)
        return; /* HEAD: the head alone */
    s->live[s->nlive++] = req;
    dp_req_on_abort(req, unlisten, req);
    /* what is known now, at once; then every change */
    char head[] = "retry: 2000\n\n";
    dp_req_stream_write(req, head, sizeof(head) - 1);
    if (s->live_last) {
        dp_buf out;
        dp_buf_init(&out, 0);
        dp_buf_printf(&out, "event: viewers\ndata: {\"at\":%lld,%s\n\n", (long long)dp_now_ms(),
                      s->live_last + 1);
        dp_req_stream_write(req, out.data, out.len);
        dp_buf_free(&out);
    }
    if (!uv_is_active((uv_handle_t *)&s->live_timer)) {
        uv_timer_start(&s->live_timer, on_tick, 0, TICK_MS);
    }
}
