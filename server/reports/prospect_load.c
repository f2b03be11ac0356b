#include "prospect_load.h"

#include <stdio.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "report_params.h"

void dp_pload_init(dp_pload *l, int detail, size_t max)
{
    memset(l, 0, sizeof(*l));
    dp_strmap_init(&l->index);
    l->detail = detail;
    l->max = max;
}

void dp_pload_free(dp_pload *l)
{
    for (size_t i = 0; i < l->n; i++) {
        dp_prospect *p = &l->v[i];
        dp_free(p->has);
        dp_actions_free(&p->actions);
        dp_free(p->mats);
        dp_free(p->slides);
        dp_strmap_free(&p->slide_index);
        dp_free(p->pres);
    }
    dp_free(l->v);
    dp_free(l->days);
    for (size_t i = 0; i < l->nfwd; i++)
        dp_free(l->fwd[i]);
    dp_free(l->fwd);
    dp_strmap_free(&l->index);
}

void dp_pload_add(dp_pload *l, const char *id, size_t len)
{
    if (!dp_id_valid(id, len) || dp_strmap_get(&l->index, id, len)) return;
    if (l->n >= l->max) {
        l->truncated = 1;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = dp_realloc(l->v, l->cap * sizeof(dp_prospect));
    }
    dp_prospect *p = &l->v[l->n++];
    memset(p, 0, sizeof(*p));
    memcpy(p->id, id, len);
    dp_strmap_init(&p->slide_index);
    dp_strmap_put(&l->index, id, len, (void *)(uintptr_t)l->n);
}

static void copy_id(char *dst, const redisReply *v)
{
    size_t n = v->len > DP_ID_MAX ? DP_ID_MAX : v->len;
    memcpy(dst, v->str, n);
    dst[n] = '\0';
}

/* round B: identity, days, presentations */

static void on_hash(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_prospect *p = &((dp_pload *)tag)->v[i];
    (void)q;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return;
    p->found = 1;
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        const char *f = r->element[k]->str;
        const redisReply *v = r->element[k + 1];
        int64_t n = dp_stat_int(v->str, v->len);
        if (!strcmp(f, "first_seen")) {
            if (p->first_seen == 0 || n < p->first_seen) p->first_seen = n;
        } else if (!strcmp(f, "last_seen")) {
            if (n > p->last_seen) p->last_seen = n;
        } else if (!strcmp(f, "account") && v->len) {
            copy_id(p->account, v);
        } else if (!strcmp(f, "campaign") && v->len) {
            copy_id(p->campaign, v);
        } else if (!strcmp(f, "owner") && v->len) {
            copy_id(p->owner, v);
        }
    }
}

static void on_days(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_prospect *p = &((dp_pload *)tag)->v[i];
    dp_rq_days(r, q->p.from_day, q->p.to_day, p->has);
}

static void on_pres(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_prospect *p = &((dp_pload *)tag)->v[i];
    (void)q;
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t k = 0; k < r->elements; k++) {
        if (p->npres >= DP_PROSPECT_ITEMS_MAX) {
            p->cut = 1;
            break;
        }
        const redisReply *e = r->element[k];
        if (e->type != REDIS_REPLY_STRING || e->len > DP_ID_MAX) continue;
        int dup = 0;
        for (size_t j = 0; j < p->npres && !dup; j++)
            dup = strlen(p->pres[j]) == e->len && !memcmp(p->pres[j], e->str, e->len);
        if (dup) continue;
        if (p->npres == p->pres_cap) {
            p->pres_cap = p->pres_cap ? 2 * p->pres_cap : 8;
            p->pres = dp_realloc(p->pres, p->pres_cap * sizeof(*p->pres));
        }
        copy_id(p->pres[p->npres++], e);
    }
}

/* round C: counters and forwarding */

static dp_pmat *mat_of(dp_prospect *p, const char *id, size_t n)
{
    for (size_t i = 0; i < p->nmats; i++)
        if (strlen(p->mats[i].id) == n && !memcmp(p->mats[i].id, id, n)) return &p->mats[i];
    if (n > DP_ID_MAX) return NULL;
    if (p->nmats >= DP_PROSPECT_ITEMS_MAX) {
        p->cut = 1;
        return NULL;
    }
    if (p->nmats == p->mats_cap) { /* doubling: one element at a time was quadratic */
        p->mats_cap = p->mats_cap ? 2 * p->mats_cap : 8;
        p->mats = dp_realloc(p->mats, p->mats_cap * sizeof(dp_pmat));
    }
    dp_pmat *m = &p->mats[p->nmats++];
    memset(m, 0, sizeof(*m));
    memcpy(m->id, id, n);
    return m;
}

static dp_pslide *slide_of(dp_prospect *p, const char *key, size_t n)
{
    size_t at = (size_t)(uintptr_t)dp_strmap_get(&p->slide_index, key, n);
    if (at) return &p->slides[at - 1];
    if (n >= sizeof(p->slides[0].key)) return NULL;
    if (p->nslides >= DP_PROSPECT_ITEMS_MAX) {
        p->cut = 1;
        return NULL;
    }
    if (p->nslides == p->slides_cap) {
        p->slides_cap = p->slides_cap ? 2 * p->slides_cap : 16;
        p->slides = dp_realloc(p->slides, p->slides_cap * sizeof(dp_pslide));
    }
    dp_pslide *s = &p->slides[p->nslides++];
    memset(s, 0, sizeof(*s));
    memcpy(s->key, key, n);
    dp_strmap_put(&p->slide_index, key, n, (void *)(uintptr_t)p->nslides);
    return s;
}

static void on_counters(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_pload *l = tag;
    /* i: the (prospect, day) slot (read_counters) */
    struct dp_pday *day = &l->days[i];
    dp_prospect *p = &l->v[day->prospect];
    (void)q;
    if (r->type != REDIS_REPLY_ARRAY) return;
    if (r->elements > 0) p->counted = 1;
    for (size_t k = 0; k + 1 < r->elements; k += 2) {
        const char *f = r->element[k]->str;
        size_t fn = r->element[k]->len;
        int64_t v = dp_stat_int(r->element[k + 1]->str, r->element[k + 1]->len);
        if (fn == 8 && !memcmp(f, "sessions", 8)) {
            p->sessions += v;
            day->sessions += v;
        } else if (fn == 5 && !memcmp(f, "views", 5)) {
            p->views += v;
        } else if (fn == 5 && !memcmp(f, "dwell", 5)) {
            p->dwell += v;
        } else if (fn > 2 && f[0] == 'a' && f[1] == ':') {
            dp_actions_add(&p->actions, f + 2, fn - 2, v);
            day->actions += v;
        } else if (fn > 2 && f[0] == 'm' && f[1] == ':') {
            /* m:<material>:dwell | m:<material>:completed */
            const char *end = f + fn;
            const char *c = end;
            while (c > f + 2 && c[-1] != ':')
                c--;
            if (c <= f + 3) continue;
            dp_pmat *m = mat_of(p, f + 2, (size_t)(c - 1 - (f + 2)));
            if (m == NULL) continue;
            if ((size_t)(end - c) == 5 && !memcmp(c, "dwell", 5))
                m->dwell += v;
            else if ((size_t)(end - c) == 9 && !memcmp(c, "completed", 9))
                m->completed += v;
        } else if (fn > 2 && f[0] == 's' && f[1] == ':') {
            /* s:<material>|<slide>|<version>:views | :dwell: its material
             * was read in the range, whether or not a dwell came with it */
            const char *end = f + fn;
            const char *c = end;
            while (c > f + 2 && c[-1] != ':')
                c--;
            if (c <= f + 3) continue;
            const char *bar = memchr(f + 2, '|', (size_t)(c - 1 - (f + 2)));
            if (bar && bar > f + 2) (void)mat_of(p, f + 2, (size_t)(bar - (f + 2)));
            if (!l->detail) continue;
            dp_pslide *s = slide_of(p, f + 2, (size_t)(c - 1 - (f + 2)));
            if (s == NULL) continue;
            if ((size_t)(end - c) == 5 && !memcmp(c, "views", 5))
                s->views += v;
            else if ((size_t)(end - c) == 5 && !memcmp(c, "dwell", 5))
                s->dwell += v;
        }
    }
}

static void on_forwarded(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_prospect *p = &((dp_pload *)tag)->v[i];
    (void)q;
    /* one answer per presentation and shard; count a presentation once */
    if (r->type == REDIS_REPLY_STRING && r->len == 1 && r->str[0] == '1') p->forwarded++;
}

/* In a cluster, each shard's answer for one presentation. */
static void on_forwarded_shard(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    struct dp_pfwd *f = tag;
    (void)q;
    (void)i;
    if (!f->counted && r->type == REDIS_REPLY_STRING && r->len == 1 && r->str[0] == '1') {
        f->counted = 1;
        f->p->forwarded++;
    }
}

static void scored(dp_rq *q)
{
    dp_pload *l = q->aux;
    /* what one day can add to the score (score.h): a link opened again and
     * again, or one button pressed in a loop, is not more interest */
    const dp_config *cfg = q->srv->cfg;
    for (size_t k = 0; k < l->ndays_used; k++) {
        const struct dp_pday *d = &l->days[k];
        dp_prospect *p = &l->v[d->prospect];
        p->capped_sessions +=
            d->sessions < cfg->score_sessions_per_day ? d->sessions : cfg->score_sessions_per_day;
        p->capped_actions +=
            d->actions < cfg->score_actions_per_day ? d->actions : cfg->score_actions_per_day;
    }
    for (size_t i = 0; i < l->n; i++) {
        dp_prospect *p = &l->v[i];
        /* seen in the range, but not in the mode asked for: not active */
        if (!p->counted) p->active = 0;
        if (p->forwarded > (int64_t)p->npres) p->forwarded = (int64_t)p->npres;
        int64_t completions = 0;
        for (size_t k = 0; k < p->nmats; k++)
            completions += p->mats[k].completed > 0;
        p->in = (dp_score_input){.dwell_ms = p->dwell,
                                 .completions = completions,
                                 .sessions = p->capped_sessions,
                                 .forwarded = p->forwarded,
                                 .actions = p->capped_actions,
                                 .age_days = q->today - p->last_seen / 86400000};
        dp_score_compute(q->srv->cfg, &p->in, &p->score);
    }
    l->done(q); /* q->aux is still l: a caller that embeds l finds itself */
}

static void read_counters(dp_rq *q)
{
    dp_pload *l = q->aux;
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes);
    int64_t ndays = q->p.to_day - q->p.from_day + 1;
    for (size_t i = 0; i < l->n; i++) {
        dp_prospect *p = &l->v[i];
        char key[256], day[11];
        for (int64_t d = 0; d < ndays; d++) {
            if (!p->has[d]) continue;
            p->active = 1;
            size_t used = l->ndays_used; /* 16, then doubling at powers of two */
            if (used == 0 || (used >= 16 && (used & (used - 1)) == 0))
                l->days = dp_realloc(l->days, (used ? 2 * used : 16) * sizeof(*l->days));
            size_t slot = l->ndays_used++;
            l->days[slot] = (struct dp_pday){.prospect = i};
            dp_day_format(q->p.from_day + d, day);
            for (size_t k = 0; k < nm; k++)
                for (unsigned s = 0; s < q->shards; s++) {
                    dp_key_pd(key, sizeof(key), s, p->id, day, modes[k]);
                    dp_rq_cmd2(q, on_counters, l, slot, "HGETALL", key);
                }
        }
        if (!p->active) continue;
        for (size_t k = 0; k < p->npres; k++) {
            /* forwarded is set on the shard of a session that saw the second
             * browser: ask each shard, count the presentation once */
            dp_key_pres(key, sizeof(key), 0u, p->pres[k]);
            if (q->shards == 1) {
                dp_rq_cmd3(q, on_forwarded, l, i, "HGET", key, "forwarded");
            } else if (dp_redis_is_cluster(&q->srv->rredis)) {
                /* the shards' keys are on their own nodes: one HGET each */
                struct dp_pfwd *f = dp_calloc(1, sizeof(*f));
                f->p = p;
                l->fwd = dp_realloc(l->fwd, (l->nfwd + 1) * sizeof(*l->fwd));
                l->fwd[l->nfwd++] = f;
                for (unsigned s = 0; s < q->shards; s++) {
                    dp_key_pres(key, sizeof(key), s, p->pres[k]);
                    dp_rq_cmd3(q, on_forwarded_shard, f, i, "HGET", key, "forwarded");
                }
            } else {
                const char *argv[2 + DP_SHARDS_MAX];
                char keys[DP_SHARDS_MAX][96];
                argv[0] = "EVAL";
                argv[1] = "for i=1,#KEYS do if redis.call('HGET',KEYS[i],'forwarded')=='1' then "
                          "return '1' end end return '0'";
                char nk[16];
                snprintf(nk, sizeof(nk), "%u", q->shards);
                argv[2] = nk;
                for (unsigned s = 0; s < q->shards; s++) {
                    dp_key_pres(keys[s], sizeof(keys[s]), s, p->pres[k]);
                    argv[3 + s] = keys[s];
                }
                dp_rq_cmd(q, on_forwarded, l, i, 3 + q->shards, argv);
            }
        }
    }
    dp_rq_run(q, scored);
}

void dp_pload_run(dp_rq *q, dp_pload *l, dp_rq_step_fn done)
{
    l->done = done;
    q->aux = l;
    int64_t ndays = q->p.to_day - q->p.from_day + 1;
    for (size_t i = 0; i < l->n; i++) {
        dp_prospect *p = &l->v[i];
        p->has = dp_calloc((size_t)ndays, 1);
        char key[128];
        for (unsigned s = 0; s < q->shards; s++) {
            dp_key_prospect(key, sizeof(key), s, p->id);
            dp_rq_cmd2(q, on_hash, l, i, "HGETALL", key);
            dp_key_pdays(key, sizeof(key), s, p->id);
            dp_rq_cmd2(q, on_days, l, i, "SMEMBERS", key);
            dp_key_ppres(key, sizeof(key), s, p->id);
            dp_rq_cmd2(q, on_pres, l, i, "SMEMBERS", key);
        }
    }
    dp_rq_run(q, read_counters);
}
