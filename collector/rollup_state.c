/* Reading the state a batch depends on: each session's hash (with its
 * materials, slide versions and positions seen: keys.h), which of its seqs
 * were applied before (SMISMEMBER), the first/last seen of its prospect and
 * account, and the presentation viewers of its days; the session hashes
 * and the seen ranges under WATCH. */
#include <stdlib.h>

#include "deckpulse/keys.h"
#include "redis_sync.h"
#include "rollup_batch.h"
#include "rollup_caps.h"
#include "rollup_state.h"
#include "rollup_migrate.h"
#include "rollup_peers.h"

static const char *field_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, name) &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

static int64_t int_or(const char *s, int64_t dflt)
{
    return s ? strtoll(s, NULL, 10) : dflt;
}

/* More than one browser among the batch's viewers and the firsts of every
 * shard (an MGET reply). */
static int forwarded(const pvd *p, const redisReply *firsts)
{
    const char *one = p->viewers[0];
    for (size_t j = 1; j < p->n; j++)
        if (strcmp(p->viewers[j], one) != 0) return 1;
    for (size_t k = 0; firsts->type == REDIS_REPLY_ARRAY && k < firsts->elements; k++)
        if (firsts->element[k]->type == REDIS_REPLY_STRING && strcmp(firsts->element[k]->str, one))
            return 1;
    return 0;
}

/* The session's state fields, read in one pass over its hash (which also
 * holds one field per material, slide version and position seen: a lookup
 * per name was a pass each). */
static void load_session(batch *b, sess *s, const redisReply *r)
{
    s->isnew = r->elements == 0;
    if (s->isnew) return;
    static const char *const names[] = {"presentation", "prospect", "account",   "mode", "last",
                                        "exit",         "slides",   "maxidx",    "seen", "lastseq",
                                        "lastrecv",     "ow",       "cp",        "fm",   "dw",
                                        "na",           "al",       "completed", "ended"};
    enum { NNAMES = sizeof(names) / sizeof(*names) };
    const char *v[NNAMES] = {0};
    size_t vl[NNAMES] = {0};
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *x = r->element[i + 1];
        /* the caches' fields are "<letter>:..."; the state's names are not */
        if (f->type != REDIS_REPLY_STRING || x->type != REDIS_REPLY_STRING ||
            (f->len > 1 && f->str[1] == ':'))
            continue;
        for (int k = 0; k < NNAMES; k++)
            if (f->len == strlen(names[k]) && !memcmp(f->str, names[k], f->len)) {
                v[k] = x->str;
                vl[k] = x->len;
                break;
            }
    }
    const char **dst[6] = {&s->presentation, &s->prospect, &s->account,
                           &s->mode,         &s->last,     &s->exit};
    for (int i = 0; i < 6; i++)
        *dst[i] = v[i] ? dp_arena_strn(&b->a, v[i], vl[i]) : (i < 4 ? "" : NULL);
    s->slides = int_or(v[6], 0);
    s->maxidx = int_or(v[7], -1);
    s->seen = int_or(v[8], 0);
    s->lastseq = int_or(v[9], -1);
    s->lastrecv = int_or(v[10], 0);
    s->owner = v[11] ? dp_arena_strn(&b->a, v[11], vl[11]) : "";
    s->campaign = v[12] ? dp_arena_strn(&b->a, v[12], vl[12]) : "";
    s->material = v[13] ? dp_arena_strn(&b->a, v[13], vl[13]) : "";
    s->dwell = int_or(v[14], 0);
    s->nactions = int_or(v[15], 0);
    s->alerted = int_or(v[16], 0) == 1;
    s->completed = v[17] && !strcmp(v[17], "1");
    s->ended = v[18] && !strcmp(v[18], "1");
}

/* The session hash's "m:", "v:" and "p:" fields into its caches; a
 * session written before they were there (no "f" field) is legacy. */
static void load_caches(batch *b, sess *s, const redisReply *r)
{
    cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || f->len < 3 ||
            f->str[1] != ':')
            continue;
        for (int k = 0; k < 3; k++)
            if (f->str[0] == dp__rollup_cache_prefix[k][0])
                cache_put(b, cs[k], f->str + 2, k == 2 ? "" : dp_arena_strn(&b->a, v->str, v->len),
                          0);
    }
    s->legacy = !s->isnew && field_of(r, "f") == NULL;
}

int dp__rollup_read_state(batch *b, redisContext *rc, dp_err *err)
{
    dp_buf q;
    dp_buf_init(&q, 0);
    size_t nq = 0;
    /* WATCH each session's hash and the seen ranges. A session's other
     * state (its seen set, and a legacy session's smat, ssv, sseen) is
     * only ever written together with its hash (write_back: any applied
     * event rewrites the hash; the sweep and the erasure change the hash
     * too), so a change to any of them changes the hash. Redis 7.0's WATCH
     * compares each key with every key already watched: five keys a
     * session made it 25 times dearer. */
    const char **keys = NULL;
    size_t nk = 0;
    for (size_t i = 0; i < b->nsess; i++) {
        keys = grow(keys, nk, sizeof(char *));
        keys[nk++] = KEY(b, sess, b->sv[i]->sid);
    }
    for (size_t i = 0; i < b->nranges; i++) {
        keys = grow(keys, nk, sizeof(char *));
        keys[nk++] = b->ranges[i].key;
    }
    const char *watch[] = {"WATCH"};
    dp__rb_put_cmds(&q, &nq, watch, 1, keys, nk);
    size_t nwatch = nq;
    size_t *nmis = dp_calloc(b->nsess ? b->nsess : 1, sizeof(size_t));
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        const char *a1[] = {"HGETALL", keys[i]};
        dp__rb_put_cmds(&q, &nq, a1, 2, NULL, 0);
        const char *mis[] = {"SMISMEMBER", KEY(b, seen, s->sid)};
        size_t before = nq;
        dp__rb_put_cmds(&q, &nq, mis, 2, s->seqs, s->nseqs);
        nmis[i] = nq - before;
    }
    for (size_t i = 0; i < b->nranges; i++) {
        const char *a[] = {"HMGET", b->ranges[i].key, "first_seen", "last_seen"};
        dp__rb_put_cmds(&q, &nq, a, 4, NULL, 0);
    }
    /* viewers per presentation and day: added now (adding twice changes
     * nothing). The HyperLogLog counts distinct browsers for the reports,
     * but two browsers may share a register and count as one, so whether a
     * link was forwarded is decided exactly: the first browser of the day
     * is kept (SET NX, one key per shard, gone with the day's salt) and the
     * batch's browsers are compared with every shard's first. Sessions of
     * one presentation spread over the shards, so all are read (one MGET on
     * one Redis): whichever of two browsers on different shards comes last
     * sees the other. */
    for (size_t i = 0; i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        const char *add[] = {"PFADD", p->key};
        dp__rb_put_cmds(&q, &nq, add, 2, p->viewers, p->n);
        const char *first[] = {
            "SET", KEY(b, pvf, p->pres, p->day), p->viewers[0], "NX", "EX", DP_SALT_TTL_S};
        dp__rb_put_cmds(&q, &nq, first, 6, NULL, 0);
        const char *shard_keys[DP_SHARDS_MAX];
        unsigned ns = b->shards > 1 && b->shards <= DP_SHARDS_MAX && !dp__rollup_peers_apart(b)
                          ? b->shards
                          : 1;
        for (unsigned k = 0; k < ns; k++)
            shard_keys[k] =
                ns == 1 ? first[1]
                        : dp__rb_key(b, dp_key_pvf(b->kbuf, sizeof(b->kbuf), k, p->pres, p->day));
        const char *mget[] = {"MGET"};
        dp__rb_put_cmds(&q, &nq, mget, 1, shard_keys, ns);
        const char *fw[] = {"HGET", KEY(b, pres, p->pres), "forwarded"};
        dp__rb_put_cmds(&q, &nq, fw, 3, NULL, 0);
    }
    dp__caps_read(b, &q, &nq);
    int rc2 = 0;
    if (redisAppendFormattedCommand(rc, q.data, q.len) != REDIS_OK)
        rc2 = dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    dp_buf_free(&q);
    /* the replies, in the same order; all of them are read whatever happens */
    size_t got = 0;
    redisReply **rs = dp_calloc(nq ? nq : 1, sizeof(redisReply *));
    for (; rc2 == 0 && got < nq; got++)
        if ((rs[got] = dp__rollup_next_reply(rc, err)) == NULL) rc2 = -EIO;
    for (size_t i = 0; rc2 == 0 && i < nq; i++)
        if (rs[i]->type == REDIS_REPLY_ERROR)
            rc2 = dp_err_set(err, dp_redis_err_transient(rs[i]->str) ? -EIO : -EINVAL,
                             "rollup read: %.200s", rs[i]->str);
    size_t at = nwatch;
    for (size_t i = 0; rc2 == 0 && i < b->nsess; i++) {
        sess *s = b->sv[i];
        const redisReply *h = rs[at++];
        if (h->type != REDIS_REPLY_ARRAY) {
            rc2 = dp_err_set(err, -EINVAL, "rollup read: session state is not a hash");
            break;
        }
        load_session(b, s, h);
        load_caches(b, s, h);
        size_t base = 0;
        for (size_t c = 0; c < nmis[i]; c++, at++) {
            const redisReply *r = rs[at];
            for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j < r->elements; j++)
                if (r->element[j]->integer == 1)
                    dp_strmap_put(&s->known, s->seqs[base + j], strlen(s->seqs[base + j]),
                                  (void *)1);
            base += LIST_MAX;
        }
    }
    for (size_t i = 0; rc2 == 0 && i < b->nranges; i++) {
        const redisReply *r = rs[at++];
        seen_range *g = &b->ranges[i];
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            g->has_first = r->element[0]->type == REDIS_REPLY_STRING;
            g->has_last = r->element[1]->type == REDIS_REPLY_STRING;
            if (g->has_first) g->first = strtoll(r->element[0]->str, NULL, 10);
            if (g->has_last) g->last = strtoll(r->element[1]->str, NULL, 10);
        }
    }
    for (size_t i = 0; rc2 == 0 && i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        at += (p->n + LIST_MAX - 1) / LIST_MAX + 1; /* the PFADDs and the SET NX */
        p->forwarded = forwarded(p, rs[at++]);
        const redisReply *fw = rs[at++];
        p->was_forwarded = fw->type == REDIS_REPLY_STRING && !strcmp(fw->str, "1");
    }
    if (rc2 == 0) dp__caps_load(b, rs, &at);
    if (rc2 == 0) rc2 = dp__rollup_read_peers(b, err);
    for (size_t i = 0; i < got; i++)
        if (rs[i]) freeReplyObject(rs[i]);
    dp_free(rs);
    dp_free(nmis);
    dp_free(keys);
    if (rc2 == 0) rc2 = dp__rollup_read_legacy(b, rc, err);
    return rc2;
}
