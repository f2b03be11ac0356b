/* The sales reports, role sales or admin:
 *
 *   GET /v1/prospects          the hot list: prospects active in the range,
 *                              by engagement score; ?owner= ?account=
 *                              ?campaign= filter, ?limit= (default 100)
 *   GET /v1/prospects/{id}     the pre-call brief: score and how it was
 *                              made, temperature, first and last seen,
 *                              sessions, materials with completion, slides
 *                              by dwell, slides skipped, actions, the recent
 *                              timeline, and what is new since ?since= (ms)
 *   GET /v1/accounts/{id}      the same summed over the account's prospects
 *
 * Scores: score.h. Prospect loading: prospect_load.h. */
#include <jansson.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "apikey.h"
#include "prospect_load.h"
#include "reports_routes.h"
#include "reports.h"
#include "table.h"

#define TIMELINE_MAX 200 /* kept per prospect and shard by the collector */
#define LIMIT_MAX    1000

typedef struct tl_event {
    int64_t at;
    char *member; /* at|session|seq|type|material|slide|version|value */
} tl_event;

typedef struct sales {
    dp_pload load;
    char id[DP_ID_MAX + 1];
    char owner[DP_ID_MAX + 1], account[DP_ID_MAX + 1], campaign[DP_ID_MAX + 1];
    long limit;
    int64_t since; /* -1: not asked */
    char table[16];
    /* brief */
    tl_event *tl;
    size_t ntl;
    json_t **catalog; /* per material of the prospect: catalog slides, or NULL */
    char **titles;
    json_t **seen; /* per material: array of slide ids seen */
    json_t *deals; /* the deals naming the prospect: [{deal, stage, ..., history}] */
    /* account */
    int64_t first_seen, last_seen;
    /* the unfiltered hot list, read in chunks (hot_page) */
    struct hot_row *top;
    size_t ntop, active, offset, asked;
    int cut;
    char src[64]; /* the sorted set paged through */
    /* in a cluster, each shard's prospects set, serialized (DUMP), to be
     * brought next to the union's key (RESTORE) */
    char *dump[DP_SHARDS_MAX];
    size_t dumplen[DP_SHARDS_MAX];
} sales;

static void destroy(void *p)
{
    sales *s = p;
    for (unsigned k = 0; k < DP_SHARDS_MAX; k++)
        dp_free(s->dump[k]);
    dp_free(s->top);
    for (size_t i = 0; i < s->ntl; i++)
        dp_free(s->tl[i].member);
    dp_free(s->tl);
    size_t nm = s->load.n ? s->load.v[0].nmats : 0;
    for (size_t i = 0; s->catalog && i < nm; i++) {
        if (s->catalog[i]) json_decref(s->catalog[i]);
        dp_free(s->titles[i]);
        if (s->seen[i]) json_decref(s->seen[i]);
    }
    dp_free(s->catalog);
    dp_free(s->titles);
    dp_free(s->seen);
    if (s->deals) json_decref(s->deals);
    dp_pload_free(&s->load);
    dp_free(s);
}

static sales *open_sales(dp_req *req, dp_rq **qp)
{
    dp_rq *q = dp_rq_open(req, DP_ROLE_SALES, "prospect reports");
    *qp = q;
    if (q == NULL) return NULL;
    sales *s = dp_calloc(1, sizeof(*s));
    q->state = s;
    q->destroy = destroy;
    s->since = -1;
    s->limit = 100;
    return s;
}

static void write_id(dp_buf *out, const char *name, const char *v)
{
    if (v && v[0])
        dp_buf_printf(out, ",\"%s\":\"%s\"", name, v);
    else
        dp_buf_printf(out, ",\"%s\":null", name);
}

static void write_ms(dp_buf *out, const char *name, int64_t v)
{
    if (v > 0)
        dp_buf_printf(out, ",\"%s\":%lld", name, (long long)v);
    else
        dp_buf_printf(out, ",\"%s\":null", name);
}

static const char *const modes_names[] = {"all", "self", "live"};

/* ---- hot list ---- */

static const char *const hot_cols[] = {"prospect", "account",        "owner",     "campaign",
                                       "score",    "temperature",    "last_seen", "sessions",
                                       "views",    "dwell_ms_total", "actions"};

static int by_score(const void *x, const void *y)
{
    const dp_prospect *a = *(dp_prospect *const *)x, *b = *(dp_prospect *const *)y;
    if (a->score.score != b->score.score) return a->score.score > b->score.score ? -1 : 1;
    if (a->last_seen != b->last_seen) return a->last_seen > b->last_seen ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* One row of the prospects table, what it shows of a prospect (the
 * unfiltered hot list keeps only these between its chunks). */
typedef struct hot_row {
    char id[DP_ID_MAX + 1], account[DP_ID_MAX + 1], owner[DP_ID_MAX + 1], campaign[DP_ID_MAX + 1];
    double score;
    const char *temperature;
    int64_t last_seen, sessions, views, dwell, actions;
} hot_row;

static void row_of(hot_row *r, const dp_prospect *p)
{
    memcpy(r->id, p->id, sizeof(r->id));
    memcpy(r->account, p->account, sizeof(r->account));
    memcpy(r->owner, p->owner, sizeof(r->owner));
    memcpy(r->campaign, p->campaign, sizeof(r->campaign));
    r->score = p->score.score;
    r->temperature = p->score.temperature;
    r->last_seen = p->last_seen;
    r->sessions = p->sessions;
    r->views = p->views;
    r->dwell = p->dwell;
    r->actions = dp_actions_total(&p->actions);
}

static void write_row(dp_table *t, const hot_row *r)
{
    dp_table_row(t);
    dp_table_str(t, r->id);
    dp_table_str(t, r->account[0] ? r->account : NULL);
    dp_table_str(t, r->owner[0] ? r->owner : NULL);
    dp_table_str(t, r->campaign[0] ? r->campaign : NULL);
    dp_table_num(t, r->score);
    dp_table_str(t, r->temperature);
    dp_table_int(t, r->last_seen);
    dp_table_int(t, r->sessions);
    dp_table_int(t, r->views);
    dp_table_int(t, r->dwell);
    dp_table_int(t, r->actions);
}

static void prospect_row(dp_table *t, const dp_prospect *p)
{
    hot_row r;
    row_of(&r, p);
    write_row(t, &r);
}

/* The hot list's envelope: headers (a CSV has no room for it) and the
 * JSON up to its "prospects". */
static void hot_head(dp_rq *q, dp_buf *out, size_t total, int truncated)
{
    dp_rq_list_headers(q, total, truncated);
    if (q->p.format == DP_FORMAT_JSON)
        dp_buf_printf(out,
                      "{\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\",\"total\":%zu,"
                      "\"truncated\":%s,\"prospects\":",
                      q->p.from, q->p.to, modes_names[q->p.mode], total,
                      truncated ? "true" : "false");
}

/* The prospects table (hot list, account) of v[0..n); frees v. */
static void prospect_table(dp_rq *q, dp_buf *out, dp_prospect **v, size_t n)
{
    dp_table t;
    dp_table_begin(&t, out, q->p.format, hot_cols, sizeof(hot_cols) / sizeof(*hot_cols));
    for (size_t i = 0; i < n; i++)
        prospect_row(&t, v[i]);
    dp_table_end(&t);
    dp_free(v);
}

/* Active prospects passing the filters, best first. */
static size_t ranked(dp_rq *q, sales *s, dp_prospect ***out)
{
    dp_prospect **v = dp_calloc(s->load.n ? s->load.n : 1, sizeof(*v));
    size_t n = 0;
    (void)q;
    for (size_t i = 0; i < s->load.n; i++) {
        dp_prospect *p = &s->load.v[i];
        if (!p->active) continue;
        if (s->owner[0] && strcmp(s->owner, p->owner)) continue;
        if (s->account[0] && strcmp(s->account, p->account)) continue;
        if (s->campaign[0] && strcmp(s->campaign, p->campaign)) continue;
        v[n++] = p;
    }
    if (n) qsort(v, n, sizeof(*v), by_score);
    *out = v;
    return n;
}

static void hot_answer(dp_rq *q)
{
    sales *s = q->state;
    dp_prospect **v;
    size_t n = ranked(q, s, &v);
    size_t shown = n < (size_t)s->limit ? n : (size_t)s->limit;
    dp_buf out;
    dp_buf_init(&out, 0);
    hot_head(q, &out, n, s->load.truncated);
    prospect_table(q, &out, v, shown);
    if (q->p.format == DP_FORMAT_JSON) dp_buf_puts(&out, "}"); /* the envelope */
    dp_rq_answer(q, &out);
}

static void on_candidates(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    sales *s = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            dp_pload_add(&s->load, r->element[i]->str, r->element[i]->len);
}

static void hot_load(dp_rq *q)
{
    sales *s = q->state;
    dp_pload_run(q, &s->load, hot_answer);
}

/* ---- the unfiltered hot list: every prospect seen since `from`, read and
 * scored HOT_CHUNK at a time (about 2 KB each while a chunk is scored), only
 * the best `limit` of them kept, up to report_prospects_max (then the
 * answer says it is cut). Memory does not grow with the number of
 * prospects; time does (1 M: some seconds, then served from the cache). */

#define HOT_CHUNK 10000

static int row_by_score(const void *x, const void *y)
{
    const hot_row *a = x, *b = y;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->last_seen != b->last_seen) return a->last_seen > b->last_seen ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* keeps the best s->limit of the rows so far */
static void trim_top(sales *s)
{
    if (s->ntop) qsort(s->top, s->ntop, sizeof(*s->top), row_by_score);
    if (s->ntop > (size_t)s->limit) s->ntop = (size_t)s->limit;
}

static void hot_page(dp_rq *q);

static void hot_finish(dp_rq *q)
{
    sales *s = q->state;
    trim_top(s);
    dp_buf out;
    dp_buf_init(&out, 0);
    hot_head(q, &out, s->active, s->cut);
    dp_table t;
    dp_table_begin(&t, &out, q->p.format, hot_cols, sizeof(hot_cols) / sizeof(*hot_cols));
    for (size_t i = 0; i < s->ntop; i++)
        write_row(&t, &s->top[i]);
    dp_table_end(&t);
    if (q->p.format == DP_FORMAT_JSON) dp_buf_puts(&out, "}"); /* the envelope */
    dp_rq_answer(q, &out);
}

/* Whether anyone is left past the ceiling: then the answer is cut. */
static void on_past_ceiling(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    (void)tag;
    (void)itag;
    ((sales *)q->state)->cut = r->type == REDIS_REPLY_ARRAY && r->elements > 0;
}

/* A chunk scored: its active prospects counted, the best kept. */
static void hot_chunk_done(dp_rq *q)
{
    sales *s = q->state;
    size_t got = s->load.n, max = (size_t)q->srv->cfg->report_prospects_max;
    for (size_t i = 0; i < s->load.n; i++) {
        const dp_prospect *p = &s->load.v[i];
        if (!p->active) continue;
        s->active++;
        if ((s->ntop & (s->ntop - 1)) == 0) /* doubling at powers of two */
            s->top = dp_realloc(s->top, (s->ntop ? 2 * s->ntop : 1) * sizeof(*s->top));
        row_of(&s->top[s->ntop++], p);
        if (s->ntop >= 2 * (size_t)s->limit + HOT_CHUNK) trim_top(s);
    }
    dp_pload_free(&s->load);
    dp_pload_init(&s->load, 0, HOT_CHUNK);
    s->offset += got;
    if (got < s->asked) {
        hot_finish(q);
        return;
    }
    if (s->offset >= max) {
        char off[24], min[24];
        snprintf(off, sizeof(off), "%zu", s->offset);
        snprintf(min, sizeof(min), "%lld", (long long)dp_day_ms(q->p.from_day));
        const char *argv[] = {"ZRANGE", s->src, "+inf", min, "BYSCORE", "REV", "LIMIT", off, "1"};
        dp_rq_cmd(q, on_past_ceiling, NULL, 0, 9, argv);
        dp_rq_run(q, hot_finish);
        return;
    }
    hot_page(q);
}

static void hot_chunk_load(dp_rq *q)
{
    sales *s = q->state;
    dp_pload_run(q, &s->load, hot_chunk_done);
}

/* The next HOT_CHUNK prospects seen since `from`, most recent first. */
static void hot_page(dp_rq *q)
{
    sales *s = q->state;
    size_t max = (size_t)q->srv->cfg->report_prospects_max;
    size_t n = max - s->offset < HOT_CHUNK ? max - s->offset : HOT_CHUNK;
    char off[24], cnt[24], min[24];
    snprintf(off, sizeof(off), "%zu", s->offset);
    snprintf(cnt, sizeof(cnt), "%zu", n);
    s->asked = n;
    snprintf(min, sizeof(min), "%lld", (long long)dp_day_ms(q->p.from_day));
    dp_rq_reset_commands(q); /* each chunk is its own bounded computation */
    const char *argv[] = {"ZRANGE", s->src, "+inf", min, "BYSCORE", "REV", "LIMIT", off, cnt};
    dp_rq_cmd(q, on_candidates, NULL, 0, 9, argv);
    dp_rq_run(q, hot_chunk_load);
}

static void on_dump(dp_rq *q, const redisReply *r, void *tag, size_t k)
{
    sales *s = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_STRING || k >= DP_SHARDS_MAX) return; /* nil: no prospect there */
    s->dump[k] = dp_malloc(r->len);
    memcpy(s->dump[k], r->str, r->len);
    s->dumplen[k] = r->len;
}

/* In a cluster: each shard's set restored as "<src>:<k>" (the union's hash
 * tag), the union made of them there, the copies dropped. */
static void hot_restore(dp_rq *q)
{
    sales *s = q->state;
    char nk[16], copies[DP_SHARDS_MAX][96];
    const char *argv[4 + DP_SHARDS_MAX + 2];
    size_t argc = 0;
    snprintf(nk, sizeof(nk), "%u", q->shards);
    argv[argc++] = "ZUNIONSTORE";
    argv[argc++] = s->src;
    argv[argc++] = nk;
    for (unsigned k = 0; k < q->shards; k++) {
        snprintf(copies[k], sizeof(copies[k]), "%s:%u", s->src, k);
        argv[argc++] = copies[k];
        if (s->dump[k] == NULL) continue;
        const char *ra[] = {"RESTORE", copies[k], "120000", s->dump[k], "REPLACE"};
        size_t rl[] = {7, strlen(copies[k]), 6, s->dumplen[k], 7};
        dp_rq_cmd_len(q, NULL, NULL, 0, 5, ra, rl);
        dp_free(s->dump[k]);
        s->dump[k] = NULL;
    }
    argv[argc++] = "AGGREGATE";
    argv[argc++] = "MAX";
    dp_rq_cmd(q, NULL, NULL, 0, argc, argv);
    dp_rq_cmd3(q, NULL, NULL, 0, "EXPIRE", s->src, "120");
    argv[0] = "DEL";
    for (unsigned k = 0; k < q->shards; k++)
        argv[1 + k] = copies[k];
    dp_rq_cmd(q, NULL, NULL, 0, 1 + q->shards, argv);
    dp_rq_run(q, hot_page);
}

static void hot_paged(dp_rq *q)
{
    sales *s = q->state;
    dp_pload_free(&s->load);
    dp_pload_init(&s->load, 0, HOT_CHUNK);
    if (q->shards == 1) {
        dp_key_prospects(s->src, sizeof(s->src), 0);
        hot_page(q);
        return;
    }
    /* a prospect is on every shard its sessions were: page through the
     * union (the latest last_seen), kept two minutes */
    unsigned char rnd[8];
    char hex[17], nk[16];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    snprintf(s->src, sizeof(s->src), "dp:{0}:tmp:hot:%s", hex);
    snprintf(nk, sizeof(nk), "%u", q->shards);
    const char *argv[4 + DP_SHARDS_MAX + 2];
    char keys[DP_SHARDS_MAX][32];
    size_t argc = 0;
    argv[argc++] = "ZUNIONSTORE";
    argv[argc++] = s->src;
    argv[argc++] = nk;
    for (unsigned k = 0; k < q->shards; k++) {
        dp_key_prospects(keys[k], sizeof(keys[k]), k);
        argv[argc++] = keys[k];
    }
    argv[argc++] = "AGGREGATE";
    argv[argc++] = "MAX";
    if (dp_redis_is_cluster(&q->srv->rredis)) {
        /* the shards' sets are on their own nodes: copied next to the
         * union's key first (hot_restore) */
        for (unsigned k = 0; k < q->shards; k++)
            dp_rq_cmd2(q, on_dump, NULL, k, "DUMP", keys[k]);
        dp_rq_run(q, hot_restore);
        return;
    }
    dp_rq_cmd(q, NULL, NULL, 0, argc, argv);
    dp_rq_cmd3(q, NULL, NULL, 0, "EXPIRE", s->src, "120");
    dp_rq_run(q, hot_page);
}

static void hot_compute(dp_rq *q)
{
    sales *s = q->state;
    if (!s->account[0] && !s->owner[0] && !s->campaign[0]) {
        hot_paged(q);
        return;
    }
    char key[DP_ID_MAX + 32], min[24], most[24];
    snprintf(min, sizeof(min), "%lld", (long long)dp_day_ms(q->p.from_day));
    /* one more than the ceiling: a cut is then known, and said */
    snprintf(most, sizeof(most), "%zu", s->load.max + 1);
    /* filtered: the account's, owner's or campaign's own prospects first,
     * from every shard, so the ceiling never cuts them (complete whatever
     * the total) */
    for (unsigned n = 0; n < q->shards && (s->account[0] || s->owner[0] || s->campaign[0]); n++) {
        if (s->account[0])
            dp_key_aprospects(key, sizeof(key), n, s->account);
        else if (s->owner[0])
            dp_key_oprospects(key, sizeof(key), n, s->owner);
        else
            dp_key_cprospects(key, sizeof(key), n, s->campaign);
        dp_rq_cmd2(q, on_candidates, NULL, 0, "SMEMBERS", key);
    }
    /* the account sets are as old as accounts; the owner and campaign sets
     * began with issue 19, so prospects not seen since are found among the
     * most recently seen, as before */
    for (unsigned n = 0; n < q->shards && !s->account[0]; n++) {
        dp_key_prospects(key, sizeof(key), n);
        /* the most recently seen first, so a cut keeps the live ones */
        const char *argv[] = {"ZRANGE", key, "+inf", min, "BYSCORE", "REV", "LIMIT", "0", most};
        dp_rq_cmd(q, on_candidates, NULL, 0, 9, argv);
    }
    dp_rq_run(q, hot_load);
}

static int id_param(dp_rq *q, const char *name, char *out)
{
    char v[DP_ID_MAX + 2];
    int rc = dp_rq_param(q, name, v, sizeof(v));
    if (rc == -ENOENT) return 0;
    if (rc != 0 || !dp_id_valid(v, strlen(v))) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s: must be 1-64 characters of A-Z a-z 0-9 . _ : -", name);
        dp_rq_fail(q, 400, msg);
        return -1;
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

void dp_route_prospects(dp_req *req)
{
    dp_rq *q;
    sales *s = open_sales(req, &q);
    if (s == NULL) return;
    dp_pload_init(&s->load, 0, DP_PLOAD_MAX);
    if (id_param(q, "owner", s->owner) || id_param(q, "account", s->account) ||
        id_param(q, "campaign", s->campaign))
        return;
    if (dp_rq_limit(q, s->limit, LIMIT_MAX, &s->limit) != 0) return;
    char ckey[400];
    snprintf(ckey, sizeof(ckey), "prospects|%s|%s|%d|%d|%s|%s|%s|%ld|%lld", q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, s->owner, s->account, s->campaign, s->limit,
             (long long)q->today);
    dp_rq_cached(q, ckey, "*", hot_compute);
}

/* ---- the brief ---- */

static int by_at_desc(const void *x, const void *y)
{
    const tl_event *a = x, *b = y;
    if (a->at != b->at) return a->at > b->at ? -1 : 1;
    return -strcmp(a->member, b->member);
}

static int by_dwell(const void *x, const void *y)
{
    const dp_pslide *a = x, *b = y;
    if (a->dwell != b->dwell) return a->dwell > b->dwell ? -1 : 1;
    if (a->views != b->views) return a->views > b->views ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* "a|b|c|..." split into at most n fields (the string is modified). */
static size_t split(char *s, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = s;
    for (char *p = s; *p && k < n; p++)
        if (*p == '|') {
            *p = '\0';
            f[k++] = p + 1;
        }
    return k;
}

static void timeline_event(dp_buf *out, const char *member, int first)
{
    char *m = dp_strdup(member), *f[8];
    if (split(m, f, 8) == 8) {
        dp_buf_printf(out, "%s{\"at\":%s,\"type\":\"%s\",\"session\":\"%s\",\"seq\":%s",
                      first ? "" : ",", f[0], f[3], f[1], f[2]);
        if (f[4][0]) dp_buf_printf(out, ",\"material\":\"%s\"", f[4]);
        if (f[5][0])
            dp_buf_printf(out, ",\"slide\":\"%s\",\"version\":%s", f[5], f[6][0] ? f[6] : "1");
        if (!strcmp(f[3], "view"))
            dp_buf_printf(out, ",\"index\":%s", f[7]);
        else if (!strcmp(f[3], "dwell"))
            dp_buf_printf(out, ",\"ms\":%s", f[7]);
        else if (!strcmp(f[3], "action"))
            dp_buf_printf(out, ",\"name\":\"%s\"", f[7]);
        else if (!strcmp(f[3], "open") && f[7][0])
            dp_buf_printf(out, ",\"slides\":%s", f[7]);
        dp_buf_puts(out, "}");
    }
    dp_free(m);
}

static void new_since(dp_buf *out, sales *s)
{
    int64_t events = 0, views = 0, dwell = 0, oldest = -1;
    dp_actions actions = {0};
    json_t *sessions = json_object(), *mats = json_array();
    for (size_t i = 0; i < s->ntl; i++) {
        const tl_event *e = &s->tl[i];
        if (oldest < 0 || e->at < oldest) oldest = e->at;
        if (e->at <= s->since) continue;
        char *m = dp_strdup(e->member), *f[8];
        if (split(m, f, 8) == 8) {
            events++;
            json_object_set_new(sessions, f[1], json_true());
            if (!strcmp(f[3], "view")) views++;
            if (!strcmp(f[3], "dwell")) dwell += dp_stat_int(f[7], strlen(f[7]));
            if (!strcmp(f[3], "action")) dp_actions_add(&actions, f[7], strlen(f[7]), 1);
            if (f[4][0]) {
                int dup = 0;
                for (size_t k = 0; k < json_array_size(mats) && !dup; k++)
                    dup = !strcmp(json_string_value(json_array_get(mats, k)), f[4]);
                if (!dup) json_array_append_new(mats, json_string(f[4]));
            }
        }
        dp_free(m);
    }
    /* the timeline keeps the last 200 events: older than that, it may miss some */
    int complete = s->ntl < TIMELINE_MAX || (oldest >= 0 && oldest <= s->since);
    dp_buf_printf(out,
                  ",\"new_since\":{\"since\":%lld,\"events\":%lld,\"sessions\":%zu,\"views\":%lld,"
                  "\"dwell_ms_total\":%lld,\"actions\":",
                  (long long)s->since, (long long)events, json_object_size(sessions),
                  (long long)views, (long long)dwell);
    dp_actions_json(&actions, out);
    char *mj = json_dumps(mats, JSON_COMPACT);
    dp_buf_printf(out, ",\"materials\":%s,\"complete\":%s}", mj, complete ? "true" : "false");
    free(mj);
    json_decref(sessions);
    json_decref(mats);
    dp_actions_free(&actions);
}

static const char *const bslide_cols[] = {"material", "slide", "version",
                                          "title",    "views", "dwell_ms_total"};
static const char *const bmat_cols[] = {"material",    "title",        "dwell_ms_total",
                                        "slides_seen", "slides_total", "completed"};

/* the catalog title of a slide of material k, or NULL */
static const char *slide_title(sales *s, size_t k, const char *slide)
{
    json_t *cat = s->catalog ? s->catalog[k] : NULL;
    for (size_t i = 0; cat && i < json_array_size(cat); i++) {
        json_t *e = json_array_get(cat, i);
        const char *id = json_string_value(json_object_get(e, "slide"));
        if (id && !strcmp(id, slide)) return json_string_value(json_object_get(e, "title"));
    }
    return NULL;
}

static size_t mat_index(const dp_prospect *p, const char *id, size_t n)
{
    for (size_t k = 0; k < p->nmats; k++)
        if (strlen(p->mats[k].id) == n && !memcmp(p->mats[k].id, id, n)) return k;
    return (size_t)-1;
}

static void write_brief_slides(dp_rq *q, sales *s, dp_prospect *p, dp_buf *out)
{
    dp_table t;
    dp_table_begin(&t, out, q->p.format, bslide_cols, 6);
    for (size_t i = 0; i < p->nslides; i++) {
        char key[sizeof(p->slides[0].key)], *f[3];
        memcpy(key, p->slides[i].key, sizeof(key));
        if (split(key, f, 3) != 3) continue;
        size_t k = mat_index(p, f[0], strlen(f[0]));
        dp_table_row(&t);
        dp_table_str(&t, f[0]);
        dp_table_str(&t, f[1]);
        dp_table_int(&t, dp_stat_int(f[2], strlen(f[2])));
        dp_table_str(&t, k == (size_t)-1 ? NULL : slide_title(s, k, f[1]));
        dp_table_int(&t, p->slides[i].views);
        dp_table_int(&t, p->slides[i].dwell);
    }
    dp_table_end(&t);
}

static void write_brief_materials(dp_rq *q, sales *s, dp_prospect *p, dp_buf *out)
{
    dp_table t;
    dp_table_begin(&t, out, q->p.format, bmat_cols, 6);
    for (size_t k = 0; k < p->nmats; k++) {
        dp_table_row(&t);
        dp_table_str(&t, p->mats[k].id);
        dp_table_str(&t, s->titles ? s->titles[k] : NULL);
        dp_table_int(&t, p->mats[k].dwell);
        dp_table_int(&t, s->seen && s->seen[k] ? (int64_t)json_array_size(s->seen[k]) : 0);
        if (s->catalog && s->catalog[k])
            dp_table_int(&t, (int64_t)json_array_size(s->catalog[k]));
        else
            dp_table_null(&t);
        dp_table_int(&t, p->mats[k].completed);
    }
    dp_table_end(&t);
}

static int by_deal_at(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "at"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "at"));
    return x > y ? -1 : x < y;
}

static void brief_answer(dp_rq *q)
{
    sales *s = q->state;
    dp_prospect *p = &s->load.v[0];
    if (p->nslides) qsort(p->slides, p->nslides, sizeof(dp_pslide), by_dwell);
    /* the index no longer matches after sorting; nothing looks up again */
    if (s->ntl) qsort(s->tl, s->ntl, sizeof(tl_event), by_at_desc);
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_CSV) {
        if (!strcmp(s->table, "materials")) {
            write_brief_materials(q, s, p, &out);
        } else if (!strcmp(s->table, "timeline")) {
            static const char *const cols[] = {"at", "event"};
            dp_table t;
            dp_table_begin(&t, &out, DP_FORMAT_CSV, cols, 2);
            for (size_t i = 0; i < s->ntl; i++) {
                dp_table_row(&t);
                dp_table_int(&t, s->tl[i].at);
                dp_table_str(&t, s->tl[i].member);
            }
            dp_table_end(&t);
        } else {
            write_brief_slides(q, s, p, &out);
        }
        dp_rq_answer(q, &out);
        return;
    }
    dp_buf_printf(&out, "{\"prospect\":\"%s\"", p->id);
    write_id(&out, "account", p->account);
    write_id(&out, "owner", p->owner);
    write_id(&out, "campaign", p->campaign);
    dp_buf_printf(&out,
                  ",\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\",\"score\":%.1f,"
                  "\"temperature\":\"%s\",\"score_explained\":",
                  q->p.from, q->p.to, modes_names[q->p.mode], p->score.score, p->score.temperature);
    dp_score_json(q->srv->cfg, &p->in, &p->score, &out);
    write_ms(&out, "first_seen", p->first_seen);
    write_ms(&out, "last_seen", p->last_seen);
    dp_buf_printf(
        &out, ",\"sessions\":%lld,\"views\":%lld,\"dwell_ms_total\":%lld,\"forwarded\":%lld",
        (long long)p->sessions, (long long)p->views, (long long)p->dwell, (long long)p->forwarded);
    /* a list of this brief (materials, slides, presentations) reached its
     * ceiling: what is shown is not all of it */
    dp_buf_printf(&out, ",\"truncated\":%s", p->cut ? "true" : "false");
    dp_buf_puts(&out, ",\"materials\":");
    write_brief_materials(q, s, p, &out);
    dp_buf_puts(&out, ",\"slides\":");
    write_brief_slides(q, s, p, &out);
    /* catalog slides of the materials read that the prospect never viewed */
    dp_buf_puts(&out, ",\"skipped\":[");
    int first = 1;
    for (size_t k = 0; s->catalog && k < p->nmats; k++) {
        json_t *cat = s->catalog[k];
        for (size_t i = 0; cat && i < json_array_size(cat); i++) {
            json_t *e = json_array_get(cat, i);
            const char *id = json_string_value(json_object_get(e, "slide"));
            const char *title = json_string_value(json_object_get(e, "title"));
            int seen = 0;
            for (size_t j = 0; s->seen[k] && j < json_array_size(s->seen[k]) && !seen; j++)
                seen = !strcmp(json_string_value(json_array_get(s->seen[k], j)), id ? id : "");
            if (seen || id == NULL) continue;
            dp_buf_printf(&out,
                          "%s{\"material\":\"%s\",\"slide\":\"%s\",\"position\":%zu,\"title\":\"",
                          first ? "" : ",", p->mats[k].id, id, i);
            dp_buf_json_str(&out, title ? title : "", title ? strlen(title) : 0);
            dp_buf_puts(&out, "\"}");
            first = 0;
        }
    }
    dp_buf_puts(&out, "],\"actions\":");
    dp_actions_json(&p->actions, &out);
    /* the timeline of the range, newest first */
    int64_t lo = dp_day_ms(q->p.from_day), hi = dp_day_ms(q->p.to_day + 1);
    dp_buf_puts(&out, ",\"timeline\":[");
    first = 1;
    for (size_t i = 0; i < s->ntl; i++) {
        if (s->tl[i].at < lo || s->tl[i].at >= hi) continue;
        timeline_event(&out, s->tl[i].member, first);
        first = 0;
    }
    dp_buf_puts(&out, "]");
    /* the deals naming them, newest first (not filtered by the range: the
     * history of a deal is read whole) */
    size_t nd = json_array_size(s->deals);
    json_t **dv = dp_malloc((nd ? nd : 1) * sizeof(json_t *));
    for (size_t i = 0; i < nd; i++)
        dv[i] = json_array_get(s->deals, i);
    if (nd) qsort(dv, nd, sizeof(json_t *), by_deal_at);
    dp_buf_puts(&out, ",\"deals\":[");
    for (size_t i = 0; i < nd; i++) {
        char *txt = json_dumps(dv[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
        dp_buf_printf(&out, "%s%s", i ? "," : "", txt ? txt : "{}");
        free(txt);
    }
    dp_buf_puts(&out, "]");
    dp_free(dv);
    if (s->since >= 0) new_since(&out, s);
    dp_buf_puts(&out, "}");
    dp_rq_answer(q, &out);
}

static void on_timeline(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    sales *s = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    s->tl = dp_realloc(s->tl, (s->ntl + r->elements + 1) * sizeof(tl_event));
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        s->tl[s->ntl].member = dp_strndup(e->str, e->len);
        s->tl[s->ntl].at = dp_stat_int(e->str, strcspn(s->tl[s->ntl].member, "|"));
        s->ntl++;
    }
}

static void on_mat_catalog(dp_rq *q, const redisReply *r, void *tag, size_t k)
{
    sales *s = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (!strcmp(f->str, "title") && s->titles[k] == NULL)
            s->titles[k] = dp_strndup(v->str, v->len);
        else if (!strcmp(f->str, "slides") && s->catalog[k] == NULL)
            s->catalog[k] = json_loadb(v->str, v->len, 0, NULL);
    }
}

static void on_seen(dp_rq *q, const redisReply *r, void *tag, size_t k)
{
    sales *s = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    if (s->seen[k] == NULL) s->seen[k] = json_array();
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        int dup = 0;
        for (size_t j = 0; j < json_array_size(s->seen[k]) && !dup; j++)
            dup = !strcmp(json_string_value(json_array_get(s->seen[k], j)), e->str);
        if (!dup) json_array_append_new(s->seen[k], json_stringn(e->str, e->len));
    }
}

/* The deals naming the prospect (outcomes, route_outcomes.c): each one's
 * current stage and its history, newest first, at most DP_BRIEF_DEALS. */
#define DP_BRIEF_DEALS 100

static void on_deal_ids(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    sales *s = q->state;
    (void)tag;
    (void)itag;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && i < DP_BRIEF_DEALS; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            json_array_append_new(
                s->deals, json_pack("{s:s%}", "deal", r->element[i]->str, r->element[i]->len));
}

static void on_deal(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    sales *s = q->state;
    json_t *d = json_array_get(s->deals, i);
    (void)tag;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        const char *f = r->element[k]->str, *v = r->element[k + 1]->str;
        if (!strcmp(f, "at"))
            json_object_set_new(d, "at", json_integer(strtoll(v, NULL, 10)));
        else if (!strcmp(f, "amount"))
            json_object_set_new(d, "amount", *v ? json_string(v) : json_null());
        else if (!strcmp(f, "stage") || !strcmp(f, "currency") || !strcmp(f, "account") ||
                 !strcmp(f, "owner") || !strcmp(f, "campaign"))
            json_object_set_new(d, f, *v ? json_string(v) : json_null());
    }
}

static void on_deal_history(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    sales *s = q->state;
    json_t *h = json_array();
    (void)tag;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        const char *m = r->element[k]->str, *bar = strchr(m, '|');
        if (bar == NULL) continue;
        json_array_append_new(h, json_pack("{s:s%,s:I}", "stage", m, (size_t)(bar - m), "at",
                                           (json_int_t)strtoll(r->element[k + 1]->str, NULL, 10)));
    }
    json_object_set_new(json_array_get(s->deals, i), "history", h);
}

static void brief_deals(dp_rq *q)
{
    sales *s = q->state;
    for (size_t i = 0; i < json_array_size(s->deals); i++) {
        const char *id = json_string_value(json_object_get(json_array_get(s->deals, i), "deal"));
        char key[DP_ID_MAX + 16];
        dp_key_deal(key, sizeof(key), id);
        dp_rq_cmd2(q, on_deal, NULL, i, "HGETALL", key);
        snprintf(key, sizeof(key), "dp:{d}:dealh:%s", id);
        const char *argv[] = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        dp_rq_cmd(q, on_deal_history, NULL, i, 5, argv);
    }
    dp_rq_run(q, brief_answer);
}

static void brief_details(dp_rq *q)
{
    sales *s = q->state;
    dp_prospect *p = &s->load.v[0];
    if (!p->found) {
        dp_rq_fail(q, 404, "no such prospect");
        return;
    }
    s->catalog = dp_calloc(p->nmats + 1, sizeof(json_t *));
    s->titles = dp_calloc(p->nmats + 1, sizeof(char *));
    s->seen = dp_calloc(p->nmats + 1, sizeof(json_t *));
    char key[256];
    for (size_t k = 0; k < p->nmats; k++) {
        dp_key_catalog_material(key, sizeof(key), p->mats[k].id);
        dp_rq_cmd2(q, on_mat_catalog, NULL, k, "HGETALL", key);
        for (unsigned n = 0; n < q->shards; n++) {
            dp_key_pseen(key, sizeof(key), n, p->id, p->mats[k].id);
            dp_rq_cmd2(q, on_seen, NULL, k, "SMEMBERS", key);
        }
    }
    for (unsigned n = 0; n < q->shards; n++) {
        dp_key_ptl(key, sizeof(key), n, p->id);
        const char *argv[] = {"ZRANGE", key, "0", "-1"};
        dp_rq_cmd(q, on_timeline, NULL, 0, 4, argv);
    }
    s->deals = json_array();
    snprintf(key, sizeof(key), "dp:{d}:pdeals:%s", p->id);
    dp_rq_cmd2(q, on_deal_ids, NULL, 0, "SMEMBERS", key);
    dp_rq_run(q, brief_deals);
}

static void brief_compute(dp_rq *q)
{
    sales *s = q->state;
    dp_pload_run(q, &s->load, brief_details);
}

void dp_route_prospect(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    dp_rq *q;
    sales *s = open_sales(req, &q);
    if (s == NULL) return;
    dp_pload_init(&s->load, 1, DP_PLOAD_MAX);
    if (!dp_id_valid(id, idlen)) {
        dp_rq_fail(q, 400, "prospect: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    memcpy(s->id, id, idlen);
    dp_pload_add(&s->load, id, idlen);
    char v[32];
    int rc = dp_rq_param(q, "since", v, sizeof(v));
    if (rc != -ENOENT) {
        char *end;
        long long since = rc == 0 ? strtoll(v, &end, 10) : -1;
        if (rc != 0 || v[0] == '\0' || *end != '\0' || since < 0 || since > 253402300799999LL) {
            dp_rq_fail(q, 400, "since: must be a time in epoch milliseconds");
            return;
        }
        s->since = since;
    }
    snprintf(s->table, sizeof(s->table), "slides");
    rc = dp_rq_param(q, "table", s->table, sizeof(s->table));
    if (rc != -ENOENT && (rc != 0 || (strcmp(s->table, "slides") && strcmp(s->table, "materials") &&
                                      strcmp(s->table, "timeline")))) {
        dp_rq_fail(q, 400, "table: must be slides, materials or timeline");
        return;
    }
    if (rc == -ENOENT) snprintf(s->table, sizeof(s->table), "slides");
    char ckey[300];
    snprintf(ckey, sizeof(ckey), "prospect|%s|%s|%s|%d|%d|%lld|%s|%lld", s->id, q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, (long long)s->since, s->table, (long long)q->today);
    dp_rq_cached(q, ckey, "*", brief_compute);
}

/* ---- account ---- */

static void on_account(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    sales *s = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        if (!strcmp(r->element[i]->str, "first_seen") && (s->first_seen == 0 || v < s->first_seen))
            s->first_seen = v;
        else if (!strcmp(r->element[i]->str, "last_seen") && v > s->last_seen)
            s->last_seen = v;
    }
}

static void account_answer(dp_rq *q)
{
    sales *s = q->state;
    if (s->load.n == 0) {
        dp_rq_fail(q, 404, "no such account");
        return;
    }
    s->account[0] = '\0';
    s->owner[0] = '\0';
    s->campaign[0] = '\0';
    dp_prospect **v;
    size_t n = ranked(q, s, &v);
    /* an account with more than DP_PLOAD_MAX prospects: said (CSV: headers) */
    dp_rq_list_headers(q, n, s->load.truncated);
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_JSON) {
        int64_t sessions = 0, views = 0, dwell = 0, forwarded = 0;
        double score = 0;
        dp_actions actions = {0};
        dp_prospect sum;
        memset(&sum, 0, sizeof(sum));
        for (size_t i = 0; i < n; i++) {
            sessions += v[i]->sessions;
            views += v[i]->views;
            dwell += v[i]->dwell;
            forwarded += v[i]->forwarded;
            score += v[i]->score.score;
            dp_actions_merge(&actions, &v[i]->actions);
            for (size_t k = 0; k < v[i]->nmats; k++) {
                const dp_pmat *m = &v[i]->mats[k];
                size_t at = mat_index(&sum, m->id, strlen(m->id));
                if (at == (size_t)-1) {
                    sum.mats = dp_realloc(sum.mats, (sum.nmats + 1) * sizeof(dp_pmat));
                    sum.mats[sum.nmats] = *m;
                    sum.nmats++;
                } else {
                    sum.mats[at].dwell += m->dwell;
                    sum.mats[at].completed += m->completed;
                }
            }
        }
        const dp_config *cfg = q->srv->cfg;
        score = (double)(int64_t)(score * 10 + 0.5) / 10;
        const char *temp = score >= (double)cfg->score_hot    ? "hot"
                           : score >= (double)cfg->score_warm ? "warm"
                                                              : "cold";
        dp_buf_printf(&out,
                      "{\"account\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\","
                      "\"score\":%.1f,\"temperature\":\"%s\"",
                      s->id, q->p.from, q->p.to, modes_names[q->p.mode], score, temp);
        write_ms(&out, "first_seen", s->first_seen);
        write_ms(&out, "last_seen", s->last_seen);
        dp_buf_printf(&out,
                      ",\"prospects_total\":%zu,\"prospects_active\":%zu,\"truncated\":%s,"
                      "\"sessions\":%lld,\"views\":%lld,\"dwell_ms_total\":%lld,"
                      "\"forwarded\":%lld,\"actions\":",
                      s->load.n, n, s->load.truncated ? "true" : "false", (long long)sessions,
                      (long long)views, (long long)dwell, (long long)forwarded);
        dp_actions_json(&actions, &out);
        dp_buf_puts(&out, ",\"materials\":[");
        for (size_t k = 0; k < sum.nmats; k++)
            dp_buf_printf(&out,
                          "%s{\"material\":\"%s\",\"dwell_ms_total\":%lld,\"completed\":%lld}",
                          k ? "," : "", sum.mats[k].id, (long long)sum.mats[k].dwell,
                          (long long)sum.mats[k].completed);
        dp_buf_puts(&out, "],\"prospects\":");
        dp_free(sum.mats);
        dp_actions_free(&actions);
    }
    prospect_table(q, &out, v, n);
    if (q->p.format == DP_FORMAT_JSON) dp_buf_puts(&out, "}"); /* the envelope */
    dp_rq_answer(q, &out);
}

static void account_load(dp_rq *q)
{
    sales *s = q->state;
    dp_pload_run(q, &s->load, account_answer);
}

static void account_compute(dp_rq *q)
{
    sales *s = q->state;
    char key[128];
    for (unsigned n = 0; n < q->shards; n++) {
        dp_key_aprospects(key, sizeof(key), n, s->id);
        dp_rq_cmd2(q, on_candidates, NULL, 0, "SMEMBERS", key);
        dp_key_account(key, sizeof(key), n, s->id);
        dp_rq_cmd2(q, on_account, NULL, 0, "HGETALL", key);
    }
    dp_rq_run(q, account_load);
}

void dp_route_account(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    dp_rq *q;
    sales *s = open_sales(req, &q);
    if (s == NULL) return;
    dp_pload_init(&s->load, 0, DP_PLOAD_MAX);
    if (!dp_id_valid(id, idlen)) {
        dp_rq_fail(q, 400, "account: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    memcpy(s->id, id, idlen);
    char ckey[300];
    snprintf(ckey, sizeof(ckey), "account|%s|%s|%s|%d|%d|%lld", s->id, q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, (long long)q->today);
    dp_rq_cached(q, ckey, "*", account_compute);
}
