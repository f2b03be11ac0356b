/* POST /v1/links: mint a link token (API key with role sales or admin).
 * Body {"presentation", "prospect", "account", "campaign", "owner",
 * "ttl_days", "slides"}; answer 201 {"token", "expires"}. "slides", optional,
 * is what the personalised deck contains, in order: [{"material", "slide",
 * "version"}] (at most max_slides_per_presentation); it is kept for the
 * presentation (dp:{c}:deck:<presentation>, keys.h; the last link minted
 * with slides wins) before the answer, so what a salesperson left out of
 * marketing's deck can be counted against the catalog.
 *
 * A link naming a campaign or an owner is recorded (the links, prospects,
 * accounts and presentations of each: keys.h, dp:{d}:ln/lp/la/lpr) by one
 * script with its deck, before the answer: the campaign and owner reports
 * count what was sent. Such a link, or one with slides, needs Redis (503
 * without); any other is minted offline. "muted": true keeps its
 * presentation's views from alerting anyone (dp:{w}:muted, the notifier
 * reads it); it needs Redis too. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "auth.h"
#include "buf.h"
#include "json_fields.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "token.h"

static const char *const fields[] = {"presentation", "prospect", "account", "campaign",
                                     "owner",        "ttl_days", "slides",  "muted"};

static int copy_id(json_t *root, const char *key, int required, char *out, dp_err *err)
{
    const char *v;
    int rc = dp_json_get_id(root, key, key, required, &v, err);
    if (rc == 0) snprintf(out, DP_ID_MAX + 1, "%s", v ? v : "");
    return rc;
}

/* "slides" into canonical JSON in out: 0 (absent: out empty) or -EINVAL. */
static int deck_of(json_t *root, int64_t max, dp_buf *out, dp_err *err)
{
    static const char *const keys[] = {"material", "slide", "version"};
    json_t *slides = json_object_get(root, "slides");
    if (slides == NULL || json_is_null(slides)) return 0;
    if (!json_is_array(slides) || json_array_size(slides) == 0 ||
        json_array_size(slides) > (size_t)max)
        return dp_err_set(err, -EINVAL, "slides: must be an array of 1 to %lld slides",
                          (long long)max);
    size_t i;
    json_t *e;
    dp_buf_puts(out, "[");
    json_array_foreach(slides, i, e)
    {
        char where[32];
        snprintf(where, sizeof(where), "slides[%zu]", i);
        if (!json_is_object(e)) return dp_err_set(err, -EINVAL, "%s: must be an object", where);
        int rc = dp_json_known_fields(e, keys, 3, where, err);
        if (rc != 0) return rc;
        const char *m, *sl;
        int64_t v;
        char w[48];
        snprintf(w, sizeof(w), "%s.material", where);
        if ((rc = dp_json_get_id(e, "material", w, 1, &m, err)) != 0) return rc;
        snprintf(w, sizeof(w), "%s.slide", where);
        if ((rc = dp_json_get_id(e, "slide", w, 1, &sl, err)) != 0) return rc;
        snprintf(w, sizeof(w), "%s.version", where);
        if ((rc = dp_json_get_int(e, "version", w, 0, 1, DP_VERSION_MAX, 1, &v, err)) != 0)
            return rc;
        dp_buf_printf(out, "%s{\"material\":\"%s\",\"slide\":\"%s\",\"version\":%lld}",
                      i ? "," : "", m, sl, (long long)v);
    }
    dp_buf_puts(out, "]");
    return 0;
}

/* The link records, under {d}. ARGV: (unused), (unused), day, epoch day,
 * now (ms), prospect, account, presentation, campaign, owner. The deck
 * (under {c}) and the muted mark (under {w}) are written apart: in a
 * cluster they are on other nodes. */
static const char record_lua[] =
    "local P, A = 'dp:{d}:', ARGV\n"
    "local groups = {{'c', A[9], 'campaigns'}, {'o', A[10], 'owners'}}\n"
    "for _, g in ipairs(groups) do\n"
    "  local k, id = g[1], g[2]\n"
    "  if id ~= '' then\n"
    "    local t = k .. ':' .. id\n"
    "    redis.call('HINCRBY', P .. 'ln:' .. t, A[3], 1)\n"
    "    redis.call('ZADD', P .. 'lp:' .. t, A[4], A[3] .. '|' .. A[6])\n"
    "    if A[7] ~= '' then redis.call('SADD', P .. 'la:' .. t, A[7]) end\n"
    "    redis.call('ZADD', P .. 'lpr:' .. t, A[5], A[8])\n"
    "    redis.call('SADD', P .. g[3], id)\n"
    "    redis.call('SADD', P .. 'plk:' .. A[6], k .. '|' .. A[3] .. '|' .. id)\n"
    "  end\n"
    "end\n"
    "if A[9] ~= '' or A[10] ~= '' then redis.call('INCR', P .. 'gen') end\n"
    "return 1\n";

typedef struct record_op {
    dp_req *req;
    size_t outstanding; /* the writes not answered yet */
    int failed;
    size_t len;
    char body[]; /* the 201's */
} record_op;

static void record_detach(void *p)
{
    ((record_op *)p)->req = NULL;
}

static void on_recorded(dp_redis *r, redisReply *reply, void *priv)
{
    record_op *op = priv;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) op->failed = 1;
    if (--op->outstanding > 0) return;
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        if (op->failed)
            dp_req_error(req, 503, "the link could not be recorded (no link made); retry");
        else
            dp_req_respond(req, 201, "application/json", "Cache-Control: no-store\r\n", op->body,
                           op->len);
    }
    dp_free(op);
}

static void mint(dp_req *req)
{
    dp_auth *s = req->ud;
    if (dp_req_authorize(req, &s->keys, DP_ROLE_SALES, 0, "mint links") == DP_ROLE_NONE) return;
    dp_err err;
    const dp_buf *body = &req->http->body;
    json_t *root = NULL;
    if (dp_json_parse_object(body->data ? body->data : "", body->len,
                             (size_t)s->cfg->max_json_depth, &root, &err) != 0) {
        dp_req_error(req, 400, err.msg);
        return;
    }
    dp_link link;
    memset(&link, 0, sizeof(link));
    if (dp_json_known_fields(root, fields, sizeof(fields) / sizeof(fields[0]), "", &err) != 0)
        goto bad;
    if (copy_id(root, "presentation", 1, link.presentation, &err) != 0 ||
        copy_id(root, "prospect", 1, link.prospect, &err) != 0 ||
        copy_id(root, "account", 0, link.account, &err) != 0 ||
        copy_id(root, "campaign", 0, link.campaign, &err) != 0 ||
        copy_id(root, "owner", 0, link.owner, &err) != 0)
        goto bad;
    int64_t ttl;
    if (dp_json_get_int(root, "ttl_days", "ttl_days", 0, 1, s->cfg->link_max_ttl_days, 90, &ttl,
                        &err) != 0)
        goto bad;
    dp_buf deck;
    dp_buf_init(&deck, 0);
    if (deck_of(root, s->cfg->max_slides_per_presentation, &deck, &err) != 0) {
        dp_buf_free(&deck);
        goto bad;
    }
    json_t *mv = json_object_get(root, "muted");
    if (mv && !json_is_boolean(mv)) {
        dp_buf_free(&deck);
        dp_err_set(&err, -EINVAL, "muted: must be true or false");
        goto bad;
    }
    int muted = mv && json_is_true(mv);
    json_decref(root);
    link.expires_ms = dp_now_ms() + ttl * 86400000LL;

    char token[DP_TOKEN_MAX];
    if (dp_token_mint(&s->token_keys, &link, token, sizeof(token)) != 0) {
        dp_buf_free(&deck);
        dp_req_error(req, 500, "cannot mint token");
        return;
    }
    char out[DP_TOKEN_MAX + 64];
    int n = snprintf(out, sizeof(out), "{\"token\":\"%s\",\"expires\":%lld}", token,
                     (long long)link.expires_ms);
    if (deck.len == 0 && !*link.campaign && !*link.owner && !muted) {
        dp_req_respond(req, 201, "application/json", "Cache-Control: no-store\r\n", out, (size_t)n);
        dp_buf_free(&deck);
        return;
    }
    /* recorded first: a link whose slides or campaign were not kept is not made */
    char key[DP_ID_MAX + 32], day[11], eday[16], now[24];
    dp_key_deck(key, sizeof(key), link.presentation);
    int64_t now_ms = dp_now_ms();
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    snprintf(eday, sizeof(eday), "%lld", (long long)(now_ms / 86400000));
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    record_op *op = dp_malloc(sizeof(*op) + (size_t)n);
    op->req = req;
    op->outstanding = 0;
    op->len = (size_t)n;
    memcpy(op->body, out, (size_t)n);
    const char *argv[] = {"EVAL",
                          record_lua,
                          "0",
                          key,
                          deck.len ? deck.data : "",
                          day,
                          eday,
                          now,
                          link.prospect,
                          link.account,
                          link.presentation,
                          link.campaign,
                          link.owner,
                          muted ? "1" : "0"};
    dp_req_on_abort(req, record_detach, op);
    /* each write where its key lives; the 201 once all are answered */
    op->failed = s->redis == NULL;
    if (!op->failed && deck.len) {
        const char *set[] = {"SET", key, deck.data};
        if (dp_redis_command(s->redis, on_recorded, op, 3, set, NULL) == 0)
            op->outstanding++;
        else
            op->failed = 1;
    }
    if (!op->failed && (link.campaign[0] || link.owner[0])) {
        if (dp_redis_command_at(s->redis, DP_KEY_DEALS_GEN, on_recorded, op,
                                sizeof(argv) / sizeof(*argv), argv, NULL) == 0)
            op->outstanding++;
        else
            op->failed = 1;
    }
    if (!op->failed && muted) {
        const char *sadd[] = {"SADD", DP_KEY_MUTED, link.presentation};
        if (dp_redis_command(s->redis, on_recorded, op, 3, sadd, NULL) == 0)
            op->outstanding++;
        else
            op->failed = 1;
    }
    if (op->outstanding == 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_free(op);
        dp_req_error(req, 503, "the link cannot be recorded now (Redis); retry later");
    }
    dp_buf_free(&deck);
    return;
bad:
    json_decref(root);
    dp_req_error(req, 400, err.msg);
}

int dp_auth_register(dp_router *rt, dp_auth *a)
{
    const dp_route row = {.methods = DP_POST,
                          .path = "/v1/links",
                          .handler = mint,
                          .ud = a,
                          .name = "links",
                          .preflight =
                              "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
                              "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
                              "Access-Control-Max-Age: 86400\r\n"};
    const dp_route ticket = {.methods = DP_POST,
                             .path = "/v1/live/ticket",
                             .handler = dp__route_ticket,
                             .ud = a,
                             .name = "live_ticket"};
    return dp_router_add(rt, &row) || dp_router_add(rt, &ticket) ? -E2BIG : 0;
}
