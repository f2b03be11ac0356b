/* Deals in a report's range and what influenced each (docs/attribution.md):
 * the rule both teams agreed on, in one place.
 *
 *   A deal is influenced by a material, and by each slide version, when
 *   one of its prospects (or, if it names none, anyone at its account)
 *   viewed it before the deal closed: the earliest view's `at` (as ingest
 *   clamped it) earlier than the deal's `at` for won or lost, any time for
 *   an open deal. Only views of the report's mode count. A deal is in a
 *   range by the `at` of its current stage.
 *
 * The collector keeps each prospect's and account's earliest view of every
 * material and slide version (pfv:, afv:; ZADD LT), so the answer is the
 * same whatever order views and outcomes arrived in, and an outcome posted
 * twice is one deal. Runs as rounds of a report query, like prospect_load.h:
 * the deals (ZRANGEBYSCORE), their hashes, the first views and first
 * sessions of their prospects (or accounts); then dp_attrib_compute. */
#ifndef DP_ATTRIB_H
#define DP_ATTRIB_H

#include <stdint.h>

#include "arena.h"
#include "money.h"
#include "rquery.h"
#include "strmap.h"
#include "table.h"

#define DP_DEALS_MAX 50000 /* deals one report reads; past it the answer says so */
#define DP_FV_MAX    20000 /* first views read per prospect or account and shard */

enum { DP_DEAL_OPEN, DP_DEAL_WON, DP_DEAL_LOST };

typedef struct dp_deal {
    const char *id, *account, *owner, *campaign; /* "" if none */
    const char **prospects;
    size_t nprospects;
    int stage; /* DP_DEAL_* */
    int64_t at;
    dp_money amount;
    int64_t first_seen;   /* earliest first session of its prospects (or account), -1: none */
    const uint32_t *mats; /* influencing materials (indexes into dp_attrib.mats) */
    const uint32_t *svs;  /* influencing slide versions (into dp_attrib.svs) */
    size_t nmats, nsvs;
} dp_deal;

/* What influenced deals add up to, per material or slide version. */
typedef struct dp_attr_sum {
    int64_t deals, won, lost;
    dp_money won_amount, won_share;
} dp_attr_sum;

typedef struct dp_attrib {
    dp_arena a;
    dp_deal *v;
    size_t n;
    int truncated;     /* more than DP_DEALS_MAX deals in the range */
    const char **mats; /* material ids seen in first views */
    size_t nmats;
    dp_strmap mat_ix; /* id -> index + 1 */
    const char **svs; /* "material|slide|version" */
    size_t nsvs;
    dp_strmap sv_ix;
    dp_strmap src_ix; /* "p:<prospect>" / "a:<account>" -> source index + 1 */
    struct dp_fv_src *src;
    size_t nsrc, src_cap;
    /* after dp_attrib_compute: */
    dp_attr_sum *by_mat, *by_sv; /* nmats, nsvs */
    int64_t won, lost;           /* every deal of the range */
    dp_rq_step_fn done;
} dp_attrib;

void dp_attrib_init(dp_attrib *l);
void dp_attrib_free(dp_attrib *l);
/* Reads the deals of q's range and what influenced them (q->aux = l while
 * it runs), computes, then runs done. */
void dp_attrib_run(dp_rq *q, dp_attrib *l, dp_rq_step_fn done);
/* The index of a material or slide version ("m|s|v"), or -1: no deal. */
long dp_attrib_mat(const dp_attrib *l, const char *id);
long dp_attrib_sv(const dp_attrib *l, const char *key);
/* Whether deal d was influenced by material index m. */
int dp_attrib_influenced(const dp_deal *d, long m);
/* The deal columns of a material row (DP_ATTRIB_MAT_COLS names) or of a
 * slide row (DP_ATTRIB_SV_COLS), s NULL for none, as table cells. */
#define DP_ATTRIB_MAT_COLS                                                                         \
    "deals_influenced", "won", "lost", "won_amount", "won_amount_share", "win_rate",               \
        "win_rate_without"
#define DP_ATTRIB_NMAT_COLS 7
#define DP_ATTRIB_SV_COLS   "deals_influenced", "won", "win_rate"
#define DP_ATTRIB_NSV_COLS  3
void dp_attrib_mat_cells(const dp_attrib *l, const dp_attr_sum *s, dp_table *t);
void dp_attrib_sv_cells(const dp_attr_sum *s, dp_table *t);
/* The same as JSON fields of an object being written: ,"deals_influenced":… */
void dp_attrib_mat_fields(const dp_attrib *l, const dp_attr_sum *s, dp_buf *out);
/* An amount as a table cell. */
void dp_money_cell(dp_table *t, dp_money a);
/* won / (won + lost) as a cell, null when none closed. */
void dp_rate_cell(dp_table *t, int64_t won, int64_t lost);
/* The rule, as every answer's "attribution" field says it. */
extern const char dp_attrib_rule[];

#endif
