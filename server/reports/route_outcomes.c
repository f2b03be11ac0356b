/* POST /v1/outcomes (role sales or admin): deal outcomes from the CRM
 * (outcome.h), JSON or CSV (Content-Type: text/csv). Every row is checked
 * first; then all of them are stored by one script (atomic: all or none).
 * Under the hash tag {d} (keys.h):
 *
 *   dp:{d}:deal:<deal>       HASH  the current stage (the latest `at`; a tie:
 *                                  the later post): stage at amount currency
 *                                  account owner campaign prospects (';')
 *   dp:{d}:dealh:<deal>      ZSET  its history: "<stage>|<at>" by at; the
 *                                  same (stage, at) is one entry
 *   dp:{d}:dealv:<deal>      HASH  "<stage>|<at>" -> "<amount>|<currency>"
 *   dp:{d}:deals             ZSET  deals by the at of their current stage
 *   dp:{d}:pdeals:<prospect> SET   deals naming the prospect (erasure)
 *   dp:{d}:adeals:<account>, odeals:<owner>, cdeals:<campaign>  SET
 *
 * Answers 200 {"stored": rows, "new": rows not stored before}. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "deckpulse/keys.h"
#include "auth.h"
#include "outcome.h"
#include "reports.h"
#include "reports_routes.h"

static const char store_lua[] =
    "local P, new = 'dp:{d}:', 0\n"
    "for i = 1, #ARGV, 9 do\n"
    "  local deal, account, prospects, stage, amount, currency, at, owner, campaign =\n"
    "    ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], ARGV[i+6],\n"
    "    ARGV[i+7], ARGV[i+8]\n"
    "  local member = stage .. '|' .. at\n"
    "  new = new + redis.call('ZADD', P .. 'dealh:' .. deal, 'NX', at, member)\n"
    "  redis.call('HSET', P .. 'dealv:' .. deal, member, amount .. '|' .. currency)\n"
    "  local dk = P .. 'deal:' .. deal\n"
    "  local cur = redis.call('HGET', dk, 'at')\n"
    "  if not cur or tonumber(at) >= tonumber(cur) then\n"
    "    redis.call('HSET', dk, 'stage', stage, 'at', at, 'amount', amount, 'currency', currency,\n"
    "               'account', account, 'owner', owner, 'campaign', campaign,\n"
    "               'prospects', prospects)\n"
    "    redis.call('ZADD', P .. 'deals', at, deal)\n"
    "  end\n"
    "  for p in string.gmatch(prospects, '[^;]+') do redis.call('SADD', P .. 'pdeals:' .. p, deal) "
    "end\n"
    "  if account ~= '' then redis.call('SADD', P .. 'adeals:' .. account, deal) end\n"
    "  if owner ~= '' then\n"
    "    redis.call('SADD', P .. 'odeals:' .. owner, deal)\n"
    "    redis.call('SADD', P .. 'owners', owner)\n"
    "  end\n"
    "  if campaign ~= '' then\n"
    "    redis.call('SADD', P .. 'cdeals:' .. campaign, deal)\n"
    "    redis.call('SADD', P .. 'campaigns', campaign)\n"
    "  end\n"
    "end\n"
    "redis.call('INCR', P .. 'gen')\n"
    "return new\n";

typedef struct outcomes_op {
    dp_req *req;
    size_t rows;
} outcomes_op;

static void detach(void *p)
{
    ((outcomes_op *)p)->req = NULL;
}

static void on_stored(dp_redis *r, redisReply *reply, void *priv)
{
    outcomes_op *op = priv;
    (void)r;
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
            dp_req_error(req, 503, "outcomes could not be stored (nothing was); retry later");
        } else {
            char body[80];
            int n = snprintf(body, sizeof(body), "{\"stored\":%zu,\"new\":%lld}", op->rows,
                             (long long)reply->integer);
            dp_req_respond(req, 200, "application/json", NULL, body, (size_t)n);
        }
    }
    dp_free(op);
}

void dp_route_outcomes(dp_req *req)
{
    dp_reports_ctx *s = req->ud;
    if (dp_req_authorize(req, s->keys, DP_ROLE_SALES, 0, "post deal outcomes") == DP_ROLE_NONE)
        return;
    size_t len, clen;
    const char *body = dp_req_body(req, &len);
    const char *ctype = dp_req_header(req, "content-type", &clen);
    dp_outcomes o;
    dp_err err;
    int csv = ctype && clen >= 8 && strncasecmp(ctype, "text/csv", 8) == 0;
    int rc = csv ? dp_outcomes_from_csv(&o, body, len, &err)
                 : dp_outcomes_from_json(&o, body, len, &err);
    if (rc != 0) {
        dp_req_error(req, rc == -E2BIG ? 413 : 400, err.msg);
        return;
    }
    if (s->redis == NULL || s->redis->state != DP_REDIS_UP) {
        dp_outcomes_free(&o);
        dp_req_error(req, 503,
                     "outcomes cannot be stored now: Redis is not reachable; retry later");
        return;
    }
    size_t argc = 3 + 9 * o.n;
    const char **argv = dp_malloc(argc * sizeof(char *));
    /* each deal's prospects joined with ';', all in one buffer */
    dp_buf joined;
    dp_buf_init(&joined, 0);
    size_t *off = dp_malloc(o.n * sizeof(size_t));
    for (size_t i = 0; i < o.n; i++) {
        off[i] = joined.len;
        for (size_t k = 0; k < o.v[i].nprospects; k++) {
            if (k) dp_buf_append(&joined, ";", 1);
            dp_buf_puts(&joined, o.v[i].prospects[k]);
        }
        dp_buf_append(&joined, "", 1);
    }
    char(*ats)[24] = dp_malloc(o.n * sizeof(*ats));
    argv[0] = "EVAL";
    argv[1] = store_lua;
    argv[2] = "0";
    for (size_t i = 0; i < o.n; i++) {
        const dp_outcome *x = &o.v[i];
        snprintf(ats[i], sizeof(ats[i]), "%lld", (long long)x->at);
        const char **a = argv + 3 + 9 * i;
        a[0] = x->deal;
        a[1] = x->account;
        a[2] = joined.data + off[i];
        a[3] = dp_stage_names[x->stage];
        a[4] = x->amount;
        a[5] = x->currency;
        a[6] = ats[i];
        a[7] = x->owner;
        a[8] = x->campaign;
    }
    outcomes_op *op = dp_calloc(1, sizeof(*op));
    op->req = req;
    op->rows = o.n;
    dp_req_on_abort(req, detach, op);
    if (dp_redis_command_at(s->redis, DP_KEY_DEALS, on_stored, op, (int)argc, argv, NULL) != 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_free(op);
        dp_req_error(req, 503,
                     "outcomes cannot be stored now: Redis is not reachable; retry later");
    }
    dp_free(argv);
    dp_buf_free(&joined);
    dp_free(off);
    dp_free(ats);
    dp_outcomes_free(&o);
}
