#include "attrib.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "prospect_load.h"

const char dp_attrib_rule[] =
    "a deal is influenced by a material, and by each slide version, when one of its prospects "
    "(or, if it names none, anyone at its account) viewed it before the deal closed (the view's "
    "at earlier than the outcome's at for won or lost; any time for an open deal); each "
    "influenced deal counts once per material and per slide version; won_amount credits the "
    "whole amount to every influencing material, won_amount_share splits it evenly among them";

/* One earliest view: the material, the slide version (-1: the material's
 * own entry), the mode and the time. */
typedef struct fv {
    uint32_t mat;
    int32_t sv;
    int live;
    int64_t at;
} fv;

/* The first views of a prospect or an account, and its first session. */
struct dp_fv_src {
    const char *id;
    int prospect; /* else an account */
    fv *v;
    size_t n, cap;
    int64_t first_seen; /* -1: none */
};

void dp_attrib_init(dp_attrib *l)
{
    memset(l, 0, sizeof(*l));
    dp_strmap_init(&l->mat_ix);
    dp_strmap_init(&l->sv_ix);
    dp_strmap_init(&l->src_ix);
}

void dp_attrib_free(dp_attrib *l)
{
    for (size_t i = 0; i < l->nsrc; i++)
        dp_free(l->src[i].v);
    dp_free(l->src);
    dp_free(l->v);
    dp_free(l->mats);
    dp_free(l->svs);
    dp_free(l->by_mat);
    dp_free(l->by_sv);
    dp_strmap_free(&l->mat_ix);
    dp_strmap_free(&l->sv_ix);
    dp_strmap_free(&l->src_ix);
    dp_arena_free(&l->a);
}

static long lookup(const dp_strmap *m, const char *s)
{
    uintptr_t v = (uintptr_t)dp_strmap_get(m, s, strlen(s));
    return v ? (long)v - 1 : -1;
}

long dp_attrib_mat(const dp_attrib *l, const char *id)
{
    return lookup(&l->mat_ix, id);
}

long dp_attrib_sv(const dp_attrib *l, const char *key)
{
    return lookup(&l->sv_ix, key);
}

int dp_attrib_influenced(const dp_deal *d, long m)
{
    for (size_t i = 0; m >= 0 && i < d->nmats; i++)
        if (d->mats[i] == (uint32_t)m) return 1;
    return 0;
}

/* The index of s in (names, ix), added if new. */
static uint32_t intern(dp_attrib *l, const char ***names, size_t *n, dp_strmap *ix, const char *s,
                       size_t len)
{
    uintptr_t v = (uintptr_t)dp_strmap_get(ix, s, len);
    if (v) return (uint32_t)(v - 1);
    if (*n == 0 || (*n & (*n - 1)) == 0)
        *names = dp_realloc(*names, (*n ? *n * 2 : 16) * sizeof(char *));
    (*names)[*n] = dp_arena_strn(&l->a, s, len);
    dp_strmap_put(ix, s, len, (void *)(uintptr_t)(*n + 1));
    return (uint32_t)(*n)++;
}

static size_t source(dp_attrib *l, char kind, const char *id)
{
    char key[DP_ID_MAX + 4];
    int n = snprintf(key, sizeof(key), "%c:%s", kind, id);
    uintptr_t v = (uintptr_t)dp_strmap_get(&l->src_ix, key, (size_t)n);
    if (v) return v - 1;
    if (l->nsrc == l->src_cap) {
        l->src_cap = l->src_cap ? l->src_cap * 2 : 64;
        l->src = dp_realloc(l->src, l->src_cap * sizeof(*l->src));
    }
    memset(&l->src[l->nsrc], 0, sizeof(l->src[0]));
    l->src[l->nsrc].first_seen = -1;
    l->src[l->nsrc].id = id;
    l->src[l->nsrc].prospect = kind == 'p';
    dp_strmap_put(&l->src_ix, key, (size_t)n, (void *)(uintptr_t)(l->nsrc + 1));
    return l->nsrc++;
}

/* ---- round 1: the deals of the range ---- */

static void on_deal(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_attrib *l = tag;
    dp_deal *d = &l->v[i];
    (void)q;
    d->stage = -1;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        const redisReply *f = r->element[k], *v = r->element[k + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        const char *s = dp_arena_strn(&l->a, v->str, v->len);
        if (!strcmp(f->str, "stage"))
            d->stage = !strcmp(s, "won")    ? DP_DEAL_WON
                       : !strcmp(s, "lost") ? DP_DEAL_LOST
                                            : DP_DEAL_OPEN;
        else if (!strcmp(f->str, "at"))
            d->at = strtoll(s, NULL, 10);
        else if (!strcmp(f->str, "amount"))
            d->amount = dp_money_parse(s, v->len);
        else if (!strcmp(f->str, "account"))
            d->account = s;
        else if (!strcmp(f->str, "owner"))
            d->owner = s;
        else if (!strcmp(f->str, "campaign"))
            d->campaign = s;
        else if (!strcmp(f->str, "prospects") && v->len) {
            size_t np = 1;
            for (size_t c = 0; c < v->len; c++)
                np += s[c] == ';';
            d->prospects = dp_arena_alloc(&l->a, np * sizeof(char *));
            char *p = (char *)s;
            for (char *tok = p; tok;) {
                char *semi = strchr(tok, ';');
                if (semi) *semi = '\0';
                if (*tok) d->prospects[d->nprospects++] = tok;
                tok = semi ? semi + 1 : NULL;
            }
        }
    }
}

/* ---- round 2: first views and first sessions of prospects and accounts ---- */

static void on_fv(dp_rq *q, const redisReply *r, void *tag, size_t si)
{
    dp_attrib *l = tag;
    (void)q;
    if (r->type != REDIS_REPLY_ARRAY) return;
    struct dp_fv_src *src = &l->src[si];
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        const redisReply *m = r->element[k], *sc = r->element[k + 1];
        if (m->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING) continue;
        /* "<mode>|<material>" or "<mode>|<material>|<slide>|<version>" */
        const char *bar = memchr(m->str, '|', m->len);
        if (bar == NULL) continue;
        int live = (size_t)(bar - m->str) == 4 && !memcmp(m->str, "live", 4);
        const char *rest = bar + 1;
        size_t rlen = m->len - (size_t)(rest - m->str);
        const char *bar2 = memchr(rest, '|', rlen);
        size_t mlen = bar2 ? (size_t)(bar2 - rest) : rlen;
        if (mlen == 0) continue;
        fv e = {intern(l, &l->mats, &l->nmats, &l->mat_ix, rest, mlen),
                bar2 ? (int32_t)intern(l, &l->svs, &l->nsvs, &l->sv_ix, rest, rlen) : -1, live,
                strtoll(sc->str, NULL, 10)};
        if (src->n == src->cap) {
            src->cap = src->cap ? src->cap * 2 : 16;
            src->v = dp_realloc(src->v, src->cap * sizeof(fv));
        }
        src->v[src->n++] = e;
    }
}

static void on_first_seen(dp_rq *q, const redisReply *r, void *tag, size_t si)
{
    dp_attrib *l = tag;
    (void)q;
    if (r->type != REDIS_REPLY_STRING) return;
    int64_t v = strtoll(r->str, NULL, 10);
    if (l->src[si].first_seen < 0 || v < l->src[si].first_seen) l->src[si].first_seen = v;
}

static void compute(dp_rq *q);

static void read_sources(dp_rq *q)
{
    dp_attrib *l = q->aux;
    for (size_t i = 0; i < l->n; i++) {
        dp_deal *d = &l->v[i];
        if (!d->account) d->account = "";
        if (!d->owner) d->owner = "";
        if (!d->campaign) d->campaign = "";
        for (size_t k = 0; k < d->nprospects; k++)
            source(l, 'p', d->prospects[k]);
        if (d->nprospects == 0 && *d->account) source(l, 'a', d->account);
    }
    char lim[16];
    snprintf(lim, sizeof(lim), "%d", DP_FV_MAX - 1);
    for (size_t si = 0; si < l->nsrc; si++) {
        const char *id = l->src[si].id;
        int prospect = l->src[si].prospect;
        for (unsigned s = 0; s < q->shards; s++) {
            char key[DP_ID_MAX + 32];
            if (prospect)
                dp_key_pfv(key, sizeof(key), s, id);
            else
                dp_key_afv(key, sizeof(key), s, id);
            const char *argv[] = {"ZRANGE", key, "0", lim, "WITHSCORES"};
            dp_rq_cmd(q, on_fv, l, si, 5, argv);
            if (prospect)
                dp_key_prospect(key, sizeof(key), s, id);
            else
                dp_key_account(key, sizeof(key), s, id);
            dp_rq_cmd3(q, on_first_seen, l, si, "HGET", key, "first_seen");
        }
    }
    dp_rq_run(q, compute);
}

static void on_ids(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    dp_attrib *l = tag;
    (void)itag;
    if (r->type != REDIS_REPLY_ARRAY) return;
    size_t n = r->elements;
    if (n > DP_DEALS_MAX) {
        l->truncated = 1;
        n = DP_DEALS_MAX;
    }
    l->v = dp_calloc(n ? n : 1, sizeof(dp_deal));
    for (size_t i = 0; i < n; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || !dp_id_valid(e->str, e->len)) continue;
        dp_deal *d = &l->v[l->n++];
        d->id = dp_arena_strn(&l->a, e->str, e->len);
        d->first_seen = -1;
        char key[DP_ID_MAX + 16];
        dp_key_deal(key, sizeof(key), d->id);
        dp_rq_cmd2(q, on_deal, l, l->n - 1, "HGETALL", key);
    }
}

/* ---- the rule ---- */

static void compute(dp_rq *q)
{
    dp_attrib *l = q->aux;
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) /* a deal whose hash went meanwhile (retention) is left */
        if (l->v[i].stage >= 0) l->v[w++] = l->v[i];
    l->n = w;
    uint32_t *mark_m = dp_calloc(l->nmats ? l->nmats : 1, sizeof(uint32_t));
    uint32_t *mark_s = dp_calloc(l->nsvs ? l->nsvs : 1, sizeof(uint32_t));
    uint32_t *tm = dp_malloc((l->nmats ? l->nmats : 1) * sizeof(uint32_t));
    uint32_t *ts = dp_malloc((l->nsvs ? l->nsvs : 1) * sizeof(uint32_t));
    l->by_mat = dp_calloc(l->nmats ? l->nmats : 1, sizeof(dp_attr_sum));
    l->by_sv = dp_calloc(l->nsvs ? l->nsvs : 1, sizeof(dp_attr_sum));
    int mode = q->p.mode;
    for (size_t i = 0; i < l->n; i++) {
        dp_deal *d = &l->v[i];
        uint32_t stamp = (uint32_t)i + 1;
        size_t nm = 0, ns = 0;
        size_t nsrc = d->nprospects ? d->nprospects : *d->account ? 1 : 0;
        for (size_t k = 0; k < nsrc; k++) {
            char key[DP_ID_MAX + 4];
            int kl = d->nprospects ? snprintf(key, sizeof(key), "p:%s", d->prospects[k])
                                   : snprintf(key, sizeof(key), "a:%s", d->account);
            uintptr_t sx = (uintptr_t)dp_strmap_get(&l->src_ix, key, (size_t)kl);
            if (!sx) continue;
            const struct dp_fv_src *src = &l->src[sx - 1];
            if (src->first_seen >= 0 && (d->first_seen < 0 || src->first_seen < d->first_seen))
                d->first_seen = src->first_seen;
            for (size_t j = 0; j < src->n; j++) {
                const fv *e = &src->v[j];
                if ((mode == DP_RMODE_SELF && e->live) || (mode == DP_RMODE_LIVE && !e->live))
                    continue;
                if (d->stage != DP_DEAL_OPEN && e->at >= d->at) continue;
                if (e->sv < 0) {
                    if (mark_m[e->mat] != stamp) mark_m[e->mat] = stamp, tm[nm++] = e->mat;
                } else if (mark_s[e->sv] != stamp) {
                    mark_s[e->sv] = stamp;
                    ts[ns++] = (uint32_t)e->sv;
                }
            }
        }
        d->nmats = nm;
        d->nsvs = ns;
        d->mats = nm ? memcpy(dp_arena_alloc(&l->a, nm * 4), tm, nm * 4) : NULL;
        d->svs = ns ? memcpy(dp_arena_alloc(&l->a, ns * 4), ts, ns * 4) : NULL;
        int won = d->stage == DP_DEAL_WON, lost = d->stage == DP_DEAL_LOST;
        l->won += won;
        l->lost += lost;
        dp_money share = nm && won ? dp_money_share(d->amount, nm) : 0;
        for (size_t k = 0; k < nm; k++) {
            dp_attr_sum *s = &l->by_mat[d->mats[k]];
            s->deals++;
            s->won += won;
            s->lost += lost;
            if (won) {
                s->won_amount += d->amount;
                s->won_share += share;
            }
        }
        for (size_t k = 0; k < ns; k++) {
            dp_attr_sum *s = &l->by_sv[d->svs[k]];
            s->deals++;
            s->won += won;
            s->lost += lost;
        }
    }
    dp_free(mark_m);
    dp_free(mark_s);
    dp_free(tm);
    dp_free(ts);
    l->done(q); /* q->aux is still l: a caller that embeds l finds itself */
}

void dp_attrib_run(dp_rq *q, dp_attrib *l, dp_rq_step_fn done)
{
    l->done = done;
    q->aux = l;
    char from[24], to[24], lim[16];
    snprintf(from, sizeof(from), "%lld", (long long)dp_day_ms(q->p.from_day));
    snprintf(to, sizeof(to), "%lld", (long long)(dp_day_ms(q->p.to_day + 1) - 1));
    snprintf(lim, sizeof(lim), "%d", DP_DEALS_MAX + 1);
    const char *argv[] = {"ZRANGEBYSCORE", DP_KEY_DEALS, from, to, "LIMIT", "0", lim};
    dp_rq_cmd(q, on_ids, l, 0, 7, argv);
    dp_rq_run(q, read_sources);
}

/* ---- cells ---- */

void dp_money_cell(dp_table *t, dp_money a)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_money_append(&b, a);
    dp_buf_append(&b, "", 1);
    dp_table_decimal(t, b.data);
    dp_buf_free(&b);
}

void dp_rate_cell(dp_table *t, int64_t won, int64_t lost)
{
    if (won + lost == 0)
        dp_table_null(t);
    else
        dp_table_num(t, (double)won / (double)(won + lost));
}

void dp_attrib_mat_cells(const dp_attrib *l, const dp_attr_sum *s, dp_table *t)
{
    static const dp_attr_sum none;
    if (s == NULL) s = &none;
    dp_table_int(t, s->deals);
    dp_table_int(t, s->won);
    dp_table_int(t, s->lost);
    dp_money_cell(t, s->won_amount);
    dp_money_cell(t, s->won_share);
    dp_rate_cell(t, s->won, s->lost);
    dp_rate_cell(t, l->won - s->won, l->lost - s->lost);
}

void dp_attrib_sv_cells(const dp_attr_sum *s, dp_table *t)
{
    static const dp_attr_sum none;
    if (s == NULL) s = &none;
    dp_table_int(t, s->deals);
    dp_table_int(t, s->won);
    dp_rate_cell(t, s->won, s->lost);
}

void dp_attrib_mat_fields(const dp_attrib *l, const dp_attr_sum *s, dp_buf *out)
{
    static const char *const cols[] = {DP_ATTRIB_MAT_COLS};
    dp_buf obj;
    dp_buf_init(&obj, 0);
    dp_table t;
    dp_table_begin(&t, &obj, DP_FORMAT_JSON, cols, DP_ATTRIB_NMAT_COLS);
    dp_table_row(&t);
    dp_attrib_mat_cells(l, s, &t);
    dp_table_end(&t);
    /* [{"a":1,...}] -> ,"a":1,... */
    dp_buf_puts(out, ",");
    dp_buf_append(out, obj.data + 2, obj.len - 4);
    dp_buf_free(&obj);
}
