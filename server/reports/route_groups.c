/* GET /v1/campaigns, /v1/campaigns/{id} (roles marketing, sales, admin) and
 * GET /v1/owners, /v1/owners/{id} (sales, admin): campaigns and salespeople
 * measured through sales (groups.h, the figures; attrib.h, the rule). A
 * list is sorted by won amount, then deals, then id, and says whether it
 * was cut (more than DP_GROUPS_MAX, or ?limit=); one campaign or owner adds
 * its materials (sessions through its links, deals of its that each
 * influenced, won) and, for an owner, the catalog slides its decks left
 * out (cut_slides, from the slides its links said the decks hold). CSV:
 * the list; for one, ?table=materials (default) or cut_slides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "apikey.h"
#include "deckpulse/event.h"
#include "groups.h"
#include "reports_routes.h"
#include "rquery.h"
#include "table.h"

typedef struct greport {
    dp_groups g;
    long limit;
    int cut_table; /* detail CSV: cut_slides instead of materials */
} greport;

static void destroy(void *p)
{
    greport *r = p;
    dp_groups_free(&r->g);
    dp_free(r);
}

#define NCOLS 16
static const char *const cols_c[NCOLS + 1] = {
    "campaign", "links",         "prospects",     "opened",    "engaged",           "hot",
    "sessions", "live_sessions", "self_sessions", "completed", "completion_rate",   "deals",
    "won",      "lost",          "won_amount",    "win_rate",  "days_to_win_median"};

static void cells(dp_table *t, const dp_group *x)
{
    dp_table_row(t);
    dp_table_str(t, x->id);
    dp_table_int(t, x->links);
    dp_table_int(t, (int64_t)x->nprospects);
    dp_table_int(t, x->opened);
    dp_table_int(t, x->engaged);
    dp_table_int(t, x->hot);
    int64_t sessions = x->sessions[0] + x->sessions[1];
    dp_table_int(t, sessions);
    dp_table_int(t, x->sessions[1]);
    dp_table_int(t, x->sessions[0]);
    dp_table_int(t, x->completed);
    if (sessions > 0)
        dp_table_num(t, (double)x->completed / (double)sessions);
    else
        dp_table_null(t);
    dp_table_int(t, x->deals);
    dp_table_int(t, x->won);
    dp_table_int(t, x->lost);
    dp_money_cell(t, x->won_amount);
    dp_rate_cell(t, x->won, x->lost);
    int64_t days = dp_group_days_to_win(x);
    if (days >= 0)
        dp_table_int(t, days);
    else
        dp_table_null(t);
}

static int by_won(const void *a, const void *b)
{
    const dp_group *x = a, *y = b;
    if (x->won_amount != y->won_amount) return x->won_amount > y->won_amount ? -1 : 1;
    if (x->deals != y->deals) return x->deals > y->deals ? -1 : 1;
    return strcmp(x->id, y->id);
}

static const char *const modes[] = {"all", "self", "live"};

static void envelope(dp_rq *q, const dp_groups *g, dp_buf *out)
{
    int cut = g->people.truncated;
    for (size_t i = 0; i < g->n; i++)
        cut |= g->v[i].cut_prospects;
    dp_buf_printf(out,
                  "\"from\":\"%s\",\"to\":\"%s\",\"mode\":\"%s\",\"deals_truncated\":%s,"
                  "\"prospects_truncated\":%s,\"attribution\":\"%s\"",
                  q->p.from, q->p.to, modes[q->p.mode], g->deals.truncated ? "true" : "false",
                  cut ? "true" : "false", dp_attrib_rule);
}

static void answer_list(dp_rq *q)
{
    greport *r = q->state;
    dp_groups *g = &r->g;
    const char *cols[NCOLS + 1];
    memcpy(cols, cols_c, sizeof(cols));
    cols[0] = g->kind == 'c' ? "campaign" : "owner";
    if (g->n) qsort(g->v, g->n, sizeof(dp_group), by_won);
    size_t shown = g->n < (size_t)r->limit ? g->n : (size_t)r->limit;
    int cut = shown < g->n || g->truncated;
    dp_rq_list_headers(q, g->n, cut);
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_JSON) {
        dp_buf_puts(&out, "{");
        envelope(q, g, &out);
        dp_buf_printf(&out, ",\"total\":%zu,\"truncated\":%s,\"%s\":", g->n, cut ? "true" : "false",
                      g->kind == 'c' ? "campaigns" : "owners");
    }
    dp_table t;
    dp_table_begin(&t, &out, q->p.format, cols, NCOLS + 1);
    for (size_t i = 0; i < shown; i++)
        cells(&t, &g->v[i]);
    dp_table_end(&t);
    if (q->p.format == DP_FORMAT_JSON) dp_buf_puts(&out, "}");
    dp_rq_answer(q, &out);
}

static int by_material(const void *a, const void *b)
{
    const dp_mstat *x = a, *y = b;
    if (x->deals != y->deals) return x->deals > y->deals ? -1 : 1;
    if (x->sessions != y->sessions) return x->sessions > y->sessions ? -1 : 1;
    return strcmp(x->material, y->material);
}

static void write_materials(dp_rq *q, dp_group *x, dp_buf *out)
{
    static const char *const cols[] = {"material", "sessions", "deals_influenced", "won"};
    if (x->nm) qsort(x->mstats, x->nm, sizeof(dp_mstat), by_material);
    dp_table t;
    dp_table_begin(&t, out, q->p.format, cols, 4);
    for (size_t i = 0; i < x->nm; i++) {
        dp_table_row(&t);
        dp_table_str(&t, x->mstats[i].material);
        dp_table_int(&t, x->mstats[i].sessions);
        dp_table_int(&t, x->mstats[i].deals);
        dp_table_int(&t, x->mstats[i].won);
    }
    dp_table_end(&t);
}

static void write_cuts(dp_rq *q, const dp_groups *g, dp_buf *out)
{
    static const char *const cols[] = {"material", "slide", "times"};
    dp_table t;
    dp_table_begin(&t, out, q->p.format, cols, 3);
    for (size_t i = 0; i < g->ncuts; i++) {
        dp_table_row(&t);
        dp_table_str(&t, g->cuts[i].material);
        dp_table_str(&t, g->cuts[i].slide);
        dp_table_int(&t, g->cuts[i].times);
    }
    dp_table_end(&t);
}

static void answer_one(dp_rq *q)
{
    greport *r = q->state;
    dp_groups *g = &r->g;
    dp_group *x = &g->v[0];
    if (!g->known && x->links == 0 && x->deals == 0) {
        dp_rq_fail(q, 404,
                   g->kind == 'c' ? "no such campaign: no link or deal named it"
                                  : "no such owner: no link or deal named them");
        return;
    }
    dp_buf out;
    dp_buf_init(&out, 0);
    if (q->p.format == DP_FORMAT_CSV) {
        if (r->cut_table)
            write_cuts(q, g, &out);
        else
            write_materials(q, x, &out);
        dp_rq_answer(q, &out);
        return;
    }
    const char *cols[NCOLS + 1];
    memcpy(cols, cols_c, sizeof(cols));
    cols[0] = g->kind == 'c' ? "campaign" : "owner";
    dp_buf row;
    dp_buf_init(&row, 0);
    dp_table t;
    dp_table_begin(&t, &row, DP_FORMAT_JSON, cols, NCOLS + 1);
    cells(&t, x);
    dp_table_end(&t);
    /* the row's fields without [{ }], then the rest */
    dp_buf_puts(&out, "{");
    dp_buf_append(&out, row.data + 2, row.len - 4);
    dp_buf_free(&row);
    dp_buf_puts(&out, ",");
    envelope(q, g, &out);
    dp_buf_puts(&out, ",\"materials\":");
    write_materials(q, x, &out);
    if (g->kind == 'o') {
        dp_buf_printf(&out, ",\"decks\":%zu,\"cut_slides\":", g->decks);
        write_cuts(q, g, &out);
    }
    dp_buf_puts(&out, "}");
    dp_rq_answer(q, &out);
}

static void compute_list(dp_rq *q)
{
    greport *r = q->state;
    dp_groups_run(q, &r->g, answer_list);
}

static void compute_one(dp_rq *q)
{
    greport *r = q->state;
    dp_groups_run(q, &r->g, answer_one);
}

static void route(dp_req *req, char kind, int detail)
{
    dp_rq *q = dp_rq_open(req, kind == 'c' ? DP_ROLE_MARKETING | DP_ROLE_SALES : DP_ROLE_SALES,
                          kind == 'c' ? "campaign reports" : "owner reports");
    if (q == NULL) return;
    if (detail && !dp_id_valid(req->rest, req->rest_len)) {
        dp_rq_fail(q, 400,
                   kind == 'c' ? "campaign: must be 1-64 characters of A-Z a-z 0-9 . _ : -"
                               : "owner: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    greport *r = dp_calloc(1, sizeof(*r));
    q->state = r;
    q->destroy = destroy;
    dp_groups_init(&r->g, kind, detail, DP_PLOAD_MAX);
    char table[16] = "materials";
    if (detail) {
        dp_groups_only(&r->g, req->rest, req->rest_len);
        int rc = dp_rq_param(q, "table", table, sizeof(table));
        if (rc != -ENOENT && (rc != 0 || (strcmp(table, "materials") &&
                                          (kind == 'c' || strcmp(table, "cut_slides"))))) {
            dp_rq_fail(q, 400,
                       kind == 'c' ? "table: must be materials"
                                   : "table: must be materials or cut_slides");
            return;
        }
        r->cut_table = !strcmp(table, "cut_slides");
    } else if (dp_rq_limit(q, DP_GROUPS_MAX, DP_GROUPS_MAX, &r->limit) != 0) {
        return;
    }
    char ckey[200];
    snprintf(ckey, sizeof(ckey), "%c|%.*s|%s|%s|%d|%d|%s|%ld", kind,
             detail ? (int)req->rest_len : 0, detail ? req->rest : "", q->p.from, q->p.to,
             (int)q->p.mode, (int)q->p.format, table, r->limit);
    dp_rq_cached(q, ckey, "*", detail ? compute_one : compute_list);
}

void dp_route_campaigns(dp_req *req)
{
    route(req, 'c', 0);
}

void dp_route_campaign(dp_req *req)
{
    route(req, 'c', 1);
}

void dp_route_owners(dp_req *req)
{
    route(req, 'o', 0);
}

void dp_route_owner(dp_req *req)
{
    route(req, 'o', 1);
}
