/* DELETE /v1/prospects/{id} (admin): erases what deckpulse holds about one
 * prospect — their hash, per-day counters, presentations, slides seen,
 * timeline, their place in the hot list and in their account — on every
 * shard, each shard in one script (atomic). Anonymous totals stay: material
 * and slide counters never held the person, and the viewer HyperLogLogs
 * hold only hashes. The link's sessions keep their state but lose the name.
 * This server's report cache is emptied (others let theirs go stale within
 * report_stale_ms). Shard 0's script also records the erasure in
 * dp:{0}:erasures, from which every collector removes the prospect's rows
 * from the raw archive at its next tick (collector/archive_erase.h).
 * Answers {"prospect", "keys"} (keys removed). */
#include <stdio.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "auth.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "clock.h"
#include "reports_routes.h"
#include "reports.h"

/* Only the prospect's own keys are touched, found through its own sets
 * (pmats:, pdays:, psess:, the timeline) and hash (every account, owner and
 * campaign its links named): never a loop over every material (38 ms at
 * 22 000 materials, 215 ms at 122 000, past redis_timeout_ms at 1.7 M).
 * A prospect whose hash lacks "pm" was last written before pmats: existed:
 * for it every material is tried, as before (a legacy cost, once), plus
 * what its per-day counters name. Second ids of keys are written with ':'
 * as '|' (keys.h); a legacy slides-seen key of a material with ':' was
 * written without (ambiguous, see keys.h) and is left: deleting it could
 * delete another prospect's. */
static const char erase_lua[] =
    "local P, id = ARGV[1], ARGV[2]\n"
    "local n = 0\n"
    "local function del(k) n = n + redis.call('DEL', k) end\n"
    "local sets = {account = 'aprospects:', owner = 'oprospects:', campaign = 'cprospects:',\n"
    "              a = 'aprospects:', o = 'oprospects:', c = 'cprospects:'}\n"
    "local h = redis.call('HGETALL', P .. 'prospect:' .. id)\n"
    "for i = 1, #h, 2 do\n"
    "  local f, v = h[i], h[i + 1]\n"
    "  local tag, rest = string.match(f, '^([aoc]):(.+)$')\n"
    "  if tag then redis.call('SREM', P .. sets[tag] .. rest, id)\n"
    "  elseif sets[f] and v ~= '' then redis.call('SREM', P .. sets[f] .. v, id) end\n"
    "end\n"
    "local mats = {}\n"
    "for _, m in ipairs(redis.call('SMEMBERS', P .. 'pmats:' .. id)) do mats[m] = true end\n"
    "local legacy = redis.call('HGET', P .. 'prospect:' .. id, 'pm') ~= '1'\n"
    "if legacy then\n"
    "  for _, m in ipairs(redis.call('SMEMBERS', P .. 'materials')) do mats[m] = true end\n"
    "end\n"
    "for _, d in ipairs(redis.call('SMEMBERS', P .. 'pdays:' .. id)) do\n"
    "  for _, mode in ipairs({'self', 'live'}) do\n"
    "    local k = P .. 'pd:' .. id .. ':' .. d .. ':' .. mode\n"
    "    for _, f in ipairs(redis.call('HKEYS', k)) do\n"
    "      local m = string.match(f, '^s:([^|]+)|') or string.match(f, '^m:(.+):[a-z]+$')\n"
    "      if m then mats[m] = true end\n"
    "    end\n"
    "    del(k)\n"
    "  end\n"
    "end\n"
    "for m in pairs(mats) do del(P .. 'pseen:' .. id .. ':' .. string.gsub(m, ':', '|')) end\n"
    "local function unname(sid)\n"
    "  if sid and redis.call('HGET', P .. 'sess:' .. sid, 'prospect') == id then\n"
    "    redis.call('HSET', P .. 'sess:' .. sid, 'prospect', '', 'account', '')\n"
    "  end\n"
    "end\n"
    "for _, sid in ipairs(redis.call('SMEMBERS', P .. 'psess:' .. id)) do unname(sid) end\n"
    "for _, e in ipairs(redis.call('ZRANGE', P .. 'ptl:' .. id, 0, -1)) do\n"
    "  unname(string.match(e, '^[^|]*|([^|]*)|'))\n"
    "end\n"
    "for _, k in ipairs({'prospect:', 'pdays:', 'ppres:', 'ptl:', 'psess:', 'pmats:', 'pfv:'}) do\n"
    "  del(P .. k .. id)\n"
    "end\n"
    "redis.call('ZREM', P .. 'prospects', id)\n"
    "redis.call('HINCRBY', P .. 'gen', '*', 1)\n"
    "if ARGV[3] ~= '' then redis.call('HSET', P .. 'erasures', id, ARGV[3]) end\n"
    "return n\n";

/* The deals (route_outcomes.c) keep their outcomes; the prospect's name
 * leaves each deal that named it, and the link records of campaigns and
 * owners (plk: lists them; the counts of links minted stay). */
static const char erase_deals_lua[] =
    "local P, id, n = 'dp:{d}:', ARGV[1], 0\n"
    "for _, deal in ipairs(redis.call('SMEMBERS', P .. 'pdeals:' .. id)) do\n"
    "  local dk = P .. 'deal:' .. deal\n"
    "  local ps = redis.call('HGET', dk, 'prospects')\n"
    "  if ps then\n"
    "    local kept = {}\n"
    "    for p in string.gmatch(ps, '[^;]+') do if p ~= id then kept[#kept + 1] = p end end\n"
    "    redis.call('HSET', dk, 'prospects', table.concat(kept, ';'))\n"
    "  end\n"
    "end\n"
    "for _, r in ipairs(redis.call('SMEMBERS', P .. 'plk:' .. id)) do\n"
    "  local k, d, g = string.match(r, '^([co])|([^|]+)|(.+)$')\n"
    "  if k then redis.call('ZREM', P .. 'lp:' .. k .. ':' .. g, d .. '|' .. id) end\n"
    "end\n"
    "n = n + redis.call('DEL', P .. 'pdeals:' .. id, P .. 'plk:' .. id)\n"
    "redis.call('INCR', P .. 'gen')\n"
    "return n\n";

typedef struct erase_op {
    dp_reports_ctx *srv;
    dp_req *req;
    char id[DP_ID_MAX + 1];
    size_t outstanding;
    int failed;
    long long keys;
} erase_op;

static void detach(void *p)
{
    ((erase_op *)p)->req = NULL;
}

static void done(erase_op *op, const redisReply *reply, int count)
{
    if (op->srv) dp_rcache_clear(&op->srv->rcache); /* no cached answer may still name them */
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER)
        op->failed = 1;
    else if (count)
        op->keys += reply->integer;
    if (--op->outstanding > 0) return;
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        if (op->failed) {
            dp_req_error(req, 503, "erasure incomplete: Redis did not answer; retry (it is safe)");
        } else {
            char body[160];
            int n = snprintf(body, sizeof(body), "{\"prospect\":\"%s\",\"keys\":%lld}", op->id,
                             op->keys);
            dp_req_respond(req, 200, "application/json", NULL, body, (size_t)n);
        }
    }
    dp_free(op);
}

static void on_reply(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    done(priv, reply, 1);
}

/* The temperature (DP_KEY_TEMP, server/reports/temperature.c): a field, not a key. */
static void on_temp(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    done(priv, reply, 0);
}

void dp_route_prospect_delete(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    dp_reports_ctx *s = req->ud;
    if (dp_req_authorize(req, ((dp_reports_ctx *)req->ud)->keys, 0, 0, "erase a prospect") ==
        DP_ROLE_NONE)
        return;
    if (!dp_id_valid(id, idlen)) {
        dp_req_error(req, 400, "prospect: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    if (s->redis == NULL || s->redis->state != DP_REDIS_UP) {
        dp_req_error(req, 503, "erasure unavailable: Redis is not reachable; retry later");
        return;
    }
    erase_op *op = dp_calloc(1, sizeof(*op));
    op->req = req;
    op->srv = s;
    memcpy(op->id, id, idlen);
    dp_req_on_abort(req, detach, op);
    unsigned shards = (unsigned)s->cfg->shards;
    for (unsigned k = 0; k < shards; k++) {
        char prefix[32];
        dp_key_prefix(prefix, sizeof(prefix), k);
        char now[24] = "";
        if (k == 0) snprintf(now, sizeof(now), "%lld", (long long)dp_now_ms());
        const char *argv[] = {"EVAL", erase_lua, "0", prefix, op->id, now};
        op->outstanding++;
        if (dp_redis_command(s->redis, on_reply, op, 6, argv, NULL) != 0) {
            op->outstanding--;
            op->failed = 1;
            break;
        }
    }
    /* the deals' keys (under {d}) and the temperature (under {w}): apart,
     * as in a cluster they are on different nodes */
    if (!op->failed) {
        const char *argv[] = {"EVAL", erase_deals_lua, "0", op->id};
        op->outstanding++;
        if (dp_redis_command_at(s->redis, DP_KEY_DEALS, on_reply, op, 4, argv, NULL) != 0) {
            op->outstanding--;
            op->failed = 1;
        }
    }
    if (!op->failed) {
        const char *argv[] = {"HDEL", DP_KEY_TEMP, op->id};
        op->outstanding++;
        if (dp_redis_command(s->redis, on_temp, op, 3, argv, NULL) != 0) {
            op->outstanding--;
            op->failed = 1;
        }
    }
    if (op->outstanding == 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_free(op);
        dp_req_error(req, 503, "erasure unavailable: Redis is not reachable; retry later");
    }
}
