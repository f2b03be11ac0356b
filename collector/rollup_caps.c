/* What one presentation may name: rollup_caps.h. */
#include "rollup_caps.h"

#include <stdlib.h>

#include "rollup_peers.h"

#define KNOWN   ((void *)1) /* in a shard's set, or admitted by this batch */
#define REFUSED ((void *)2)

/* The presentation's entry of the batch (created the first time). */
static pcap *cap_of(batch *b, const char *pres)
{
    uintptr_t ix = (uintptr_t)dp_strmap_get(&b->pcap_ix, pres, strlen(pres));
    if (ix) return &b->pcaps[ix - 1];
    b->pcaps = grow(b->pcaps, b->npcaps, sizeof(pcap));
    pcap *p = &b->pcaps[b->npcaps++];
    memset(p, 0, sizeof(*p));
    p->pres = pres;
    dp_strmap_put(&b->pcap_ix, pres, strlen(pres), (void *)(uintptr_t)b->npcaps);
    return p;
}

static const char *triple(batch *b, const dp_entry *e)
{
    return CAT(b, e->material, "|", e->slide, "|", dp_arena_i64(&b->a, e->version));
}

static int names_slide(const dp_entry *e)
{
    return e->type == DP_EV_VIEW || e->type == DP_EV_DWELL || e->type == DP_EV_ACTION;
}

static void note(batch *b, dp_strmap *m, const char ***list, size_t *n, const char *name)
{
    size_t len = strlen(name);
    if (dp_strmap_get(m, name, len)) return;
    dp_strmap_put(m, name, len, (void *)3); /* named by the batch: not known yet */
    *list = grow(*list, *n, sizeof(char *));
    (*list)[(*n)++] = name;
}

void dp__caps_note(batch *b, const dp_entry *e)
{
    if (!names_slide(e)) return;
    pcap *p = cap_of(b, e->presentation);
    note(b, &p->tri, &p->tris, &p->ntris, triple(b, e));
    if (e->type == DP_EV_ACTION) note(b, &p->act, &p->acts, &p->nacts, e->name);
}

static void read_kind(batch *b, dp_buf *q, size_t *nq, const char *key, const char *const *names,
                      size_t n, int (*builder)(char *, size_t, unsigned, const char *),
                      const char *pres)
{
    if (n) {
        const char *mis[] = {"SMISMEMBER", key};
        dp__rb_put_cmds(q, nq, mis, 2, names, n);
    }
    unsigned ns =
        b->shards > 1 && b->shards <= DP_SHARDS_MAX && !dp__rollup_peers_apart(b) ? b->shards : 1;
    for (unsigned k = 0; k < ns; k++) {
        const char *card[] = {
            "SCARD", ns == 1 ? key : dp__rb_key(b, builder(b->kbuf, sizeof(b->kbuf), k, pres))};
        dp__rb_put_cmds(q, nq, card, 2, NULL, 0);
    }
}

void dp__caps_read(batch *b, dp_buf *q, size_t *nq)
{
    for (size_t i = 0; i < b->npcaps; i++) {
        pcap *p = &b->pcaps[i];
        p->tri_key = KEY(b, ptri, p->pres);
        p->act_key = KEY(b, pact, p->pres);
        read_kind(b, q, nq, p->tri_key, p->tris, p->ntris, dp_key_ptri, p->pres);
        read_kind(b, q, nq, p->act_key, p->acts, p->nacts, dp_key_pact, p->pres);
    }
}

static void load_kind(batch *b, redisReply *const *rs, size_t *at, dp_strmap *m,
                      const char *const *names, size_t n, long long *count)
{
    for (size_t base = 0; base < n; base += LIST_MAX) {
        const redisReply *r = rs[(*at)++];
        for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j < r->elements; j++)
            if (r->element[j]->integer == 1)
                dp_strmap_put(m, names[base + j], strlen(names[base + j]), KNOWN);
    }
    unsigned ns =
        b->shards > 1 && b->shards <= DP_SHARDS_MAX && !dp__rollup_peers_apart(b) ? b->shards : 1;
    *count = 0;
    for (unsigned k = 0; k < ns; k++) {
        const redisReply *r = rs[(*at)++];
        if (r->type == REDIS_REPLY_INTEGER) *count += r->integer;
    }
}

void dp__caps_load(batch *b, redisReply *const *rs, size_t *at)
{
    for (size_t i = 0; i < b->npcaps; i++) {
        pcap *p = &b->pcaps[i];
        load_kind(b, rs, at, &p->tri, p->tris, p->ntris, &p->ntri_known);
        load_kind(b, rs, at, &p->act, p->acts, p->nacts, &p->nact_known);
    }
}

/* KNOWN, or admitted now if there is room (then added to the shard's set),
 * else REFUSED (and stays so for the rest of the batch). */
static int admit(batch *b, dp_strmap *m, const char *key, const char *name, long long *count,
                 long long max)
{
    size_t len = strlen(name);
    void *v = dp_strmap_get(m, name, len);
    if (v == KNOWN) return 1;
    if (v == REFUSED) return 0;
    if (*count >= max) {
        dp_strmap_put(m, name, len, REFUSED);
        return 0;
    }
    (*count)++;
    dp_strmap_put(m, name, len, KNOWN);
    add(b, DP_OP_SADD, key, name);
    return 1;
}

dp_cap_verdict dp__caps_admit(batch *b, const dp_entry *e)
{
    if (!names_slide(e)) return DP_CAP_OK;
    pcap *p = cap_of(b, e->presentation);
    if (!admit(b, &p->tri, p->tri_key, triple(b, e), &p->ntri_known, b->max_slides))
        return DP_CAP_SLIDES;
    if (e->type == DP_EV_ACTION &&
        !admit(b, &p->act, p->act_key, e->name, &p->nact_known, b->max_actions))
        return DP_CAP_ACTIONS;
    return DP_CAP_OK;
}

void dp__caps_free(batch *b)
{
    for (size_t i = 0; i < b->npcaps; i++) {
        dp_strmap_free(&b->pcaps[i].tri);
        dp_strmap_free(&b->pcaps[i].act);
        dp_free(b->pcaps[i].tris);
        dp_free(b->pcaps[i].acts);
    }
    dp_free(b->pcaps);
    dp_strmap_free(&b->pcap_ix);
}
