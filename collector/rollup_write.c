/* The rest of a batch's MULTI block: the sessions' state and (session,
 * seq) marks, the counters gathered (rollup_ops.h), first/last seen,
 * hot-list ranks, timeline trims, forwarding, generations, the XACK and
 * EXEC. */
#include "deckpulse/keys.h"
#include "rollup_batch.h"
#include "rollup_alerts.h"
#include "rollup_write.h"
#include "rollup_migrate.h"

/* The dirty fields of a session's caches, prefixed, as HSET pairs. */
static const char **cache_fields(batch *b, sess *s, const char **argv, size_t *n)
{
    cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
    for (int k = 0; k < 3; k++) {
        if (!cs[k]->dirty) continue;
        for (cval *v = cs[k]->list; v; v = v->next) {
            if (!v->dirty) continue;
            argv = grow(argv, *n, sizeof(char *));
            argv[(*n)++] = CAT(b, dp__rollup_cache_prefix[k], v->field);
            argv = grow(argv, *n, sizeof(char *));
            argv[(*n)++] = k == 2 ? "1" : v->value;
        }
    }
    return argv;
}

void dp__rollup_write_back(batch *b, const char *ttl, const char *stream, const char *group,
                           const char **acks, size_t nacks)
{
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (s->nfresh) {
            const char *seen = KEY(b, seen, s->sid);
            const char *head[] = {"SADD", seen};
            write_list(b, head, 2, s->fresh, s->nfresh);
            const char *pe[] = {"PEXPIRE", seen, ttl};
            write_cmd(b, 3, pe);
        }
        if (s->started && s->prospect && *s->prospect) {
            /* the prospect's sessions, so an erasure finds every one of them
             * (the timeline keeps only the newest events) */
            const char *ps = KEY(b, psess, s->prospect);
            const char *sa[] = {"SADD", ps, s->sid};
            write_cmd(b, 3, sa);
            const char *pe[] = {"PEXPIRE", ps, ttl};
            write_cmd(b, 3, pe);
        }
        if (!s->dirty) continue;
        const char *k = KEY(b, sess, s->sid);
        const char *lastrecv = dp_arena_i64(&b->a, s->lastrecv);
        /* the state and the dirty cache fields in one HSET, one PEXPIRE */
        const char *hs[] = {"f",
                            "2",
                            "presentation",
                            s->presentation,
                            "prospect",
                            s->prospect ? s->prospect : "",
                            "account",
                            s->account ? s->account : "",
                            "mode",
                            s->mode,
                            "slides",
                            dp_arena_i64(&b->a, s->slides),
                            "maxidx",
                            dp_arena_i64(&b->a, s->maxidx),
                            "seen",
                            dp_arena_i64(&b->a, s->seen),
                            "completed",
                            s->completed ? "1" : "0",
                            "lastseq",
                            dp_arena_i64(&b->a, s->lastseq),
                            "last",
                            s->last ? s->last : "",
                            "ended",
                            s->ended ? "1" : "0",
                            "exit",
                            s->exit ? s->exit : "",
                            "lastrecv",
                            lastrecv};
        /* ow, cp, fm, dw, na, al: written while they change (below) */
        size_t nf = sizeof(hs) / sizeof(hs[0]);
        size_t cap = 4;
        while (cap < nf)
            cap *= 2; /* what grow() expects: it doubles at powers of two */
        const char **fields = dp_malloc(cap * sizeof(char *));
        memcpy(fields, hs, sizeof(hs));
        fields = cache_fields(b, s, fields, &nf);
        if (s->alert_dirty) { /* what session.ended says: dwell, actions, started */
            const char *al[6] = {"dw", dp_arena_i64(&b->a, s->dwell),
                                 "na", dp_arena_i64(&b->a, s->nactions),
                                 "al", s->alerted ? "1" : "0"};
            for (int j = 0; j < 6; j++) {
                fields = grow(fields, nf, sizeof(char *));
                fields[nf++] = al[j];
            }
        }
        if (s->ids_dirty) { /* the link's owner and campaign, the first material */
            const char *ids[6] = {"ow", s->owner ? s->owner : "",
                                  "cp", s->campaign ? s->campaign : "",
                                  "fm", s->material ? s->material : ""};
            for (int j = 0; j < 6; j++) {
                fields = grow(fields, nf, sizeof(char *));
                fields[nf++] = ids[j];
            }
        }
        const char *head[] = {"HSET", k};
        write_list(b, head, 2, fields, nf);
        dp_free(fields);
        if (s->legacy) dp__rollup_drop_legacy(b, s);
        const char *pe[] = {"PEXPIRE", k, ttl};
        write_cmd(b, 3, pe);
        /* open sessions, and those with a link token apart (live.h) */
        const char *opens[2] = {KEY0(b, open), KEY0(b, openl)};
        int n = s->prospect && *s->prospect ? 2 : 1;
        for (int o = 0; o < n; o++) {
            if (s->ended) {
                const char *z[] = {"ZREM", opens[o], s->sid};
                write_cmd(b, 3, z);
            } else {
                const char *z[] = {"ZADD", opens[o], lastrecv, s->sid};
                write_cmd(b, 4, z);
            }
        }
    }
    if (dp_ops_emit(&b->ops, &b->out, &b->ncmds) != 0) b->out_err = 1;
    /* first and last seen of prospects and accounts */
    for (size_t i = 0; i < b->nranges; i++) {
        seen_range *g = &b->ranges[i];
        if (!g->touched) continue;
        if (!g->has_first || g->first > g->bmin) {
            const char *a[] = {"HSET", g->key, "first_seen", dp_arena_i64(&b->a, g->bmin)};
            write_cmd(b, 4, a);
        }
        if (!g->has_last || g->last < g->bmax) {
            g->last = g->bmax;
            const char *a[] = {"HSET", g->key, "last_seen", dp_arena_i64(&b->a, g->bmax)};
            write_cmd(b, 4, a);
        }
    }
    for (size_t i = 0; i < b->nprospects; i++) {
        const char *pr = b->prospects[i];
        const char *prk = KEY(b, prospect, pr);
        seen_range *g = dp__rb_range(b, prk);
        const char *z[] = {"ZADD", KEY0(b, prospects), dp_arena_i64(&b->a, g->last), pr};
        write_cmd(b, 4, z);
        const char *t[] = {"ZREMRANGEBYRANK", KEY(b, ptl, pr), "0",
                           dp_arena_i64(&b->a, -1 - DP_TIMELINE_MAX)};
        write_cmd(b, 4, t);
    }
    for (size_t i = 0; i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        if (p->applied && p->forwarded) {
            const char *a[] = {"HSET", KEY(b, pres, p->pres), "forwarded", "1"};
            write_cmd(b, 4, a);
            if (!p->was_forwarded) dp__rollup_alert_forwarded(b, p);
        }
    }
    if (b->k.applied > 0) {
        /* report caches compare these to know whether what they hold is current */
        const char *gen = KEY0(b, gen);
        const char *a[] = {"HINCRBY", gen, "*", "1"};
        write_cmd(b, 4, a);
        for (size_t i = 0; i < b->ntouched; i++) {
            const char *t[] = {"HINCRBY", gen, b->touched_list[i], "1"};
            write_cmd(b, 4, t);
        }
    }
    if (*group && nacks > 0) {
        const char *head[] = {"XACK", stream, group};
        write_list(b, head, 3, acks, nacks);
    }
    dp__rollup_alerts_write(b);
    const char *ex[] = {"EXEC"};
    write_cmd(b, 1, ex);
}
