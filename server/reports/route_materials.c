/* GET /v1/materials: the leaderboard. Per material over the date range and
 * mode: views, sessions, viewers, total and median dwell, completion rate,
 * and the same for the previous period of the same length with the change
 * against it. ?sort= any of those (or material, title), ?order=asc|desc,
 * ?limit= rows (JSON: 1000 by default; CSV: all). Sorted over every
 * material the collectors or the catalog know, up to DP_BOARD_MAX (past
 * it the answer says "truncated"); "total" says how many there are.
 * Role marketing or admin.
 *
 * Rounds: (1) material ids (collectors' and catalog's), (2) titles and days
 * with data, (3) material hashes of those days and the viewers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "alloc.h"
#include "attrib.h"
#include "deckpulse/event.h"
#include "apikey.h"
#include "catalog.h"
#include "reports_routes.h"
#include "reports.h"
#include "rquery.h"
#include "stats.h"
#include "strmap.h"
#include "table.h"

/* Materials one leaderboard reads (each row holds its dwell histograms and
 * its days: up to ~2 KB over a two-year range). */
#define DP_BOARD_MAX     25000
#define DP_BOARD_DEFAULT 1000 /* rows of a JSON answer unless ?limit= */

enum { SESSIONS, COMPLETED, VIEWS, NCOUNT };
enum { CUR = 0, PREV = 1 };

typedef struct lrow {
    char id[DP_ID_MAX + 1];
    char *title;
    int64_t count[2][NCOUNT];
    int64_t viewers[2];
    dp_dwell dwell[2];
    unsigned char *has;      /* days with data over [prev_from, to] */
    const dp_attr_sum *attr; /* its deals (attrib.h), NULL: none */
} lrow;

typedef struct board {
    dp_strmap index;
    lrow *rows;
    size_t n, cap;
    int64_t prev_from, ndays, period;
    int sort; /* column index in cols[] */
    int desc;
    long limit; /* rows answered */
    int cut;    /* more materials than DP_BOARD_MAX: not all read */
    dp_attrib deals;
} board;

static const char *const sort_names[] = {"material",
                                         "title",
                                         "views",
                                         "sessions",
                                         "viewers",
                                         "dwell_ms_total",
                                         "dwell_ms_median",
                                         "completion_rate",
                                         "completed",
                                         "deals_influenced",
                                         "won",
                                         "won_amount",
                                         "win_rate"};

static void destroy(void *p)
{
    board *b = p;
    for (size_t i = 0; i < b->n; i++) {
        dp_free(b->rows[i].title);
        dp_free(b->rows[i].has);
    }
    dp_free(b->rows);
    dp_strmap_free(&b->index);
    dp_attrib_free(&b->deals);
    dp_free(b);
}

static void add_ids(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    board *b = q->state;
    (void)tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || !dp_id_valid(e->str, e->len)) continue;
        if (dp_strmap_get(&b->index, e->str, e->len)) continue;
        if (b->n >= DP_BOARD_MAX) {
            b->cut = 1;
            return;
        }
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 64;
            b->rows = dp_realloc(b->rows, b->cap * sizeof(lrow));
        }
        lrow *row = &b->rows[b->n];
        memset(row, 0, sizeof(*row));
        memcpy(row->id, e->str, e->len);
        row->has = dp_calloc((size_t)b->ndays, 1);
        b->n++;
        dp_strmap_put(&b->index, e->str, e->len, (void *)(uintptr_t)b->n);
    }
}

static void on_title(dp_rq *q, const redisReply *r, void *tag, size_t row)
{
    board *b = q->state;
    (void)tag;
    if (r->type == REDIS_REPLY_STRING) b->rows[row].title = dp_strndup(r->str, r->len);
}

static void on_days(dp_rq *q, const redisReply *r, void *tag, size_t row)
{
    board *b = q->state;
    (void)tag;
    dp_rq_days(r, b->prev_from, q->p.to_day, b->rows[row].has);
}

static void on_mat(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    board *b = q->state;
    lrow *row = &b->rows[itag / 2];
    int per = (int)(itag % 2);
    (void)tag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str;
        size_t fn = r->element[i]->len;
        int64_t v = dp_stat_int(r->element[i + 1]->str, r->element[i + 1]->len);
        if (fn == 8 && !memcmp(f, "sessions", 8))
            row->count[per][SESSIONS] += v;
        else if (fn == 9 && !memcmp(f, "completed", 9))
            row->count[per][COMPLETED] += v;
        else if (fn == 5 && !memcmp(f, "views", 5))
            row->count[per][VIEWS] += v;
        else
            dp_dwell_field(&row->dwell[per], f, fn, v);
    }
}

static void on_viewers(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    board *b = q->state;
    (void)tag;
    if (r->type == REDIS_REPLY_INTEGER) b->rows[itag / 2].viewers[itag % 2] = r->integer;
}

/* the value of sort column k for a row and period, as a double (-1: none) */
static double metric(const lrow *r, int k, int per)
{
    switch (k) {
    case 2:
        return (double)r->count[per][VIEWS];
    case 3:
        return (double)r->count[per][SESSIONS];
    case 4:
        return (double)r->viewers[per];
    case 5:
        return (double)r->dwell[per].sum;
    case 6:
        return (double)dp_dwell_quantile(&r->dwell[per], 0.5);
    case 7:
        return r->count[per][SESSIONS] > 0
                   ? (double)r->count[per][COMPLETED] / (double)r->count[per][SESSIONS]
                   : -1;
    case 8:
        return (double)r->count[per][COMPLETED];
    case 9:
        return r->attr ? (double)r->attr->deals : 0;
    case 10:
        return r->attr ? (double)r->attr->won : 0;
    case 11:
        return r->attr ? (double)r->attr->won_amount : 0;
    case 12:
        return r->attr && r->attr->won + r->attr->lost
                   ? (double)r->attr->won / (double)(r->attr->won + r->attr->lost)
                   : -1;
    default:
        return 0;
    }
}

static int g_sort, g_desc; /* qsort has no context argument; set just before it */

static int cmp_rows(const void *x, const void *y)
{
    const lrow *a = x, *b = y;
    int c = 0;
    if (g_sort == 0) {
        c = strcmp(a->id, b->id);
    } else if (g_sort == 1) {
        c = strcmp(a->title ? a->title : a->id, b->title ? b->title : b->id);
    } else {
        /* rounded to the precision shown, so equal-looking rates tie */
        double va = metric(a, g_sort, CUR), vb = metric(b, g_sort, CUR);
        if (g_sort == 7 || g_sort == 12)
            va = (double)(int64_t)(va * 1000 + 0.5), vb = (double)(int64_t)(vb * 1000 + 0.5);
        c = va < vb ? -1 : va > vb;
    }
    if (g_desc) c = -c;
    return c ? c : strcmp(a->id, b->id);
}

/* columns: the metrics, their previous-period values and their changes */
static const char *const metric_names[] = {"views",          "sessions",        "viewers",
                                           "dwell_ms_total", "dwell_ms_median", "completion_rate",
                                           "completed"};
#define NMETRIC 7

static void metric_cell(dp_table *t, const lrow *r, int m, int per)
{
    double v = metric(r, m + 2, per);
    if (m == 5) { /* completion_rate */
        if (v < 0)
            dp_table_null(t);
        else
            dp_table_num(t, v);
    } else if (v < 0) {
        dp_table_null(t);
    } else {
        dp_table_int(t, (int64_t)v);
    }
}

static void change_cell(dp_table *t, const lrow *r, int m)
{
    double cur = metric(r, m + 2, CUR), prev = metric(r, m + 2, PREV);
    if (prev <= 0 || cur < 0)
        dp_table_null(t);
    else
        dp_table_num(t, (cur - prev) / prev);
}

static void answer(dp_rq *q)
{
    board *b = q->state;
    for (size_t i = 0; i < b->n; i++) {
        long m = dp_attrib_mat(&b->deals, b->rows[i].id);
        b->rows[i].attr = m >= 0 ? &b->deals.by_mat[m] : NULL;
    }
    g_sort = b->sort;
    g_desc = b->desc;
    if (b->n) qsort(b->rows, b->n, sizeof(lrow), cmp_rows);
    size_t shown = b->n < (size_t)b->limit ? b->n : (size_t)b->limit;
    /* a CSV cannot say it was cut: these headers do, for JSON alike */
    dp_rq_list_headers(q, b->n, shown < b->n || b->cut);
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_CSV) {
        static const char *const dcols[] = {DP_ATTRIB_MAT_COLS};
        const char *cols[2 + 3 * NMETRIC + DP_ATTRIB_NMAT_COLS];
        char names[3 * NMETRIC][40];
        for (int k = 0; k < DP_ATTRIB_NMAT_COLS; k++)
            cols[2 + 3 * NMETRIC + k] = dcols[k];
        cols[0] = "material";
        cols[1] = "title";
        for (int m = 0; m < NMETRIC; m++) {
            cols[2 + m] = metric_names[m];
            snprintf(names[NMETRIC + m], sizeof(names[0]), "%s_prev", metric_names[m]);
            snprintf(names[2 * NMETRIC + m], sizeof(names[0]), "%s_change", metric_names[m]);
            cols[2 + NMETRIC + m] = names[NMETRIC + m];
            cols[2 + 2 * NMETRIC + m] = names[2 * NMETRIC + m];
        }
        dp_table t;
        dp_table_begin(&t, &out, DP_FORMAT_CSV, cols, 2 + 3 * NMETRIC + DP_ATTRIB_NMAT_COLS);
        for (size_t i = 0; i < shown; i++) {
            const lrow *r = &b->rows[i];
            dp_table_row(&t);
            dp_table_str(&t, r->id);
            dp_table_str(&t, r->title);
            for (int m = 0; m < NMETRIC; m++)
                metric_cell(&t, r, m, CUR);
            for (int m = 0; m < NMETRIC; m++)
                metric_cell(&t, r, m, PREV);
            for (int m = 0; m < NMETRIC; m++)
                change_cell(&t, r, m);
            dp_attrib_mat_cells(&b->deals, r->attr, &t);
        }
        dp_table_end(&t);
        dp_rq_answer(q, &out);
        return;
    }
    char pfrom[11], pto[11];
    dp_day_format(b->prev_from, pfrom);
    dp_day_format(q->p.from_day - 1, pto);
    static const char *const modes[] = {"all", "self", "live"};
    dp_buf_printf(&out,
                  "{\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\",\"previous_from\":\"%s\","
                  "\"previous_to\":\"%s\",\"sort\":\"%s\",\"order\":\"%s\",\"total\":%zu,"
                  "\"truncated\":%s,\"deals\":%zu,\"deals_truncated\":%s,\"attribution\":\"%s\","
                  "\"materials\":",
                  q->p.from, q->p.to, modes[q->p.mode], pfrom, pto, sort_names[b->sort],
                  b->desc ? "desc" : "asc", b->n, shown < b->n || b->cut ? "true" : "false",
                  b->deals.n, b->deals.truncated ? "true" : "false", dp_attrib_rule);
    static const char *const cols[] = {"material",        "title",           "views",
                                       "sessions",        "viewers",         "dwell_ms_total",
                                       "dwell_ms_median", "completion_rate", "completed",
                                       "previous",        "change",          DP_ATTRIB_MAT_COLS};
    dp_table t;
    dp_table_begin(&t, &out, DP_FORMAT_JSON, cols, 11 + DP_ATTRIB_NMAT_COLS);
    dp_buf obj;
    dp_buf_init(&obj, 0);
    for (size_t i = 0; i < shown; i++) {
        const lrow *r = &b->rows[i];
        dp_table_row(&t);
        dp_table_str(&t, r->id);
        dp_table_str(&t, r->title);
        for (int m = 0; m < NMETRIC; m++)
            metric_cell(&t, r, m, CUR);
        for (int part = 0; part < 2; part++) {
            dp_buf_reset(&obj);
            dp_table sub;
            dp_table_begin(&sub, &obj, DP_FORMAT_JSON, metric_names, NMETRIC);
            dp_table_row(&sub);
            for (int m = 0; m < NMETRIC; m++) {
                if (part == 0)
                    metric_cell(&sub, r, m, PREV);
                else
                    change_cell(&sub, r, m);
            }
            dp_table_end(&sub);
            /* the one row without its array brackets */
            obj.data[obj.len - 1] = '\0';
            dp_table_raw(&t, obj.data + 1, NULL);
        }
        dp_attrib_mat_cells(&b->deals, r->attr, &t);
    }
    dp_table_end(&t);
    dp_buf_free(&obj);
    dp_buf_puts(&out, "}");
    dp_rq_answer(q, &out);
}

static void pfcount(dp_rq *q, board *b, size_t row, int per)
{
    dp_rq_pfcount_days(q, on_viewers, row * 2 + (size_t)per, b->rows[row].id, NULL, NULL,
                       b->prev_from, b->rows[row].has, per == CUR ? b->period : 0,
                       per == CUR ? b->ndays : b->period);
}

static void read_deals(dp_rq *q)
{
    board *b = q->state;
    dp_attrib_run(q, &b->deals, answer);
}

static void read_data(dp_rq *q)
{
    board *b = q->state;
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes);
    for (size_t i = 0; i < b->n; i++) {
        lrow *r = &b->rows[i];
        for (int64_t d = 0; d < b->ndays; d++) {
            if (!r->has[d]) continue;
            char day[11], key[160];
            dp_day_format(b->prev_from + d, day);
            size_t per = d < b->period ? PREV : CUR;
            for (size_t k = 0; k < nm; k++)
                for (unsigned s = 0; s < q->shards; s++) {
                    dp_key_mat(key, sizeof(key), s, r->id, day, modes[k]);
                    dp_rq_cmd2(q, on_mat, NULL, i * 2 + per, "HGETALL", key);
                }
        }
        pfcount(q, b, i, CUR);
        pfcount(q, b, i, PREV);
    }
    dp_rq_run(q, read_deals);
}

static void read_titles(dp_rq *q)
{
    board *b = q->state;
    for (size_t i = 0; i < b->n; i++) {
        char key[128];
        dp_key_catalog_material(key, sizeof(key), b->rows[i].id);
        dp_rq_cmd3(q, on_title, NULL, i, "HGET", key, "title");
        for (unsigned s = 0; s < q->shards; s++) {
            dp_key_days(key, sizeof(key), s, b->rows[i].id);
            dp_rq_cmd2(q, on_days, NULL, i, "SMEMBERS", key);
        }
    }
    dp_rq_run(q, read_data);
}

static void compute(dp_rq *q)
{
    for (unsigned s = 0; s < q->shards; s++) {
        char key[32];
        dp_key_materials(key, sizeof(key), s);
        dp_rq_cmd2(q, add_ids, NULL, 0, "SMEMBERS", key);
    }
    dp_rq_cmd2(q, add_ids, NULL, 0, "SMEMBERS", DP_KEY_CATALOG);
    dp_rq_run(q, read_titles);
}

void dp_route_materials(dp_req *req)
{
    dp_rq *q = dp_rq_open(req, DP_ROLE_MARKETING, "material reports");
    if (q == NULL) return;
    board *b = dp_calloc(1, sizeof(*b));
    q->state = b;
    q->destroy = destroy;
    dp_strmap_init(&b->index);
    dp_attrib_init(&b->deals);
    b->period = q->p.to_day - q->p.from_day + 1;
    b->prev_from = q->p.from_day - b->period;
    b->ndays = 2 * b->period;
    char v[32];
    b->sort = 2;
    int rc = dp_rq_param(q, "sort", v, sizeof(v));
    if (rc != -ENOENT) {
        b->sort = -1;
        for (int i = 0; rc == 0 && i < (int)(sizeof(sort_names) / sizeof(*sort_names)); i++)
            if (!strcmp(v, sort_names[i])) b->sort = i;
        if (b->sort < 0) {
            dp_rq_fail(q, 400,
                       "sort: must be one of views, sessions, viewers, dwell_ms_total, "
                       "dwell_ms_median, completion_rate, completed, deals_influenced, won, "
                       "won_amount, win_rate, material, title");
            return;
        }
    }
    b->desc = b->sort >= 2;
    rc = dp_rq_param(q, "order", v, sizeof(v));
    if (rc != -ENOENT) {
        if (rc == 0 && !strcmp(v, "asc"))
            b->desc = 0;
        else if (rc == 0 && !strcmp(v, "desc"))
            b->desc = 1;
        else {
            dp_rq_fail(q, 400, "order: must be asc or desc");
            return;
        }
    }
    if (dp_rq_limit(q, q->p.format == DP_FORMAT_CSV ? DP_BOARD_MAX : DP_BOARD_DEFAULT, DP_BOARD_MAX,
                    &b->limit) != 0)
        return;
    char ckey[160];
    snprintf(ckey, sizeof(ckey), "materials|%s|%s|%d|%d|%d|%d|%ld", q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, b->sort, b->desc, b->limit);
    dp_rq_cached(q, ckey, "*", compute);
}
