#include "rquery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "auth.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "clock.h"
#include "log.h"
#include "reply.h"
#include "resp.h"

typedef struct rq_cmd {
    dp_rq *q;
    dp_rq_reply_fn fn;
    void *tag;
    size_t itag;
} rq_cmd;

static void detach(void *p)
{
    ((dp_rq *)p)->req = NULL;
}

static void end_flight(dp_rq *q, int status, const char *ctype, const char *body, size_t len,
                       const char *msg);

static void rq_free(dp_rq *q)
{
    if (q->in_flight) end_flight(q, 503, NULL, NULL, 0, "report computation stopped; retry");
    if (q->req) dp_req_on_abort(q->req, NULL, NULL);
    if (q->destroy) q->destroy(q->state);
    dp_free(q->cache_key);
    dp_buf_free(&q->stamp);
    dp_buf_free(&q->cmd);
    dp_free(q);
}

const char *dp_reply_str(const redisReply *r, size_t *len)
{
    if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
        *len = r->len;
        return r->str;
    }
    *len = 0;
    return "";
}

dp_rq *dp_rq_open(dp_req *req, int roles, const char *what)
{
    char action[64];
    snprintf(action, sizeof(action), "read %s", what);
    if (dp_req_authorize(req, ((dp_reports_ctx *)req->ud)->keys, roles, 0, action) == DP_ROLE_NONE)
        return NULL;
    const char *path, *query;
    size_t plen, qlen, alen;
    dp_http_req_path(req->http, &path, &plen, &query, &qlen);
    const char *accept = dp_http_req_header(req->http, "accept", &alen);
    dp_rq *q = dp_calloc(1, sizeof(*q));
    dp_err err;
    q->today = dp_now_ms() / 86400000;
    if (dp_report_params_parse(&q->p, query, qlen, accept, alen, q->today, &err) != 0) {
        dp_free(q);
        dp_req_error(req, 400, err.msg);
        return NULL;
    }
    if (req->csv) q->p.format = DP_FORMAT_CSV;
    q->req = req;
    q->key_ix = req->key_ix;
    q->srv = ((dp_reports_ctx *)req->ud);
    q->shards = (unsigned)((dp_reports_ctx *)req->ud)->cfg->shards;
    dp_buf_init(&q->stamp, 0);
    dp_buf_init(&q->cmd, 0);
    if (!((dp_reports_ctx *)req->ud)->have_rredis ||
        ((dp_reports_ctx *)req->ud)->rredis.state != DP_REDIS_UP) {
        rq_free(q);
        dp_req_error(req, 503, "reports unavailable: Redis is not reachable; retry later");
        return NULL;
    }
    dp_req_on_abort(req, detach, q);
    return q;
}

dp_rq *dp_rq_internal(dp_reports_ctx *srv)
{
    if (!srv->have_rredis || srv->rredis.state != DP_REDIS_UP) return NULL;
    dp_rq *q = dp_calloc(1, sizeof(*q));
    dp_err err;
    q->today = dp_now_ms() / 86400000;
    dp_report_params_parse(&q->p, "", 0, NULL, 0, q->today, &err); /* the defaults */
    q->srv = srv;
    q->shards = (unsigned)srv->cfg->shards;
    q->key_ix = -1;
    q->background = 1; /* nobody waits: it runs to its end */
    dp_buf_init(&q->stamp, 0);
    dp_buf_init(&q->cmd, 0);
    return q;
}

/* Nobody to answer and nothing to cache: stop. */
static int orphan(const dp_rq *q)
{
    return q->req == NULL && !q->background && q->nwaiters == 0;
}

static void round_done(dp_rq *q)
{
    if (orphan(q)) {
        rq_free(q);
        return;
    }
    if (q->too_big) {
        dp_rq_fail(q, 413, "report too large: ask for a shorter date range");
        return;
    }
    if (q->failed) {
        dp_rq_fail(q, 503, "reports unavailable: Redis did not answer; retry later");
        return;
    }
    dp_rq_step_fn next = q->next;
    q->next = NULL;
    next(q);
}

static void on_reply(dp_redis *r, redisReply *reply, void *priv)
{
    rq_cmd *cmd = priv;
    dp_rq *q = cmd->q;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        if (!q->failed && reply) dp_warn("report query: redis: %s", reply->str);
        q->failed = 1;
    } else if (!orphan(q) && !q->failed && !q->too_big && cmd->fn) {
        cmd->fn(q, reply, cmd->tag, cmd->itag);
    }
    dp_free(cmd);
    if (--q->outstanding == 0) {
        if (orphan(q))
            rq_free(q);
        else if (q->next)
            round_done(q);
    }
}

static void send_cmd(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag)
{
    if (q->failed || q->too_big) {
        dp_buf_reset(&q->cmd);
        return;
    }
    if (++q->commands > DP_RQ_COMMANDS_MAX) {
        q->too_big = 1;
        dp_buf_reset(&q->cmd);
        return;
    }
    rq_cmd *cmd = dp_malloc(sizeof(*cmd));
    *cmd = (rq_cmd){q, fn, tag, itag};
    if (dp_redis_formatted(&q->srv->rredis, on_reply, cmd, q->cmd.data, q->cmd.len) == 0) {
        q->outstanding++;
    } else {
        q->failed = 1;
        dp_free(cmd);
    }
    dp_buf_reset(&q->cmd);
}

void dp_rq_cmd(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, size_t argc,
               const char *const *argv)
{
    dp_resp_array(&q->cmd, argc);
    for (size_t i = 0; i < argc; i++)
        dp_resp_str(&q->cmd, argv[i]);
    send_cmd(q, fn, tag, itag);
}

void dp_rq_cmd_len(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, size_t argc,
                   const char *const *argv, const size_t *lens)
{
    dp_resp_command(&q->cmd, argc, argv, lens);
    send_cmd(q, fn, tag, itag);
}

void dp_rq_cmd2(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, const char *verb,
                const char *key)
{
    dp_resp_array(&q->cmd, 2);
    dp_resp_str(&q->cmd, verb);
    dp_resp_str(&q->cmd, key);
    send_cmd(q, fn, tag, itag);
}

void dp_rq_cmd3(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, const char *verb,
                const char *key, const char *arg)
{
    dp_resp_array(&q->cmd, 3);
    dp_resp_str(&q->cmd, verb);
    dp_resp_str(&q->cmd, key);
    dp_resp_str(&q->cmd, arg);
    send_cmd(q, fn, tag, itag);
}

void dp_rq_pfcount_days(dp_rq *q, dp_rq_reply_fn fn, size_t itag, const char *material,
                        const char *slide, const char *version, int64_t first_day,
                        const unsigned char *has, int64_t lo, int64_t hi)
{
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes), nkeys = 0;
    for (int64_t d = lo; d < hi; d++)
        nkeys += has[d] ? nm * q->shards : 0;
    if (nkeys == 0) return;
    dp_resp_array(&q->cmd, 1 + nkeys);
    dp_resp_str(&q->cmd, "PFCOUNT");
    for (int64_t d = lo; d < hi; d++) {
        if (!has[d]) continue;
        char day[11], key[256];
        dp_day_format(first_day + d, day);
        for (size_t k = 0; k < nm; k++)
            for (unsigned s = 0; s < q->shards; s++) {
                if (slide)
                    dp_key_sv(key, sizeof(key), s, material, slide, version, day, modes[k]);
                else
                    dp_key_mv(key, sizeof(key), s, material, day, modes[k]);
                dp_resp_str(&q->cmd, key);
            }
    }
    send_cmd(q, fn, NULL, itag);
}

void dp_rq_run(dp_rq *q, dp_rq_step_fn next)
{
    q->next = next;
    if (q->outstanding == 0) round_done(q);
}

/* The stamp: every shard's generation of the field, then the catalog's and
 * the deals'. */
static void on_gen(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    size_t n;
    const char *s = dp_reply_str(r, &n);
    (void)tag;
    (void)itag;
    dp_buf_append(&q->stamp, n ? s : "0", n ? n : 1);
    dp_buf_puts(&q->stamp, ",");
}

/* Single flight: one computation per cache key at a time; requests for
 * the same key wait for it. At most report_concurrency computations run at
 * once, so reports cannot take Redis from ingest. */
#define WAITERS_MAX 4096

static void end_flight(dp_rq *q, int status, const char *ctype, const char *body, size_t len,
                       const char *msg)
{
    dp_reports_ctx *s = q->srv;
    q->in_flight = 0;
    s->reports_running--;
    if (q->key_ix >= 0 && q->key_ix < DP_APIKEYS_MAX) s->running_by_key[q->key_ix]--;
    if (q->cache_key) dp_strmap_del(&s->flights, q->cache_key, strlen(q->cache_key));
    dp_rcache_entry *e =
        q->cache_key && status == 200 ? dp_rcache_find(&s->rcache, q->cache_key) : NULL;
    /* not cached (too large, or no cache): one shared copy for all waiters */
    dp_rcache_entry once;
    if (e == NULL && status == 200 && q->nwaiters > 0) {
        memset(&once, 0, sizeof(once));
        once.body = dp_body_new(body, len);
        once.ctype = ctype;
        memcpy(once.extra, q->extra, sizeof(once.extra));
        e = &once;
    }
    for (size_t i = 0; i < q->nwaiters; i++) {
        dp_rq *w = q->waiters[i];
        dp_req *req = w->req;
        w->req = NULL;
        if (req != NULL) {
            dp_req_on_abort(req, NULL, NULL);
            if (status != 200)
                dp_req_error(req, status, msg);
            else if (e == &once)
                dp_reply_cached_with(req, NULL, e, "Cache-Control: private, no-cache\r\n");
            else if (e != NULL)
                dp_reply_cached(req, &s->rcache, e);
            else
                dp_reply_with(req, 200, ctype, body, len, q->extra);
        }
        rq_free(w);
    }
    if (e == &once) {
        dp_body_unref(once.body);
        dp_body_unref(once.gz);
    }
    dp_free(q->waiters);
    q->waiters = NULL;
    q->nwaiters = 0;
}

/* 0 when q may compute now (and is registered), else answered/queued. */
static int take_flight(dp_rq *q)
{
    dp_reports_ctx *s = q->srv;
    dp_rq *leader =
        q->cache_key ? dp_strmap_get(&s->flights, q->cache_key, strlen(q->cache_key)) : NULL;
    if (leader != NULL && !q->background && leader->nwaiters < WAITERS_MAX) {
        leader->waiters = dp_realloc(leader->waiters, (leader->nwaiters + 1) * sizeof(dp_rq *));
        leader->waiters[leader->nwaiters++] = q;
        return 1;
    }
    if (leader != NULL || s->reports_running >= (unsigned)s->cfg->report_concurrency) {
        if (q->background) {
            dp_rcache_entry *e = dp_rcache_find(&s->rcache, q->cache_key);
            if (e) e->refreshing = 0;
            q->background = 0;
            rq_free(q);
            return 1;
        }
        dp_rq_fail(q, 503, "reports busy: too many being computed at once; retry shortly");
        return 1;
    }
    int by_key = q->key_ix >= 0 && q->key_ix < DP_APIKEYS_MAX;
    if (by_key && !q->background &&
        s->running_by_key[q->key_ix] >= (unsigned)s->cfg->report_concurrency_per_key) {
        dp_rq_fail(q, 503,
                   "reports busy for this API key: report_concurrency_per_key being computed "
                   "for it already; retry shortly");
        return 1;
    }
    if (by_key) s->running_by_key[q->key_ix]++;
    s->reports_running++;
    s->reports_computed++;
    q->in_flight = 1;
    if (q->cache_key) dp_strmap_put(&s->flights, q->cache_key, strlen(q->cache_key), q);
    return 0;
}

static void after_gen(dp_rq *q)
{
    dp_rcache *rc = &q->srv->rcache;
    int fresh;
    dp_rcache_entry *e =
        dp_rcache_get(rc, q->cache_key, q->stamp.data ? q->stamp.data : "", uv_now(q->srv->loop),
                      (uint64_t)q->srv->cfg->report_stale_ms, &fresh);
    if (e != NULL) {
        dp_req *req = q->req;
        dp_req_on_abort(req, NULL, NULL);
        q->req = NULL;
        dp_reply_cached(req, rc, e);
        if (fresh || e->refreshing) {
            rq_free(q);
            return;
        }
        /* served recent numbers; now compute the current ones for the next */
        e->refreshing = 1;
        q->background = 1;
        rc->refreshes++;
    }
    if (take_flight(q) == 0) q->compute(q);
}

void dp_rq_cached(dp_rq *q, const char *key, const char *gen_field, dp_rq_step_fn compute)
{
    if (q->srv->rcache.max_bytes == 0) {
        if (take_flight(q) == 0) compute(q);
        return;
    }
    q->cache_key = dp_strdup(key);
    char k[32];
    for (unsigned n = 0; n < q->shards; n++) {
        dp_key_gen(k, sizeof(k), n);
        dp_rq_cmd3(q, on_gen, NULL, 0, "HGET", k, gen_field);
    }
    dp_rq_cmd2(q, on_gen, NULL, 0, "GET", DP_KEY_CATALOG_GEN);
    dp_rq_cmd2(q, on_gen, NULL, 0, "GET", DP_KEY_DEALS_GEN); /* outcomes and links recorded */
    q->compute = compute;
    dp_rq_run(q, after_gen);
}

void dp_rq_finish(dp_rq *q, const char *ctype, dp_buf *body)
{
    const char *data = body->data ? body->data : "";
    if (q->cache_key) {
        dp_rcache_put(&q->srv->rcache, q->cache_key, q->stamp.data ? q->stamp.data : "", ctype,
                      data, body->len, uv_now(q->srv->loop));
        dp_rcache_entry *e = dp_rcache_find(&q->srv->rcache, q->cache_key);
        if (e) memcpy(e->extra, q->extra, sizeof(e->extra));
    }
    dp_req *req = q->req;
    q->background = 0;
    if (q->in_flight) end_flight(q, 200, ctype, data, body->len, NULL);
    if (req) {
        dp_req_on_abort(req, NULL, NULL);
        q->req = NULL;
        dp_rcache_entry *e = q->cache_key ? dp_rcache_find(&q->srv->rcache, q->cache_key) : NULL;
        if (e != NULL)
            dp_reply_cached(req, &q->srv->rcache, e);
        else
            dp_reply_with(req, 200, ctype, data, body->len, q->extra);
    }
    rq_free(q);
}

void dp_rq_answer(dp_rq *q, dp_buf *out)
{
    dp_rq_finish(q, q->p.format == DP_FORMAT_CSV ? "text/csv; charset=utf-8" : "application/json",
                 out);
    dp_buf_free(out);
}

void dp_rq_fail(dp_rq *q, int status, const char *msg)
{
    dp_req *req = q->req;
    if (q->background) {
        /* the served answer stays; the next request tries again */
        dp_rcache_entry *e = q->cache_key ? dp_rcache_find(&q->srv->rcache, q->cache_key) : NULL;
        if (e) e->refreshing = 0;
        q->background = 0;
    }
    if (q->in_flight) end_flight(q, status, NULL, NULL, 0, msg);
    if (req == NULL) {
        if (q->outstanding == 0) rq_free(q);
        return;
    }
    dp_req_on_abort(req, NULL, NULL);
    q->req = NULL;
    if (q->outstanding == 0) rq_free(q); /* else the answers still to come free it */
    dp_req_error(req, status, msg);
}

int dp_rq_param(dp_rq *q, const char *name, char *out, size_t outlen)
{
    const char *path, *query;
    size_t plen, qlen;
    dp_http_req_path(q->req->http, &path, &plen, &query, &qlen);
    return dp_http_query_get(query, qlen, name, out, outlen);
}

int dp_rq_limit(dp_rq *q, long dflt, long max, long *out)
{
    char v[32], *end = NULL;
    *out = dflt;
    int rc = dp_rq_param(q, "limit", v, sizeof(v));
    if (rc == -ENOENT) return 0;
    long n = rc == 0 ? strtol(v, &end, 10) : 0;
    if (rc != 0 || *end != '\0' || v[0] == '\0' || n < 1 || n > max) {
        char msg[80];
        snprintf(msg, sizeof(msg), "limit: must be an integer between 1 and %ld", max);
        dp_rq_fail(q, 400, msg);
        return -1;
    }
    *out = n;
    return 0;
}

void dp_rq_days(const redisReply *r, int64_t lo, int64_t hi, unsigned char *has)
{
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        int64_t d = dp_day_parse(e->str, e->len);
        if (d >= lo && d <= hi) has[d - lo] = 1;
    }
}

size_t dp_rq_modes(const dp_rq *q, const char *modes[2])
{
    switch (q->p.mode) {
    case DP_RMODE_SELF:
        modes[0] = "self";
        return 1;
    case DP_RMODE_LIVE:
        modes[0] = "live";
        return 1;
    default:
        modes[0] = "self";
        modes[1] = "live";
        return 2;
    }
}
