/* Sessions written by a collector before their materials, slide versions
 * and positions seen were fields of the session hash: they kept them in
 * smat:/ssv:/sseen: keys of their own (keys.h). Read once, written into
 * the hash with the batch, the old keys deleted in the same transaction. */
#include "redis_sync.h"
#include "rollup_batch.h"
#include "rollup_migrate.h"

/* A legacy session's smat/ssv hash or sseen set, all of it to be written
 * into the session hash (dirty). */
static void load_cache(batch *b, cache *c, const redisReply *r, int is_set)
{
    for (size_t i = 0; i < r->elements; i += is_set ? 1 : 2) {
        const redisReply *f = r->element[i];
        const redisReply *v = is_set ? NULL : r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || (v && v->type != REDIS_REPLY_STRING)) continue;
        cache_put(b, c, f->str, v ? dp_arena_strn(&b->a, v->str, v->len) : "", 1);
    }
}

/* Sessions a collector before this one wrote keep their materials, slide
 * versions and positions in keys of their own: read them (once: the write
 * moves them into the session hash and deletes the keys). */
int dp__rollup_read_legacy(batch *b, redisContext *rc, dp_err *err)
{
    dp_buf q;
    dp_buf_init(&q, 0);
    size_t nq = 0;
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (!s->legacy) continue;
        const char *a2[] = {"HGETALL", s->smat.key};
        const char *a3[] = {"HGETALL", s->ssv.key};
        const char *a4[] = {"SMEMBERS", s->sseen.key};
        dp__rb_put_cmds(&q, &nq, a2, 2, NULL, 0);
        dp__rb_put_cmds(&q, &nq, a3, 2, NULL, 0);
        dp__rb_put_cmds(&q, &nq, a4, 2, NULL, 0);
    }
    if (nq == 0) {
        dp_buf_free(&q);
        return 0;
    }
    int rc2 = 0;
    if (redisAppendFormattedCommand(rc, q.data, q.len) != REDIS_OK) {
        dp_buf_free(&q);
        return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    }
    dp_buf_free(&q);
    /* every reply is read, whatever happens */
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (!s->legacy) continue;
        cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
        for (int k = 0; k < 3; k++) {
            redisReply *r = dp__rollup_next_reply(rc, err);
            if (r == NULL) return -EIO;
            if (r->type == REDIS_REPLY_ARRAY)
                load_cache(b, cs[k], r, k == 2);
            else if (rc2 == 0)
                rc2 = dp_err_set(
                    err,
                    r->type == REDIS_REPLY_ERROR && dp_redis_err_transient(r->str) ? -EIO : -EINVAL,
                    "rollup read: legacy session state: %.200s",
                    r->type == REDIS_REPLY_ERROR ? r->str : "not a hash or set");
            freeReplyObject(r);
        }
    }
    return rc2;
}

void dp__rollup_drop_legacy(batch *b, sess *s)
{
    const char *del[] = {"DEL", s->smat.key, s->ssv.key, s->sseen.key};
    write_cmd(b, 4, del);
}
