/* GET /v1/presentations/{id}: one personalised deck over the range and
 * mode: sessions (on the day of their first event), completed sessions (on
 * the day they completed) and completion rate, distinct browsers (viewers,
 * both modes: browsers are counted per day, not per mode), whether it was
 * ever forwarded (more than one browser on a day), the same totals since it
 * was first opened (all_time), and each day's viewers and sessions. Role
 * sales or admin; CSV: the days. */
#include <stdio.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "apikey.h"
#include "reports_routes.h"
#include "reports.h"
#include "rquery.h"
#include "stats.h"
#include "table.h"

typedef struct pres {
    char id[DP_ID_MAX + 1];
    int64_t sessions, completed, viewers, forwarded; /* the range */
    int64_t all_sessions, all_completed, all_viewers;
    int found;
    int64_t ndays;
    int64_t *day_viewers, *day_sessions;
} pres;

static void destroy(void *p)
{
    pres *x = p;
    dp_free(x->day_viewers);
    dp_free(x->day_sessions);
    dp_free(x);
}

static void on_hash(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    pres *x = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return;
    x->found = 1;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        const char *f = r->element[i]->str;
        if (!strcmp(f, "sessions"))
            x->all_sessions += v;
        else if (!strcmp(f, "completed"))
            x->all_completed += v;
        else if (!strcmp(f, "forwarded") && v)
            x->forwarded = 1;
    }
}

/* itag: 0 all-time viewers, 1 the range's, 2 + d day d's */
static void on_count(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    pres *x = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_INTEGER) return;
    if (itag == 0)
        x->all_viewers = r->integer;
    else if (itag == 1)
        x->viewers = r->integer;
    else
        x->day_viewers[itag - 2] = r->integer;
}

static void on_day(dp_rq *q, const redisReply *r, void *tag, size_t d)
{
    pres *x = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        if (!strcmp(r->element[i]->str, "sessions")) {
            x->sessions += v;
            x->day_sessions[d] += v;
        } else if (!strcmp(r->element[i]->str, "completed")) {
            x->completed += v;
        }
    }
}

/* The union of every shard's pvd: keys of that day, or (day NULL) pv: keys. */
static void pfcount(dp_rq *q, const char *id, const char *day, size_t itag)
{
    const char *argv[1 + DP_SHARDS_MAX];
    char keys[DP_SHARDS_MAX][128];
    argv[0] = "PFCOUNT";
    for (unsigned s = 0; s < q->shards; s++) {
        if (day)
            dp_key_pvd(keys[s], sizeof(keys[s]), s, id, day);
        else
            dp_key_pv(keys[s], sizeof(keys[s]), s, id);
        argv[1 + s] = keys[s];
    }
    dp_rq_cmd(q, on_count, NULL, itag, 1 + q->shards, argv);
}

static void answer(dp_rq *q)
{
    pres *x = q->state;
    if (!x->found) {
        dp_rq_fail(q, 404, "no such presentation");
        return;
    }
    static const char *const cols[] = {"date", "viewers", "sessions"};
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_JSON) {
        dp_buf_printf(&out,
                      "{\"presentation\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"sessions\":%lld,"
                      "\"completed\":%lld,\"completion_rate\":",
                      x->id, q->p.from, q->p.to, (long long)x->sessions, (long long)x->completed);
        if (x->sessions > 0)
            dp_buf_printf(&out, "%.3f", (double)x->completed / (double)x->sessions);
        else
            dp_buf_puts(&out, "null");
        static const char *const modes[] = {"all", "self", "live"};
        dp_buf_printf(&out,
                      ",\"viewers\":%lld,\"forwarded\":%s,\"mode\":\"%s\",\"all_time\":{"
                      "\"sessions\":%lld,\"completed\":%lld,\"viewers\":%lld},\"days\":",
                      (long long)x->viewers, x->forwarded ? "true" : "false", modes[q->p.mode],
                      (long long)x->all_sessions, (long long)x->all_completed,
                      (long long)x->all_viewers);
    }
    dp_table t;
    dp_table_begin(&t, &out, q->p.format, cols, 3);
    for (int64_t d = 0; d < x->ndays; d++) {
        char day[11];
        dp_day_format(q->p.from_day + d, day);
        dp_table_row(&t);
        dp_table_str(&t, day);
        dp_table_int(&t, x->day_viewers[d]);
        dp_table_int(&t, x->day_sessions[d]);
    }
    dp_table_end(&t);
    if (q->p.format == DP_FORMAT_JSON) dp_buf_puts(&out, "}"); /* the envelope */
    dp_rq_answer(q, &out);
}

static void compute(dp_rq *q)
{
    pres *x = q->state;
    char key[128];
    for (unsigned s = 0; s < q->shards; s++) {
        dp_key_pres(key, sizeof(key), s, x->id);
        dp_rq_cmd2(q, on_hash, NULL, 0, "HGETALL", key);
    }
    pfcount(q, x->id, NULL, 0);
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes);
    /* the range's viewers: one union of every day's */
    const char **argv = dp_calloc((size_t)x->ndays * q->shards + 1, sizeof(char *));
    char(*keys)[128] = dp_calloc((size_t)x->ndays * q->shards, sizeof(*keys));
    size_t n = 0;
    argv[n++] = "PFCOUNT";
    for (int64_t d = 0; d < x->ndays; d++) {
        char day[11];
        dp_day_format(q->p.from_day + d, day);
        pfcount(q, x->id, day, (size_t)d + 2);
        for (unsigned s = 0; s < q->shards; s++) {
            dp_key_pvd(keys[n - 1], sizeof(keys[0]), s, x->id, day);
            argv[n] = keys[n - 1];
            n++;
            for (size_t k = 0; k < nm; k++) {
                dp_key_presd(key, sizeof(key), s, x->id, day, modes[k]);
                dp_rq_cmd2(q, on_day, NULL, (size_t)d, "HGETALL", key);
            }
        }
    }
    dp_rq_cmd(q, on_count, NULL, 1, n, argv);
    dp_free(keys);
    dp_free(argv);
    dp_rq_run(q, answer);
}

void dp_route_presentation(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    dp_rq *q = dp_rq_open(req, DP_ROLE_SALES, "presentation reports");
    if (q == NULL) return;
    if (!dp_id_valid(id, idlen)) {
        dp_rq_fail(q, 400, "presentation: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    pres *x = dp_calloc(1, sizeof(*x));
    q->state = x;
    q->destroy = destroy;
    memcpy(x->id, id, idlen);
    x->ndays = q->p.to_day - q->p.from_day + 1;
    x->day_viewers = dp_calloc((size_t)x->ndays, sizeof(int64_t));
    x->day_sessions = dp_calloc((size_t)x->ndays, sizeof(int64_t));
    char ckey[200];
    snprintf(ckey, sizeof(ckey), "presentation|%s|%s|%s|%d|%d", x->id, q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format);
    dp_rq_cached(q, ckey, "*", compute);
}
