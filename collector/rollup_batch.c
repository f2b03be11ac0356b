/* The batch under construction: its sessions, seen ranges and
 * presentation viewers, and the commands of its MULTI block
 * (rollup_batch.h). */
#include "rollup_batch.h"

#include "deckpulse/keys.h"

#include "log.h"

#include "resp.h"

const char *const dp__rollup_cache_prefix[3] = {"m:", "v:", "p:"};

/* Appends head[0..nhead) followed by list[0..nlist) in RESP to o: one
 * command, or several of at most LIST_MAX list values each, all with the
 * same head. *ncmds counts them. 0 or -E2BIG. */
int dp__rb_put_cmds(dp_buf *o, size_t *ncmds, const char *const *head, size_t nhead,
                    const char *const *list, size_t nlist)
{
    int rc = 0;
    size_t i = 0;
    do {
        size_t k = nlist - i < LIST_MAX ? nlist - i : LIST_MAX;
        rc |= dp_resp_array(o, nhead + k);
        for (size_t j = 0; j < nhead; j++)
            rc |= dp_resp_str(o, head[j]);
        for (size_t j = 0; j < k; j++)
            rc |= dp_resp_str(o, list[i + j]);
        (*ncmds)++;
        i += k;
    } while (i < nlist);
    return rc ? -E2BIG : 0;
}

sess *dp__rb_session(batch *b, const char *sid)
{
    sess *s = dp_strmap_get(&b->sessions, sid, strlen(sid));
    if (s) return s;
    s = dp_calloc(1, sizeof(*s));
    s->sid = sid;
    s->smat.key = KEY(b, smat, sid);
    s->ssv.key = KEY(b, ssv, sid);
    s->sseen.key = KEY(b, sseen, sid);
    dp_strmap_put(&b->sessions, sid, strlen(sid), s);
    b->sv = grow(b->sv, b->nsess, sizeof(sess *));
    b->sv[b->nsess++] = s;
    return s;
}

seen_range *dp__rb_range(batch *b, const char *key)
{
    uintptr_t ix = (uintptr_t)dp_strmap_get(&b->range_ix, key, strlen(key));
    if (ix) return &b->ranges[ix - 1];
    b->ranges = grow(b->ranges, b->nranges, sizeof(seen_range));
    seen_range *r = &b->ranges[b->nranges++];
    memset(r, 0, sizeof(*r));
    r->key = key;
    dp_strmap_put(&b->range_ix, key, strlen(key), (void *)(uintptr_t)b->nranges);
    return r;
}

const char *dp__rb_key(batch *b, int len)
{
    /* ids are checked to DP_ID_MAX on the way in: every key fits kbuf */
    dp_assert(len >= 0);
    return dp_arena_strn(&b->a, b->kbuf, (size_t)len);
}

pvd *dp__rb_pvd(batch *b, const char *pres, const char *day)
{
    const char *key = KEY(b, pvd, pres, day);
    uintptr_t ix = (uintptr_t)dp_strmap_get(&b->pvd_ix, key, strlen(key));
    if (ix) return &b->pvds[ix - 1];
    b->pvds = grow(b->pvds, b->npvds, sizeof(pvd));
    pvd *p = &b->pvds[b->npvds++];
    memset(p, 0, sizeof(*p));
    p->key = key;
    p->pres = pres;
    p->day = day;
    dp_strmap_put(&b->pvd_ix, key, strlen(key), (void *)(uintptr_t)b->npvds);
    return p;
}

void dp__rb_free(batch *b)
{
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        dp_strmap_free(&s->known);
        dp_strmap_free(&s->smat.map);
        dp_strmap_free(&s->ssv.map);
        dp_strmap_free(&s->sseen.map);
        dp_free(s->seqs);
        dp_free(s->fresh);
        dp_free(s);
    }
    dp_free(b->sv);
    dp_strmap_free(&b->sessions);
    dp_free(b->ranges);
    dp_strmap_free(&b->range_ix);
    for (size_t i = 0; i < b->npvds; i++)
        dp_free(b->pvds[i].viewers);
    dp_free(b->pvds);
    dp_strmap_free(&b->pvd_ix);
    dp_strmap_free(&b->once);
    dp_strmap_free(&b->touched);
    dp_free(b->touched_list);
    dp_free(b->prospects);
    dp_ops_free(&b->ops);
    dp_buf_free(&b->out);
    dp_buf_free(&b->alerts);
    dp_arena_free(&b->a);
}

redisReply *dp__rollup_next_reply(redisContext *rc, dp_err *err)
{
    void *r = NULL;
    if (redisGetReply(rc, &r) != REDIS_OK) {
        dp_err_set(err, -EIO, "redis: %s", rc->errstr);
        return NULL;
    }
    return r;
}
