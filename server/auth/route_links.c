/* POST /v1/links: mint a link token (API key with role sales or admin).
 * Body {"presentation", "prospect", "account", "campaign", "owner",
 * "ttl_days"}; answer 201 {"token", "expires"}. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "json_fields.h"
#include "clock.h"
#include "token.h"

static const char *const fields[] = {"presentation", "prospect", "account",
                                     "campaign",     "owner",    "ttl_days"};

static int copy_id(json_t *root, const char *key, int required, char *out, dp_err *err)
{
    const char *v;
    int rc = dp_json_get_id(root, key, key, required, &v, err);
    if (rc == 0) snprintf(out, DP_ID_MAX + 1, "%s", v ? v : "");
    return rc;
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
    json_decref(root);
    link.expires_ms = dp_now_ms() + ttl * 86400000LL;

    char token[DP_TOKEN_MAX];
    if (dp_token_mint(&s->token_keys, &link, token, sizeof(token)) != 0) {
        dp_req_error(req, 500, "cannot mint token");
        return;
    }
    char out[DP_TOKEN_MAX + 64];
    int n = snprintf(out, sizeof(out), "{\"token\":\"%s\",\"expires\":%lld}", token,
                     (long long)link.expires_ms);
    dp_req_respond(req, 201, "application/json", "Cache-Control: no-store\r\n", out, (size_t)n);
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
