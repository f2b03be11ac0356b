/* GET /healthz, /readyz, /metrics. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "ops.h"
#include "ops_routes.h"

static void dp_route_healthz(dp_req *req)
{
    static const char body[] = "{\"status\":\"ok\"}";
    dp_req_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                   sizeof(body) - 1);
}

static void dp_route_readyz(dp_req *req)
{
    const dp_ops_ctx *o = req->ud;
    dp_redis_state st = o->redis ? o->redis->state : DP_REDIS_DOWN;
    if (st == DP_REDIS_UP && !*o->stopping) {
        static const char body[] = "{\"status\":\"ready\",\"redis\":\"up\"}";
        dp_req_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", body,
                       sizeof(body) - 1);
    } else {
        char body[96];
        int n = snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"redis\":\"%s\"%s}",
                         dp_redis_state_name(st), *o->stopping ? ",\"stopping\":true" : "");
        char extra[64];
        snprintf(extra, sizeof(extra), "Retry-After: %lld\r\nCache-Control: no-store\r\n",
                 (long long)o->cfg->retry_after_s);
        dp_req_respond(req, 503, "application/json", extra, body, (size_t)n);
    }
}

/* /metrics also reports the streams and the collectors, read from Redis
 * when it is up: per shard XLEN, the rollup group's pending and lag, the
 * dead letters; and the counters the collectors publish. */
enum { Q_LEN, Q_GROUPS, Q_DEAD, Q_COLLECTORS };

typedef struct metrics_op metrics_op;
typedef struct metrics_q {
    metrics_op *op;
    unsigned shard;
    int kind;
} metrics_q;

struct metrics_op {
    dp_ops_ctx *srv;
    dp_req *req;
    size_t outstanding;
    unsigned shards;
    long long *len, *pending, *lag, *dead; /* -1 when unknown */
    metrics_q *qs;
    dp_buf collectors; /* rendered lines */
};

static void metrics_detach(void *p)
{
    ((metrics_op *)p)->req = NULL;
}

static void series(dp_buf *b, const char *name, const char *help, const long long *v, unsigned n)
{
    dp_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (unsigned i = 0; i < n; i++)
        if (v[i] >= 0) dp_buf_printf(b, "%s{shard=\"%u\"} %lld\n", name, i, v[i]);
}

static void metrics_done(metrics_op *op)
{
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        dp_buf b;
        dp_buf_init(&b, 0);
        op->srv->render(op->srv->ud, &b);
        series(&b, "dp_stream_length", "Entries in the event stream.", op->len, op->shards);
        series(&b, "dp_stream_pending", "Entries delivered to collectors, not yet acknowledged.",
               op->pending, op->shards);
        series(&b, "dp_stream_lag", "Entries not yet delivered to any collector (consumer lag).",
               op->lag, op->shards);
        series(&b, "dp_dead_letters", "Entries in the dead-letter stream.", op->dead, op->shards);
        dp_buf_append(&b, op->collectors.data ? op->collectors.data : "", op->collectors.len);
        dp_req_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                       "Cache-Control: no-store\r\n", b.data, b.len);
        dp_buf_free(&b);
    }
    dp_free(op->len);
    dp_free(op->qs);
    dp_buf_free(&op->collectors);
    dp_free(op);
}

static void collector_lines(metrics_op *op, const redisReply *r)
{
    static const struct {
        const char *field, *metric, *type, *help;
    } m[] = {
        {"batches", "dp_collector_batches_total", "counter", "Batches applied."},
        {"events", "dp_collector_events_total", "counter", "Events read from the stream."},
        {"applied", "dp_collector_applied_total", "counter", "Events counted (first delivery)."},
        {"duplicates", "dp_collector_duplicates_total", "counter", "Duplicate events dropped."},
        {"dead", "dp_collector_dead_letters_total", "counter", "Entries dead-lettered."},
        {"ended", "dp_collector_sessions_ended_total", "counter", "Sessions ended by timeout."},
        {"unplaced", "dp_collector_unplaced_views_total", "counter",
         "Views past the slides their session announced: counted as views, not positions."},
        {"refused_slides", "dp_collector_refused_slides_total", "counter",
         "Events not counted: their presentation had named max_slides_per_presentation "
         "slide versions."},
        {"refused_actions", "dp_collector_refused_actions_total", "counter",
         "Events not counted: their presentation had named max_actions_per_presentation "
         "action names."},
        {"conflicts", "dp_collector_conflicts_total", "counter",
         "Batches started again: state they read changed before their writes."},
        {"events_per_s", "dp_collector_events_per_second", "gauge",
         "Events per second, last second."},
        {"updated", "dp_collector_updated_ms", "gauge",
         "When the collector last reported (epoch ms)."},
    };
    for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
        int header = 0;
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const char *f = r->element[i]->str, *bar = strrchr(f, '|');
            if (bar == NULL || strcmp(bar + 1, m[k].field) != 0) continue;
            if (!dp_id_valid(f, (size_t)(bar - f))) continue;
            if (!header)
                dp_buf_printf(&op->collectors, "# HELP %s %s\n# TYPE %s %s\n", m[k].metric,
                              m[k].help, m[k].metric, m[k].type);
            header = 1;
            dp_buf_printf(&op->collectors, "%s{collector=\"%.*s\"} %s\n", m[k].metric,
                          (int)(bar - f), f, r->element[i + 1]->str);
        }
    }
}

static void on_metrics_reply(dp_redis *rd, redisReply *r, void *priv)
{
    metrics_q *q = priv;
    metrics_op *op = q->op;
    (void)rd;
    if (r != NULL && r->type != REDIS_REPLY_ERROR) {
        switch (q->kind) {
        case Q_LEN:
            op->len[q->shard] = r->integer;
            break;
        case Q_DEAD:
            op->dead[q->shard] = r->integer;
            break;
        case Q_GROUPS:
            for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
                const redisReply *grp = r->element[g];
                int ours = 0;
                long long pending = -1, lag = -1;
                for (size_t k = 0; k + 1 < grp->elements; k += 2) {
                    const char *f = grp->element[k]->str;
                    const redisReply *v = grp->element[k + 1];
                    if (!strcmp(f, "name"))
                        ours = v->str && !strcmp(v->str, DP_GROUP);
                    else if (!strcmp(f, "pending"))
                        pending = v->integer;
                    else if (!strcmp(f, "lag") && v->type == REDIS_REPLY_INTEGER)
                        lag = v->integer;
                }
                if (ours) {
                    op->pending[q->shard] = pending;
                    op->lag[q->shard] = lag;
                }
            }
            break;
        case Q_COLLECTORS:
            if (r->type == REDIS_REPLY_ARRAY) collector_lines(op, r);
            break;
        }
    }
    if (--op->outstanding == 0) metrics_done(op);
}

/* With metrics_token set, the scraper's "Authorization: Bearer <token>",
 * compared in constant time. 1 when it may read /metrics (else answered). */
static int may_read(dp_req *req, const dp_ops_ctx *s)
{
    const char *want = s->cfg->metrics_token;
    if (want == NULL || want[0] == '\0') return 1;
    size_t n, wn = strlen(want);
    const char *h = dp_req_header(req, "authorization", &n);
    if (h && n == 7 + wn && !strncasecmp(h, "Bearer ", 7) && sodium_memcmp(h + 7, want, wn) == 0)
        return 1;
    dp_req_error_with(req, 401, "WWW-Authenticate: Bearer\r\n",
                      "missing or invalid metrics token (Authorization: Bearer TOKEN)");
    return 0;
}

static void dp_route_metrics(dp_req *req)
{
    dp_ops_ctx *s = req->ud;
    if (!may_read(req, s)) return;
    if (s->redis == NULL || s->redis->state != DP_REDIS_UP) {
        dp_buf b;
        dp_buf_init(&b, 0);
        s->render(s->ud, &b);
        dp_req_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                       "Cache-Control: no-store\r\n", b.data, b.len);
        dp_buf_free(&b);
        return;
    }
    metrics_op *op = dp_calloc(1, sizeof(*op));
    unsigned n = (unsigned)s->cfg->shards;
    op->srv = s;
    op->shards = n;
    op->len = dp_malloc(4 * n * sizeof(long long));
    op->pending = op->len + n;
    op->lag = op->len + 2 * n;
    op->dead = op->len + 3 * n;
    for (unsigned i = 0; i < 4 * n; i++)
        op->len[i] = -1;
    op->qs = dp_calloc(3 * n + 1, sizeof(metrics_q));
    dp_buf_init(&op->collectors, 0);
    op->req = req;
    dp_req_on_abort(req, metrics_detach, op);
    op->outstanding = 1;
    size_t k = 0;
    char collectors[32];
    dp_key_collectors(collectors, sizeof(collectors));
    for (unsigned sh = 0; sh <= n; sh++) {
        char stream[32], dead[32];
        dp_key_stream(stream, sizeof(stream), sh);
        dp_key_dead(dead, sizeof(dead), sh);
        const char *cmds[3][3] = {
            {"XLEN", stream, NULL}, {"XINFO", "GROUPS", stream}, {"XLEN", dead, NULL}};
        int kinds[3] = {Q_LEN, Q_GROUPS, Q_DEAD}, argcs[3] = {2, 3, 2};
        if (sh == n) {
            cmds[0][0] = "HGETALL";
            cmds[0][1] = collectors;
            kinds[0] = Q_COLLECTORS;
        }
        for (int j = 0; j < (sh == n ? 1 : 3); j++) {
            metrics_q *q = &op->qs[k++];
            q->op = op;
            q->shard = sh;
            q->kind = kinds[j];
            size_t lens[3];
            for (int a = 0; a < argcs[j]; a++)
                lens[a] = strlen(cmds[j][a]);
            if (dp_redis_command(s->redis, on_metrics_reply, q, argcs[j], cmds[j], lens) == 0)
                op->outstanding++;
        }
    }
    if (--op->outstanding == 0) metrics_done(op);
}

int dp_ops_register(dp_router *rt, dp_ops_ctx *s)
{
    const dp_route rows[] = {
        {DP_GET, "/healthz", 0, dp_route_healthz, s, "healthz", NULL},
        {DP_GET, "/readyz", 0, dp_route_readyz, s, "readyz", NULL},
        {DP_GET, "/metrics", 0, dp_route_metrics, s, "metrics", NULL},
        {DP_GET, "/beacon.js", 0, dp_route_beacon, s, "beacon", NULL},
        {DP_GET, "/beacon.", DP_ROUTE_PREFIX, dp_route_beacon, s, "beacon", NULL},
        /* the dashboards' files: after every other route, GET only */
        {DP_GET, "/", DP_ROUTE_PREFIX | DP_ROUTE_FALLBACK, dp_dashboards_route, s, "other", NULL},
        {DP_GET, "/", DP_ROUTE_FALLBACK, dp_dashboards_route, s, "other", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (dp_router_add(rt, &rows[i]) != 0) return -E2BIG;
    return 0;
}
