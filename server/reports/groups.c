#include "groups.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "report_params.h"

void dp_groups_init(dp_groups *g, char kind, int detail, size_t max_prospects)
{
    memset(g, 0, sizeof(*g));
    g->kind = kind;
    g->detail = detail;
    dp_strmap_init(&g->ix);
    dp_strmap_init(&g->pmembers);
    dp_strmap_init(&g->amembers);
    dp_strmap_init(&g->cut_ix);
    dp_strmap_init(&g->deck_ix);
    dp_attrib_init(&g->deals);
    dp_pload_init(&g->people, 0, max_prospects);
}

void dp_groups_free(dp_groups *g)
{
    for (size_t i = 0; i < g->n; i++) {
        dp_free(g->v[i].win_days);
        dp_free(g->v[i].mstats);
        dp_free(g->v[i].prospects);
        dp_free(g->v[i].pres);
        dp_free(g->v[i].has);
        dp_strmap_free(&g->v[i].mix);
    }
    for (size_t i = 0; i < g->nlists; i++)
        dp_free(g->lists[i].v);
    dp_free(g->lists);
    dp_free(g->v);
    dp_free(g->cuts);
    dp_strmap_free(&g->ix);
    dp_strmap_free(&g->pmembers);
    dp_strmap_free(&g->amembers);
    dp_strmap_free(&g->cut_ix);
    dp_free(g->deckv);
    dp_strmap_free(&g->deck_ix);
    if (g->catalog) json_decref(g->catalog);
    dp_free(g->cat_mats);
    dp_attrib_free(&g->deals);
    dp_pload_free(&g->people);
    dp_arena_free(&g->a);
}

static void *grow_to(void *p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 16;
    return dp_realloc(p, *cap * size);
}

static void add_group(dp_groups *g, const char *id, size_t len)
{
    if (!dp_id_valid(id, len) || dp_strmap_get(&g->ix, id, len)) return;
    if (g->n >= DP_GROUPS_MAX) {
        g->truncated = 1;
        return;
    }
    g->v = grow_to(g->v, g->n, &g->cap, sizeof(dp_group));
    dp_group *x = &g->v[g->n++];
    memset(x, 0, sizeof(*x));
    x->id = dp_arena_strn(&g->a, id, len);
    dp_strmap_init(&x->mix);
    dp_strmap_put(&g->ix, id, len, (void *)(uintptr_t)g->n);
}

void dp_groups_only(dp_groups *g, const char *id, size_t len)
{
    add_group(g, id, len);
}

/* Group gi is reached from key (a prospect or an account) in map. */
static void member(dp_groups *g, dp_strmap *map, const char *key, size_t len, uint32_t gi)
{
    uintptr_t li = (uintptr_t)dp_strmap_get(map, key, len);
    if (li == 0) {
        if (g->nlists == 0 || (g->nlists & (g->nlists - 1)) == 0)
            g->lists = dp_realloc(g->lists, (g->nlists ? g->nlists * 2 : 16) * sizeof(*g->lists));
        memset(&g->lists[g->nlists], 0, sizeof(g->lists[0]));
        if (dp_strmap_put(map, key, len, (void *)(uintptr_t)(g->nlists + 1)) != 0) return;
        li = ++g->nlists;
    }
    struct dp_glist *l = &g->lists[li - 1];
    for (size_t i = l->n; i > 0 && i + 8 > l->n; i--) /* a group's entries come together */
        if (l->v[i - 1] == gi) return;
    l->v = grow_to(l->v, l->n, &l->cap, sizeof(uint32_t));
    l->v[l->n++] = gi;
}

static dp_mstat *mstat(dp_groups *g, dp_group *x, const char *m, size_t len)
{
    uintptr_t k = (uintptr_t)dp_strmap_get(&x->mix, m, len);
    if (k) return &x->mstats[k - 1];
    if (x->nm == 0 || (x->nm & (x->nm - 1)) == 0)
        x->mstats = dp_realloc(x->mstats, (x->nm ? x->nm * 2 : 16) * sizeof(dp_mstat));
    dp_mstat *s = &x->mstats[x->nm++];
    memset(s, 0, sizeof(*s));
    s->material = dp_arena_strn(&g->a, m, len);
    dp_strmap_put(&x->mix, m, len, (void *)(uintptr_t)x->nm);
    return s;
}

/* ---- round 1: which groups ---- */

static void on_known(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    dp_groups *g = tag;
    (void)q;
    (void)itag;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) g->known = 1;
}

static void on_ids(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    dp_groups *g = tag;
    (void)q;
    (void)itag;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING)
            add_group(g, r->element[i]->str, r->element[i]->len);
}

/* ---- round 2: link records, session days, presentations ---- */

static void on_links(dp_rq *q, const redisReply *r, void *tag, size_t gi)
{
    dp_groups *g = tag;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        int64_t d = dp_day_parse(r->element[k]->str, r->element[k]->len);
        if (d >= q->p.from_day && d <= q->p.to_day)
            g->v[gi].links += strtoll(r->element[k + 1]->str, NULL, 10);
    }
}

static void on_lp(dp_rq *q, const redisReply *r, void *tag, size_t gi)
{
    dp_groups *g = tag;
    dp_group *x = &g->v[gi];
    if (r->type != REDIS_REPLY_ARRAY) return;
    if (r->elements / 2 > DP_GROUP_PROSPECTS) x->cut_prospects = 1;
    size_t cap = x->nprospects;
    for (size_t k = 0; k + 1 < r->elements && k / 2 < DP_GROUP_PROSPECTS; k += 2) {
        const redisReply *m = r->element[k];
        const char *bar = memchr(m->str, '|', m->len);
        if (bar == NULL) continue;
        const char *p = bar + 1;
        size_t plen = m->len - (size_t)(p - m->str);
        member(g, &g->pmembers, p, plen, (uint32_t)gi);
        int64_t d = strtoll(r->element[k + 1]->str, NULL, 10);
        if (d < q->p.from_day || d > q->p.to_day) continue;
        x->prospects = grow_to(x->prospects, x->nprospects, &cap, sizeof(char *));
        x->prospects[x->nprospects++] = dp_arena_strn(&g->a, p, plen);
    }
}

static void on_set(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    dp_groups *g = tag;
    (void)q;
    dp_strmap *map = itag & 1 ? &g->amembers : &g->pmembers;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++)
        if (r->element[k]->type == REDIS_REPLY_STRING)
            member(g, map, r->element[k]->str, r->element[k]->len, (uint32_t)(itag >> 1));
}

static void on_days(dp_rq *q, const redisReply *r, void *tag, size_t gi)
{
    dp_groups *g = tag;
    dp_rq_days(r, q->p.from_day, q->p.to_day, g->v[gi].has);
}

static void on_pres(dp_rq *q, const redisReply *r, void *tag, size_t gi)
{
    dp_groups *g = tag;
    dp_group *x = &g->v[gi];
    (void)q;
    if (r->type != REDIS_REPLY_ARRAY) return;
    x->pres = dp_calloc(r->elements ? r->elements : 1, sizeof(char *));
    for (size_t k = 0; k < r->elements; k++)
        if (r->element[k]->type == REDIS_REPLY_STRING)
            x->pres[x->npres++] = dp_arena_strn(&g->a, r->element[k]->str, r->element[k]->len);
}

/* ---- round 3: session counters; decks ---- */

static void on_counter(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    dp_groups *g = tag;
    dp_group *x = &g->v[itag >> 1];
    int live = (int)(itag & 1);
    (void)q;
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        const char *f = r->element[k]->str;
        size_t fl = r->element[k]->len;
        int64_t v = strtoll(r->element[k + 1]->str, NULL, 10);
        if (!strcmp(f, "sessions"))
            x->sessions[live] += v;
        else if (!strcmp(f, "completed"))
            x->completed += v;
        else if (g->detail && fl > 11 && !strncmp(f, "m:", 2) && !strcmp(f + fl - 9, ":sessions"))
            mstat(g, x, f + 2, fl - 11)->sessions += v;
    }
}

static void on_deck(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_groups *g = tag;
    (void)q;
    (void)i;
    if (r->type != REDIS_REPLY_STRING || r->len == 0) return;
    g->decks++;
    uintptr_t k = (uintptr_t)dp_strmap_get(&g->deck_ix, r->str, r->len);
    if (k) {
        g->deckv[k - 1].count++;
        return;
    }
    if (g->ndeckv == 0 || (g->ndeckv & (g->ndeckv - 1)) == 0)
        g->deckv = dp_realloc(g->deckv, (g->ndeckv ? g->ndeckv * 2 : 16) * sizeof(*g->deckv));
    g->deckv[g->ndeckv] = (struct dp_deck){dp_arena_strn(&g->a, r->str, r->len), 1};
    dp_strmap_put(&g->deck_ix, r->str, r->len, (void *)(uintptr_t)(++g->ndeckv));
}

/* The next "<name>":"<id>" of a canonical deck (ids hold no quote or
 * backslash: dp_id_valid), from *p: its id and length, or NULL. */
static const char *deck_next(const char **p, const char *name, size_t *len)
{
    char pat[16];
    int n = snprintf(pat, sizeof(pat), "\"%s\":\"", name);
    const char *at = strstr(*p, pat);
    if (at == NULL) return NULL;
    at += n;
    const char *end = strchr(at, '"');
    if (end == NULL) return NULL;
    *len = (size_t)(end - at);
    *p = end + 1;
    return at;
}

static void on_catalog(dp_rq *q, const redisReply *r, void *tag, size_t i)
{
    dp_groups *g = tag;
    (void)q;
    if (r->type != REDIS_REPLY_STRING) return;
    json_t *s = json_loadb(r->str, r->len, 0, NULL);
    if (s && json_is_array(s))
        json_object_set_new(g->catalog, g->cat_mats[i], s);
    else if (s)
        json_decref(s);
}

/* ---- the rounds ---- */

static void after_people(dp_rq *q);

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static void read_people(dp_rq *q)
{
    dp_groups *g = CONTAINER_OF(q->aux, dp_groups, deals);
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = 0; k < g->v[i].nprospects; k++)
            dp_pload_add(&g->people, g->v[i].prospects[k], strlen(g->v[i].prospects[k]));
    dp_pload_run(q, &g->people, after_people);
}

static void read_deals(dp_rq *q)
{
    dp_groups *g = q->aux;
    dp_attrib_run(q, &g->deals, read_people);
}

/* the catalog decks of every material the owner's decks hold */
static void read_catalog(dp_rq *q)
{
    dp_groups *g = q->aux;
    g->catalog = json_object();
    for (size_t i = 0; i < g->ndeckv; i++) {
        const char *p = g->deckv[i].json, *m;
        size_t ml;
        while ((m = deck_next(&p, "material", &ml)) != NULL) {
            char id[DP_ID_MAX + 1];
            if (ml > DP_ID_MAX) continue;
            memcpy(id, m, ml);
            id[ml] = '\0';
            if (json_object_get(g->catalog, id)) continue;
            json_object_set_new(g->catalog, id, json_array()); /* until the catalog answers */
            if (g->ncat_mats == 0 || (g->ncat_mats & (g->ncat_mats - 1)) == 0)
                g->cat_mats = dp_realloc(g->cat_mats,
                                         (g->ncat_mats ? g->ncat_mats * 2 : 16) * sizeof(char *));
            g->cat_mats[g->ncat_mats] = dp_arena_strn(&g->a, id, ml);
            char key[DP_ID_MAX + 32];
            dp_key_catalog_material(key, sizeof(key), id);
            dp_rq_cmd3(q, on_catalog, g, g->ncat_mats++, "HGET", key, "slides");
        }
    }
    dp_rq_run(q, read_deals);
}

static void read_counters(dp_rq *q)
{
    dp_groups *g = q->aux;
    const char *modes[2];
    size_t nm = dp_rq_modes(q, modes);
    for (size_t i = 0; i < g->n; i++) {
        dp_group *x = &g->v[i];
        for (int64_t d = 0; d <= q->p.to_day - q->p.from_day; d++) {
            if (!x->has[d]) continue;
            char day[11], key[DP_ID_MAX + 64];
            dp_day_format(q->p.from_day + d, day);
            for (size_t k = 0; k < nm; k++)
                for (unsigned s = 0; s < q->shards; s++) {
                    if (g->kind == 'c')
                        dp_key_cd(key, sizeof(key), s, x->id, day, modes[k]);
                    else
                        dp_key_od(key, sizeof(key), s, x->id, day, modes[k]);
                    dp_rq_cmd2(q, on_counter, g, i * 2 + (modes[k][0] == 'l'), "HGETALL", key);
                }
        }
        dp_free(x->has);
        x->has = NULL;
        for (size_t k = 0; k < x->npres && g->asked < DP_GROUP_PRESENTATIONS; k++) {
            char key[DP_ID_MAX + 32];
            dp_key_deck(key, sizeof(key), x->pres[k]);
            dp_rq_cmd2(q, on_deck, g, g->asked++, "GET", key);
        }
    }
    dp_rq_run(q, g->asked ? read_catalog : read_deals);
}

static void read_records(dp_rq *q)
{
    dp_groups *g = q->aux;
    char k = g->kind;
    char from[24], to[24], lim[16];
    snprintf(from, sizeof(from), "%lld", (long long)dp_day_ms(q->p.from_day));
    snprintf(to, sizeof(to), "%lld", (long long)(dp_day_ms(q->p.to_day + 1) - 1));
    snprintf(lim, sizeof(lim), "%d", DP_GROUP_PROSPECTS);
    int64_t ndays = q->p.to_day - q->p.from_day + 1;
    for (size_t i = 0; i < g->n; i++) {
        dp_group *x = &g->v[i];
        x->has = dp_calloc((size_t)ndays, 1);
        char key[DP_ID_MAX + 48];
        dp_key_linkrec(key, sizeof(key), "ln", k, x->id);
        dp_rq_cmd2(q, on_links, g, i, "HGETALL", key);
        dp_key_linkrec(key, sizeof(key), "lp", k, x->id);
        const char *lp[] = {"ZRANGE", key, "0", lim, "WITHSCORES"};
        dp_rq_cmd(q, on_lp, g, i, 5, lp);
        dp_key_linkrec(key, sizeof(key), "la", k, x->id);
        dp_rq_cmd2(q, on_set, g, i * 2 + 1, "SMEMBERS", key);
        if (g->detail && k == 'o') {
            dp_key_linkrec(key, sizeof(key), "lpr", k, x->id);
            char plim[16];
            snprintf(plim, sizeof(plim), "%d", DP_GROUP_PRESENTATIONS);
            const char *pr[] = {"ZRANGEBYSCORE", key, from, to, "LIMIT", "0", plim};
            dp_rq_cmd(q, on_pres, g, i, 7, pr);
        }
        for (unsigned s = 0; s < q->shards; s++) {
            if (k == 'c')
                dp_key_cprospects(key, sizeof(key), s, x->id);
            else
                dp_key_oprospects(key, sizeof(key), s, x->id);
            dp_rq_cmd2(q, on_set, g, i * 2, "SMEMBERS", key);
            if (k == 'c')
                dp_key_cdays(key, sizeof(key), s, x->id);
            else
                dp_key_odays(key, sizeof(key), s, x->id);
            dp_rq_cmd2(q, on_days, g, i, "SMEMBERS", key);
        }
    }
    dp_rq_run(q, read_counters);
}

void dp_groups_run(dp_rq *q, dp_groups *g, dp_rq_step_fn done)
{
    g->done = done;
    q->aux = g;
    const char *one = g->detail && g->n ? g->v[0].id : NULL;
    for (unsigned s = 0; s <= q->shards; s++) {
        char key[32];
        if (s == q->shards)
            snprintf(key, sizeof(key), "%s", g->kind == 'c' ? DP_KEY_CAMPAIGNS : DP_KEY_OWNERS);
        else if (g->kind == 'c')
            dp_key_campaigns(key, sizeof(key), s);
        else
            dp_key_owners(key, sizeof(key), s);
        if (one)
            dp_rq_cmd3(q, on_known, g, 0, "SISMEMBER", key, one);
        else
            dp_rq_cmd2(q, on_ids, g, 0, "SMEMBERS", key);
    }
    dp_rq_run(q, read_records);
}

/* ---- the figures ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int64_t dp_group_days_to_win(const dp_group *x)
{
    return x->nwin ? x->win_days[(x->nwin - 1) / 2] : -1;
}

/* The groups reached from key in map, each once per deal (mark/stamp). */
static void reach(dp_groups *g, dp_strmap *map, const char *key, uint32_t *mark, uint32_t stamp,
                  uint32_t *out, size_t *n)
{
    uintptr_t li = (uintptr_t)dp_strmap_get(map, key, strlen(key));
    if (li == 0) return;
    const struct dp_glist *l = &g->lists[li - 1];
    for (size_t k = 0; k < l->n; k++)
        if (mark[l->v[k]] != stamp) {
            mark[l->v[k]] = stamp;
            out[(*n)++] = l->v[k];
        }
}

/* The slides of a material's catalog deck that a deck of the owner, holding
 * that material, left out (by slide id, whatever the version), times the
 * presentations with that deck. */
static void count_cuts(dp_groups *g)
{
    for (size_t i = 0; i < g->ndeckv; i++) {
        dp_strmap has; /* "material|slide" and "material" of this deck */
        dp_strmap_init(&has);
        const char *p = g->deckv[i].json, *m, *sl;
        size_t ml, sll;
        while ((m = deck_next(&p, "material", &ml)) != NULL &&
               (sl = deck_next(&p, "slide", &sll)) != NULL) {
            char both[2 * DP_ID_MAX + 2];
            if (ml > DP_ID_MAX || sll > DP_ID_MAX) continue;
            int bl = snprintf(both, sizeof(both), "%.*s|%.*s", (int)ml, m, (int)sll, sl);
            dp_strmap_put(&has, both, (size_t)bl, (void *)1);
            dp_strmap_put(&has, m, ml, (void *)1);
        }
        const char *cm;
        json_t *slides, *e;
        size_t k;
        json_object_foreach(g->catalog, cm, slides)
        {
            if (!dp_strmap_get(&has, cm, strlen(cm))) continue;
            json_array_foreach(slides, k, e)
            {
                const char *cs = json_string_value(json_object_get(e, "slide"));
                if (cs == NULL) continue;
                char both[2 * DP_ID_MAX + 2];
                int bl = snprintf(both, sizeof(both), "%s|%s", cm, cs);
                if (dp_strmap_get(&has, both, (size_t)bl)) continue;
                uintptr_t ci = (uintptr_t)dp_strmap_get(&g->cut_ix, both, (size_t)bl);
                if (ci == 0) {
                    if (g->ncuts == 0 || (g->ncuts & (g->ncuts - 1)) == 0)
                        g->cuts =
                            dp_realloc(g->cuts, (g->ncuts ? g->ncuts * 2 : 16) * sizeof(dp_cut));
                    g->cuts[g->ncuts] = (dp_cut){dp_arena_strn(&g->a, cm, strlen(cm)),
                                                 dp_arena_strn(&g->a, cs, strlen(cs)), 0};
                    dp_strmap_put(&g->cut_ix, both, (size_t)bl, (void *)(uintptr_t)(++g->ncuts));
                    ci = g->ncuts;
                }
                g->cuts[ci - 1].times += g->deckv[i].count;
            }
        }
        dp_strmap_free(&has);
    }
}

static int cmp_cut(const void *a, const void *b)
{
    const dp_cut *x = a, *y = b;
    if (x->times != y->times) return x->times > y->times ? -1 : 1;
    int c = strcmp(x->material, y->material);
    return c ? c : strcmp(x->slide, y->slide);
}

static void after_people(dp_rq *q)
{
    dp_groups *g = CONTAINER_OF(q->aux, dp_groups, people);
    /* the funnel of the range's links: each prospect once */
    for (size_t i = 0; i < g->n; i++) {
        dp_group *x = &g->v[i];
        if (x->nprospects) qsort(x->prospects, x->nprospects, sizeof(char *), cmp_str);
        size_t w = 0;
        for (size_t k = 0; k < x->nprospects; k++) {
            if (w && !strcmp(x->prospects[w - 1], x->prospects[k])) continue;
            x->prospects[w++] = x->prospects[k];
            uintptr_t pi = (uintptr_t)dp_strmap_get(&g->people.index, x->prospects[k],
                                                    strlen(x->prospects[k]));
            if (pi == 0) continue;
            const dp_prospect *p = &g->people.v[pi - 1];
            x->opened += p->sessions > 0;
            const char *t = p->score.temperature ? p->score.temperature : "cold";
            x->hot += !strcmp(t, "hot");
            x->engaged += !strcmp(t, "hot") || !strcmp(t, "warm");
        }
        x->nprospects = w;
    }
    /* the deals that came through each group */
    uint32_t *mark = dp_calloc(g->n ? g->n : 1, sizeof(uint32_t));
    uint32_t *hit = dp_malloc((g->n ? g->n : 1) * sizeof(uint32_t));
    const dp_attrib *a = &g->deals;
    for (size_t i = 0; i < a->n; i++) {
        const dp_deal *d = &a->v[i];
        uint32_t stamp = (uint32_t)i + 1;
        size_t nh = 0;
        const char *named = g->kind == 'c' ? d->campaign : d->owner;
        uintptr_t gi = *named ? (uintptr_t)dp_strmap_get(&g->ix, named, strlen(named)) : 0;
        if (gi && mark[gi - 1] != stamp) {
            mark[gi - 1] = stamp;
            hit[nh++] = (uint32_t)(gi - 1);
        }
        for (size_t k = 0; k < d->nprospects; k++)
            reach(g, &g->pmembers, d->prospects[k], mark, stamp, hit, &nh);
        if (d->nprospects == 0 && *d->account)
            reach(g, &g->amembers, d->account, mark, stamp, hit, &nh);
        int won = d->stage == DP_DEAL_WON, lost = d->stage == DP_DEAL_LOST;
        for (size_t h = 0; h < nh; h++) {
            dp_group *x = &g->v[hit[h]];
            x->deals++;
            x->won += won;
            x->lost += lost;
            if (won) {
                x->won_amount += d->amount;
                if (d->first_seen >= 0 && d->first_seen <= d->at) {
                    x->win_days = dp_realloc(x->win_days, (x->nwin + 1) * sizeof(int64_t));
                    x->win_days[x->nwin++] = (d->at - d->first_seen) / 86400000;
                }
            }
            if (!g->detail) continue;
            for (size_t k = 0; k < d->nmats; k++) {
                const char *m = a->mats[d->mats[k]];
                dp_mstat *s = mstat(g, x, m, strlen(m));
                s->deals++;
                s->won += won;
            }
        }
    }
    dp_free(mark);
    dp_free(hit);
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].nwin) qsort(g->v[i].win_days, g->v[i].nwin, sizeof(int64_t), cmp_i64);
    if (g->catalog) count_cuts(g);
    if (g->ncuts) qsort(g->cuts, g->ncuts, sizeof(dp_cut), cmp_cut);
    g->done(q);
}
