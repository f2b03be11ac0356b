/* GET /v1/materials/{id}: one material over a date range and mode: per
 * slide and version views, viewers, sessions, dwell (total, average,
 * median, p90), exits and drop-off rate, actions; the daily trend; the
 * funnel (share of sessions reaching each position). Role marketing or
 * admin. CSV: ?table=slides (default), days or funnel.
 *
 * Rounds: (1) the catalog entry and the days with data, (2) every day's
 * slide and material hashes, (3) the viewers (HyperLogLog unions). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "apikey.h"
#include "reports_routes.h"
#include "reports.h"
#include "attrib.h"
#include "confidence.h"
#include "rquery.h"
#include "stats.h"
#include "strmap.h"
#include "table.h"

typedef struct srow {
    char slide[DP_ID_MAX + 1];
    int64_t version;
    int64_t views, sessions, exits, viewers;
    dp_dwell dwell;
    dp_actions actions;
    const char *title; /* from the catalog, or NULL */
    long position;     /* in the catalog's deck order, or -1 */
} srow;

typedef struct mdetail {
    char id[DP_ID_MAX + 1];
    char *title;
    json_t *catalog; /* the catalog's slides array, or NULL */
    int known;       /* in the catalog or with data on some day */
    dp_strmap index; /* "slide|version" -> row number + 1 */
    srow *rows;
    size_t nrows, caprows;
    int64_t sessions, completed, views, viewers;
    dp_dwell dwell;
    int64_t *deepest; /* sessions by deepest position reached */
    size_t ndeep;
    int64_t ndays;
    unsigned char *has;
    int64_t *day_views, *day_sessions;
    char table[16];
    dp_attrib deals;
} mdetail;

static void write_versions(const mdetail *m, dp_buf *out);

static void destroy(void *p)
{
    mdetail *m = p;
    for (size_t i = 0; i < m->nrows; i++)
        dp_actions_free(&m->rows[i].actions);
    dp_free(m->rows);
    dp_strmap_free(&m->index);
    dp_free(m->title);
    if (m->catalog) json_decref(m->catalog);
    dp_free(m->deepest);
    dp_free(m->has);
    dp_free(m->day_views);
    dp_free(m->day_sessions);
    dp_attrib_free(&m->deals);
    dp_free(m);
}

static srow *row_of(mdetail *m, const char *slide, size_t slen, int64_t version)
{
    char key[DP_ID_MAX + 24];
    if (slen > DP_ID_MAX) return NULL;
    int kn = snprintf(key, sizeof(key), "%.*s|%lld", (int)slen, slide, (long long)version);
    size_t at = (size_t)(uintptr_t)dp_strmap_get(&m->index, key, (size_t)kn);
    if (at) return &m->rows[at - 1];
    if (m->nrows >= DP_SLIDES_MAX * 4) return NULL; /* ceiling: rows of one report */
    if (dp_strmap_put(&m->index, key, (size_t)kn, (void *)(uintptr_t)(m->nrows + 1)) != 0)
        return NULL;
    if (m->nrows == m->caprows) {
        m->caprows = m->caprows ? m->caprows * 2 : 16;
        m->rows = dp_realloc(m->rows, m->caprows * sizeof(srow));
    }
    srow *r = &m->rows[m->nrows++];
    memset(r, 0, sizeof(*r));
    memcpy(r->slide, slide, slen);
    r->version = version;
    r->position = -1;
    return r;
}

/* round 1 */

static void on_catalog(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    mdetail *m = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (!strcmp(f->str, "title")) {
            m->title = dp_strndup(v->str, v->len);
        } else if (!strcmp(f->str, "slides")) {
            m->catalog = json_loadb(v->str, v->len, 0, NULL);
            if (m->catalog && !json_is_array(m->catalog)) {
                json_decref(m->catalog);
                m->catalog = NULL;
            }
        }
    }
    if (m->title) m->known = 1;
}

static void on_days(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    mdetail *m = q->state;
    (void)tag;
    (void)itag;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) m->known = 1;
    dp_rq_days(r, q->p.from_day, q->p.to_day, m->has);
}

/* round 2 */

static void on_slides(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    mdetail *m = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str;
        size_t fn = r->element[i]->len;
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        const char *p1 = memchr(f, '|', fn);
        if (p1 == NULL) continue;
        const char *p2 = memchr(p1 + 1, '|', fn - (size_t)(p1 + 1 - f));
        if (p2 == NULL) continue;
        /* "slide|version" as stored is the row's key: no formatting per field */
        size_t at = (size_t)(uintptr_t)dp_strmap_get(&m->index, f, (size_t)(p2 - f));
        srow *row = at ? &m->rows[at - 1]
                       : row_of(m, f, (size_t)(p1 - f), dp_stat_int(p1 + 1, (size_t)(p2 - p1 - 1)));
        if (row == NULL) continue;
        const char *st = p2 + 1;
        size_t sn = fn - (size_t)(st - f);
        if (sn == 5 && !memcmp(st, "views", 5))
            row->views += v;
        else if (sn == 8 && !memcmp(st, "sessions", 8))
            row->sessions += v;
        else if (sn == 5 && !memcmp(st, "exits", 5))
            row->exits += v;
        else if (sn > 2 && st[0] == 'a' && st[1] == ':')
            dp_actions_add(&row->actions, st + 2, sn - 2, v);
        else
            dp_dwell_field(&row->dwell, st, sn, v);
    }
}

static void on_mat(dp_rq *q, const redisReply *r, void *tag, size_t day)
{
    mdetail *m = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str;
        size_t fn = r->element[i]->len;
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        if (fn == 8 && !memcmp(f, "sessions", 8)) {
            m->sessions += v;
            m->day_sessions[day] += v;
        } else if (fn == 9 && !memcmp(f, "completed", 9)) {
            m->completed += v;
        } else if (fn == 5 && !memcmp(f, "views", 5)) {
            m->views += v;
            m->day_views[day] += v;
        } else if (fn >= 2 && f[0] == 'x' && f[1] >= '0' && f[1] <= '9') {
            int64_t k = dp_stat_int(f + 1, fn - 1);
            if (k < 0 || k >= DP_SLIDES_MAX) continue;
            if ((size_t)k >= m->ndeep) {
                m->deepest = dp_realloc(m->deepest, (size_t)(k + 1) * sizeof(int64_t));
                memset(m->deepest + m->ndeep, 0, ((size_t)k + 1 - m->ndeep) * sizeof(int64_t));
                m->ndeep = (size_t)k + 1;
            }
            m->deepest[k] += v;
        } else {
            dp_dwell_field(&m->dwell, f, fn, v);
        }
    }
}

/* round 3 */

static void on_viewers(dp_rq *q, const redisReply *r, void *tag, size_t row)
{
    mdetail *m = q->state;
    (void)tag;
    if (r->type != REDIS_REPLY_INTEGER) return;
    if (row == 0)
        m->viewers = r->integer;
    else
        m->rows[row - 1].viewers = r->integer;
}

static void pfcount(dp_rq *q, mdetail *m, const char *slide, const char *version, size_t row)
{
    dp_rq_pfcount_days(q, on_viewers, row, m->id, slide, version, q->p.from_day, m->has, 0,
                       m->ndays);
}

static int64_t ratio_ms(int64_t sum, int64_t n)
{
    return n > 0 ? (sum + n / 2) / n : -1;
}

static void num_or_null(dp_table *t, int64_t v)
{
    if (v < 0)
        dp_table_null(t);
    else
        dp_table_int(t, v);
}

static void rate(dp_table *t, int64_t a, int64_t b)
{
    if (b > 0)
        dp_table_num(t, (double)a / (double)b);
    else
        dp_table_null(t);
}

static int by_position(const void *x, const void *y)
{
    const srow *a = x, *b = y;
    long pa = a->position < 0 ? 1L << 30 : a->position,
         pb = b->position < 0 ? 1L << 30 : b->position;
    if (pa != pb) return pa < pb ? -1 : 1;
    int c = strcmp(a->slide, b->slide);
    if (c) return c;
    return a->version < b->version ? -1 : a->version > b->version;
}

static const char *const slide_cols[] = {
    "slide",        "version",  "title",          "position",     "views",
    "viewers",      "sessions", "dwell_ms_total", "dwell_ms_avg", "dwell_ms_median",
    "dwell_ms_p90", "exits",    "drop_off_rate",  "actions",      DP_ATTRIB_SV_COLS};
static const char *const day_cols[] = {"date", "views", "sessions"};
static const char *const funnel_cols[] = {"position", "sessions", "share"};

static void write_slides(dp_rq *q, mdetail *m, dp_buf *out)
{
    char svk[3 * DP_ID_MAX + 32];
    dp_table t;
    dp_table_begin(&t, out, q->p.format, slide_cols, sizeof(slide_cols) / sizeof(*slide_cols));
    dp_buf tmp;
    dp_buf_init(&tmp, 0);
    for (size_t i = 0; i < m->nrows; i++) {
        srow *r = &m->rows[i];
        dp_table_row(&t);
        dp_table_str(&t, r->slide);
        dp_table_int(&t, r->version);
        dp_table_str(&t, r->title);
        if (r->position >= 0)
            dp_table_int(&t, r->position);
        else
            dp_table_null(&t);
        dp_table_int(&t, r->views);
        dp_table_int(&t, r->viewers);
        dp_table_int(&t, r->sessions);
        dp_table_int(&t, r->dwell.sum);
        num_or_null(&t, ratio_ms(r->dwell.sum, r->dwell.n));
        num_or_null(&t, dp_dwell_quantile(&r->dwell, 0.5));
        num_or_null(&t, dp_dwell_quantile(&r->dwell, 0.9));
        dp_table_int(&t, r->exits);
        rate(&t, r->exits, r->sessions);
        dp_buf_reset(&tmp);
        if (q->p.format == DP_FORMAT_JSON) {
            dp_actions_json(&r->actions, &tmp);
            dp_table_raw(&t, tmp.data, NULL);
        } else {
            dp_actions_text(&r->actions, &tmp);
            dp_table_raw(&t, NULL, tmp.len ? tmp.data : "");
        }
        snprintf(svk, sizeof(svk), "%s|%s|%lld", m->id, r->slide, (long long)r->version);
        long sv = dp_attrib_sv(&m->deals, svk);
        dp_attrib_sv_cells(sv >= 0 ? &m->deals.by_sv[sv] : NULL, &t);
    }
    dp_table_end(&t);
    dp_buf_free(&tmp);
}

static void write_days(dp_rq *q, mdetail *m, dp_buf *out)
{
    dp_table t;
    dp_table_begin(&t, out, q->p.format, day_cols, 3);
    for (int64_t d = 0; d < m->ndays; d++) {
        char day[11];
        dp_day_format(q->p.from_day + d, day);
        dp_table_row(&t);
        dp_table_str(&t, day);
        dp_table_int(&t, m->day_views[d]);
        dp_table_int(&t, m->day_sessions[d]);
    }
    dp_table_end(&t);
}

static void write_funnel(dp_rq *q, mdetail *m, dp_buf *out)
{
    dp_table t;
    dp_table_begin(&t, out, q->p.format, funnel_cols, 3);
    int64_t reach = 0;
    for (size_t k = 0; k < m->ndeep; k++)
        reach += m->deepest[k];
    for (size_t k = 0; k < m->ndeep; k++) {
        dp_table_row(&t);
        dp_table_int(&t, (int64_t)k);
        dp_table_int(&t, reach);
        rate(&t, reach, m->sessions);
        reach -= m->deepest[k];
    }
    dp_table_end(&t);
}

static void answer(dp_rq *q)
{
    mdetail *m = q->state;
    /* catalog slides without data still get their row, in deck order */
    size_t ncat = m->catalog ? json_array_size(m->catalog) : 0;
    for (size_t i = 0; i < ncat; i++) {
        json_t *s = json_array_get(m->catalog, i);
        const char *sid = json_string_value(json_object_get(s, "slide"));
        if (sid == NULL) continue;
        json_int_t ver = json_integer_value(json_object_get(s, "version"));
        srow *r = row_of(m, sid, strlen(sid), ver ? ver : 1);
        if (r) r->position = (long)i;
    }
    for (size_t i = 0; i < m->nrows; i++) {
        /* other versions of a catalog slide take its title and position */
        for (size_t k = 0; k < ncat; k++) {
            json_t *s = json_array_get(m->catalog, k);
            const char *sid = json_string_value(json_object_get(s, "slide"));
            if (sid && !strcmp(sid, m->rows[i].slide)) {
                m->rows[i].title = json_string_value(json_object_get(s, "title"));
                m->rows[i].position = (long)k;
                break;
            }
        }
    }
    if (m->nrows) qsort(m->rows, m->nrows, sizeof(srow), by_position);

    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_CSV) {
        if (!strcmp(m->table, "days"))
            write_days(q, m, &out);
        else if (!strcmp(m->table, "funnel"))
            write_funnel(q, m, &out);
        else
            write_slides(q, m, &out);
        dp_rq_answer(q, &out);
        return;
    }
    static const char *const modes[] = {"all", "self", "live"};
    dp_buf_printf(&out, "{\"material\":\"%s\",\"title\":", m->id);
    if (m->title) {
        dp_buf_puts(&out, "\"");
        dp_buf_json_str(&out, m->title, strlen(m->title));
        dp_buf_puts(&out, "\"");
    } else {
        dp_buf_puts(&out, "null");
    }
    dp_buf_printf(&out,
                  ",\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\",\"sessions\":%lld,"
                  "\"viewers\":%lld,\"completed\":%lld,\"completion_rate\":",
                  q->p.from, q->p.to, modes[q->p.mode], (long long)m->sessions,
                  (long long)m->viewers, (long long)m->completed);
    if (m->sessions > 0)
        dp_buf_printf(&out, "%.3f", (double)m->completed / (double)m->sessions);
    else
        dp_buf_puts(&out, "null");
    dp_buf_printf(&out, ",\"views\":%lld,\"dwell_ms_total\":%lld", (long long)m->views,
                  (long long)m->dwell.sum);
    long mi = dp_attrib_mat(&m->deals, m->id);
    dp_attrib_mat_fields(&m->deals, mi >= 0 ? &m->deals.by_mat[mi] : NULL, &out);
    dp_buf_printf(&out, ",\"deals\":%zu,\"deals_truncated\":%s,\"attribution\":\"%s\"", m->deals.n,
                  m->deals.truncated ? "true" : "false", dp_attrib_rule);
    int64_t qs[3] = {ratio_ms(m->dwell.sum, m->dwell.n), dp_dwell_quantile(&m->dwell, 0.5),
                     dp_dwell_quantile(&m->dwell, 0.9)};
    static const char *const qn[3] = {"dwell_ms_avg", "dwell_ms_median", "dwell_ms_p90"};
    for (int i = 0; i < 3; i++) {
        if (qs[i] < 0)
            dp_buf_printf(&out, ",\"%s\":null", qn[i]);
        else
            dp_buf_printf(&out, ",\"%s\":%lld", qn[i], (long long)qs[i]);
    }
    dp_buf_puts(&out, ",\"slides\":");
    write_slides(q, m, &out);
    dp_buf_puts(&out, ",\"days\":");
    write_days(q, m, &out);
    dp_buf_puts(&out, ",\"funnel\":");
    write_funnel(q, m, &out);
    dp_buf_puts(&out, ",\"versions\":");
    write_versions(m, &out);
    dp_buf_puts(&out, "}");
    dp_rq_answer(q, &out);
}

/* Each pair of versions of one slide, compared (confidence.h): their
 * drop-off rates, Wilson intervals, the z-test's p, and what it means. */
static void write_versions(const mdetail *m, dp_buf *out)
{
    dp_buf_puts(out, "[");
    int first = 1;
    for (size_t i = 0; i < m->nrows; i++)
        for (size_t j = 0; j < m->nrows; j++) {
            const srow *a = &m->rows[i], *b = &m->rows[j];
            if (a->version >= b->version || strcmp(a->slide, b->slide) != 0 || a->sessions <= 0 ||
                b->sessions <= 0)
                continue;
            double ra = (double)a->exits / (double)a->sessions;
            double rb = (double)b->exits / (double)b->sessions;
            double p = dp_two_prop_p(a->exits, a->sessions, b->exits, b->sessions);
            int enough = a->sessions >= DP_CONFIDENCE_MIN_SESSIONS &&
                         b->sessions >= DP_CONFIDENCE_MIN_SESSIONS;
            int significant = enough && p < 0.05;
            double alo, ahi, blo, bhi;
            dp_wilson(a->exits, a->sessions, &alo, &ahi);
            dp_wilson(b->exits, b->sessions, &blo, &bhi);
            char summary[128];
            if (significant)
                snprintf(summary, sizeof(summary), "v%lld keeps more viewers than v%lld (p = %.2g)",
                         (long long)(rb < ra ? b->version : a->version),
                         (long long)(rb < ra ? a->version : b->version), p);
            else if (enough)
                snprintf(summary, sizeof(summary), "no difference shown yet (p = %.2g)", p);
            else
                snprintf(summary, sizeof(summary), "not enough sessions yet");
            dp_buf_printf(out,
                          "%s{\"slide\":\"%s\",\"a\":%lld,\"b\":%lld,\"sessions_a\":%lld,"
                          "\"sessions_b\":%lld,\"drop_off_a\":%.4f,\"drop_off_b\":%.4f,"
                          "\"drop_off_a_ci\":[%.4f,%.4f],\"drop_off_b_ci\":[%.4f,%.4f],"
                          "\"p_value\":%.6f,\"significant\":%s,\"summary\":\"%s\"}",
                          first ? "" : ",", a->slide, (long long)a->version, (long long)b->version,
                          (long long)a->sessions, (long long)b->sessions, ra, rb, alo, ahi, blo,
                          bhi, p, significant ? "true" : "false", summary);
            first = 0;
        }
    dp_buf_puts(out, "]");
}

static void read_deals(dp_rq *q)
{
    mdetail *m = q->state;
    dp_attrib_run(q, &m->deals, answer);
}

static void read_viewers(dp_rq *q)
{
    mdetail *m = q->state;
    int any = 0;
    for (int64_t d = 0; d < m->ndays; d++)
        any |= m->has[d];
    if (!any) {
        read_deals(q);
        return;
    }
    pfcount(q, m, NULL, NULL, 0);
    for (size_t i = 0; i < m->nrows; i++) {
        char version[24];
        snprintf(version, sizeof(version), "%lld", (long long)m->rows[i].version);
        pfcount(q, m, m->rows[i].slide, version, i + 1);
    }
    dp_rq_run(q, read_deals);
}

static void read_days(dp_rq *q)
{
    mdetail *m = q->state;
    if (!m->known) {
        dp_rq_fail(q, 404, "no such material: not in the catalog and never viewed");
        return;
    }
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes);
    for (int64_t d = 0; d < m->ndays; d++) {
        if (!m->has[d]) continue;
        char day[11], key[160];
        dp_day_format(q->p.from_day + d, day);
        for (size_t k = 0; k < nm; k++)
            for (unsigned s = 0; s < q->shards; s++) {
                dp_key_slides(key, sizeof(key), s, m->id, day, modes[k]);
                dp_rq_cmd2(q, on_slides, NULL, 0, "HGETALL", key);
                dp_key_mat(key, sizeof(key), s, m->id, day, modes[k]);
                dp_rq_cmd2(q, on_mat, NULL, (size_t)d, "HGETALL", key);
            }
    }
    dp_rq_run(q, read_viewers);
}

static void compute(dp_rq *q)
{
    mdetail *m = q->state;
    char key[128];
    dp_key_catalog_material(key, sizeof(key), m->id);
    dp_rq_cmd2(q, on_catalog, NULL, 0, "HGETALL", key);
    for (unsigned s = 0; s < q->shards; s++) {
        dp_key_days(key, sizeof(key), s, m->id);
        dp_rq_cmd2(q, on_days, NULL, 0, "SMEMBERS", key);
    }
    dp_rq_run(q, read_days);
}

void dp_route_material_get(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    dp_rq *q = dp_rq_open(req, DP_ROLE_MARKETING, "material reports");
    if (q == NULL) return;
    if (!dp_id_valid(id, idlen)) {
        dp_rq_fail(q, 400, "material: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    mdetail *m = dp_calloc(1, sizeof(*m));
    q->state = m;
    q->destroy = destroy;
    memcpy(m->id, id, idlen);
    dp_strmap_init(&m->index);
    dp_attrib_init(&m->deals);
    snprintf(m->table, sizeof(m->table), "slides");
    int rc = dp_rq_param(q, "table", m->table, sizeof(m->table));
    if (rc != -ENOENT && (rc != 0 || (strcmp(m->table, "slides") && strcmp(m->table, "days") &&
                                      strcmp(m->table, "funnel")))) {
        dp_rq_fail(q, 400, "table: must be slides, days or funnel");
        return;
    }
    if (rc == -ENOENT) snprintf(m->table, sizeof(m->table), "slides");
    m->ndays = q->p.to_day - q->p.from_day + 1;
    m->has = dp_calloc((size_t)m->ndays, 1);
    m->day_views = dp_calloc((size_t)m->ndays, sizeof(int64_t));
    m->day_sessions = dp_calloc((size_t)m->ndays, sizeof(int64_t));
    char ckey[256];
    snprintf(ckey, sizeof(ckey), "material|%s|%s|%s|%d|%d|%s", m->id, q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, m->table);
    dp_rq_cached(q, ckey, m->id, compute);
}
