/* Shard leases: lease.h. */
#include "lease.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "redis_sync.h"

/* KEYS[1] the lease; ARGV: me, ttl ms, op (1 keep or take, 0 give back).
 * Answers 1 when me holds it afterwards. */
static const char lease_lua[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if ARGV[3] == '0' then\n"
    "  if v == ARGV[1] then redis.call('DEL', KEYS[1]) end\n"
    "  return 0\n"
    "end\n"
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "if v then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "return 1\n";

static int call(redisContext *rc, unsigned shard, const char *me, int keep, int *held, dp_err *err)
{
    char key[32], ttl[16];
    dp_key_lease(key, sizeof(key), shard);
    snprintf(ttl, sizeof(ttl), "%d", DP_LEASE_MS);
    const char *argv[] = {"EVAL", lease_lua, "1", key, me, ttl, keep ? "1" : "0"};
    redisReply *r = redisCommandArgv(rc, 7, argv, NULL);
    if (r == NULL) return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    int rc2 = 0;
    if (r->type == REDIS_REPLY_INTEGER)
        *held = r->integer == 1;
    else
        rc2 = dp_err_set(err, -EIO, "lease of shard %u: %.200s", shard,
                         r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
    freeReplyObject(r);
    return rc2;
}

int dp_leases_update(dp_leases *l, unsigned alive, const char *me, dp_lease_conn_fn conn, void *ud,
                     dp_err *err)
{
    if (alive < 1) alive = 1;
    unsigned fair = (l->shards + alive - 1) / alive;
    /* renew (or lose) what is held; give back what exceeds the fair part,
     * the highest shards first */
    unsigned keep = 0;
    for (unsigned s = 0; s < l->shards; s++) {
        if (!l->held[s]) continue;
        redisContext *rc = conn(ud, s, err);
        if (rc == NULL) { /* its node away (a cluster): kept as it is */
            keep++;
            continue;
        }
        int held = 0, want = keep < fair;
        if (call(rc, s, me, want, &held, err) != 0) return -EIO; /* the session starts again */
        if (want && !held) dp_warn("collector %s: lost the lease of shard %u", me, s);
        if (!want) dp_info("collector %s: gives shard %u back (%u collectors)", me, s, alive);
        l->held[s] = (unsigned char)(want && held);
        keep += l->held[s];
    }
    /* take free ones up to it */
    for (unsigned s = 0; s < l->shards && keep < fair; s++) {
        if (l->held[s]) continue;
        redisContext *rc = conn(ud, s, err);
        if (rc == NULL) continue; /* its node away: another time */
        int held = 0;
        if (call(rc, s, me, 1, &held, err) != 0) return -EIO;
        if (held) dp_info("collector %s: consumes shard %u", me, s);
        l->held[s] = (unsigned char)held;
        keep += (unsigned)held;
    }
    l->nheld = keep;
    return 0;
}

void dp_leases_release(dp_leases *l, const char *me, dp_lease_conn_fn conn, void *ud)
{
    for (unsigned s = 0; s < l->shards; s++) {
        if (!l->held[s]) continue;
        dp_err err;
        int held;
        redisContext *rc = conn(ud, s, &err);
        if (rc) call(rc, s, me, 0, &held, &err);
        l->held[s] = 0;
    }
    l->nheld = 0;
}
