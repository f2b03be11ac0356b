#include "rollup.h"

#include <stdio.h>
#include <time.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/keys.h"
#include "redis_sync.h"
#include "rollup_lua.h" /* generated: dp_rollup_lua[] */

int dp_rollup_load(dp_rollup *ro, redisContext *rc, dp_err *err)
{
    redisReply *r = redisCommand(rc, "SCRIPT LOAD %b", dp_rollup_lua, sizeof(dp_rollup_lua));
    if (r == NULL) return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    int ok = r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(ro->sha, r->str, 41);
    else
        dp_err_set(err, -EIO, "SCRIPT LOAD: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
    freeReplyObject(r);
    return ok ? 0 : -EIO;
}

/* EVALSHA, loading the script again if Redis lost it (restart, flush). */
static redisReply *evalsha(dp_rollup *ro, redisContext *rc, int argc, const char **argv,
                           const size_t *lens, dp_err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        argv[1] = ro->sha;
        redisReply *r = redisCommandArgv(rc, argc, argv, lens);
        if (r == NULL) {
            dp_err_set(err, -EIO, "redis: %s", rc->errstr);
            return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8) && attempt == 0) {
            freeReplyObject(r);
            if (dp_rollup_load(ro, rc, err) != 0) return NULL;
            continue;
        }
        return r;
    }
    return NULL;
}

/* Runs one of the script's maintenance modes (-1 sweep, -2 retain) on a
 * shard with its two arguments; the array reply, or NULL. */
static redisReply *run_mode(dp_rollup *ro, redisContext *rc, unsigned shard, const char *mode,
                            const char *a, const char *b, const char *what, dp_err *err)
{
    char stream[32], prefix[24], ttl[24];
    dp_key_stream(stream, sizeof(stream), shard);
    dp_key_prefix(prefix, sizeof(prefix), shard);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ro->ttl_ms);
    const char *argv[] = {"EVALSHA", ro->sha, "1", stream, prefix, ttl, "", mode, a, b};
    size_t lens[10];
    for (int i = 0; i < 10; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = evalsha(ro, rc, 10, argv, lens, err);
    if (r == NULL) return NULL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        int transient = r->type == REDIS_REPLY_ERROR && dp_redis_err_transient(r->str);
        dp_err_set(err, transient ? -EIO : -EINVAL, "%s: %.200s", what,
                   r->type == REDIS_REPLY_ERROR ? r->str : "?");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int dp_rollup_sweep(dp_rollup *ro, redisContext *rc, unsigned shard, int64_t before_ms,
                    long long *ended, dp_err *err)
{
    char before[24];
    snprintf(before, sizeof(before), "%lld", (long long)before_ms);
    char most[24];
    snprintf(most, sizeof(most), "%d", DP_SWEEP_MAX);
    redisReply *r = run_mode(ro, rc, shard, "-1", before, most, "sweep", err);
    if (r == NULL) return -EIO;
    *ended = r->element[0]->integer;
    freeReplyObject(r);
    return 0;
}

int dp_rollup_retain(dp_rollup *ro, redisContext *rc, unsigned shard, const char *cutoff,
                     long long *removed, int *more, dp_err *err)
{
    redisReply *r = run_mode(ro, rc, shard, "-2", cutoff, "200", "retain", err);
    if (r == NULL) return -EIO;
    *removed = r->element[0]->integer;
    *more = r->elements > 1 && r->element[1]->integer != 0;
    freeReplyObject(r);
    return 0;
}

/* Deals (server/reports/route_outcomes.c, under {d}) whose current stage is
 * older than the cutoff: the deal, its history and its place in every set,
 * a bounded number a call. */
static const char retain_deals_lua[] =
    "local P, n = 'dp:{d}:', 0\n"
    "local old = redis.call('ZRANGEBYSCORE', P .. 'deals', '-inf', '(' .. ARGV[1], 'LIMIT', 0,\n"
    "                       tonumber(ARGV[2]))\n"
    "for _, deal in ipairs(old) do\n"
    "  local h = redis.call('HMGET', P .. 'deal:' .. deal, 'prospects', 'account', 'owner',\n"
    "                       'campaign')\n"
    "  for p in string.gmatch(h[1] or '', '[^;]+') do redis.call('SREM', P .. 'pdeals:' .. p, "
    "deal) end\n"
    "  local sets = {'adeals:', 'odeals:', 'cdeals:'}\n"
    "  for i = 2, 4 do\n"
    "    if h[i] and h[i] ~= '' then redis.call('SREM', P .. sets[i - 1] .. h[i], deal) end\n"
    "  end\n"
    "  redis.call('DEL', P .. 'deal:' .. deal, P .. 'dealh:' .. deal, P .. 'dealv:' .. deal)\n"
    "  redis.call('ZREM', P .. 'deals', deal)\n"
    "  n = n + 1\n"
    "end\n"
    /* links minted before the cutoff: their days and prospects (the accounts
     * and presentations sets stay: they name no person) */
    "if #old < tonumber(ARGV[2]) then\n"
    "  local eday = math.floor(tonumber(ARGV[1]) / 86400000)\n"
    "  for _, g in ipairs({{'c', 'campaigns'}, {'o', 'owners'}}) do\n"
    "    for _, id in ipairs(redis.call('SMEMBERS', P .. g[2])) do\n"
    "      local t = g[1] .. ':' .. id\n"
    "      for _, d in ipairs(redis.call('HKEYS', P .. 'ln:' .. t)) do\n"
    "        if d < ARGV[3] then redis.call('HDEL', P .. 'ln:' .. t, d) end\n"
    "      end\n"
    "      for _, m in ipairs(redis.call('ZRANGEBYSCORE', P .. 'lp:' .. t, '-inf', '(' .. eday)) "
    "do\n"
    "        local d, pr = string.match(m, '^([^|]+)|(.+)$')\n"
    "        if pr then redis.call('SREM', P .. 'plk:' .. pr, g[1] .. '|' .. d .. '|' .. id) end\n"
    "      end\n"
    "      redis.call('ZREMRANGEBYSCORE', P .. 'lp:' .. t, '-inf', '(' .. eday)\n"
    "      redis.call('ZREMRANGEBYSCORE', P .. 'lpr:' .. t, '-inf', '(' .. ARGV[1])\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if n > 0 then redis.call('INCR', P .. 'gen') end\n"
    "return n\n";

int dp_rollup_retain_deals(redisContext *rc, int64_t before_ms, long long *removed, int *more,
                           dp_err *err)
{
    char cutoff[24], day[16];
    snprintf(cutoff, sizeof(cutoff), "%lld", (long long)before_ms);
    time_t secs = (time_t)(before_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    const char *argv[] = {"EVAL", retain_deals_lua, "0", cutoff, "500", day};
    redisReply *r = redisCommandArgv(rc, 6, argv, NULL);
    if (r == NULL) return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    if (r->type != REDIS_REPLY_INTEGER) {
        int e = dp_err_set(err, -EIO, "retention of deals: %.200s",
                           r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
        freeReplyObject(r);
        return e;
    }
    *removed = r->integer;
    *more = r->integer == 500;
    freeReplyObject(r);
    return 0;
}
