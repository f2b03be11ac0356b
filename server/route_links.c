/* POST /v1/links: mint a link token (API key with role sales or admin).
 * Body {"presentation", "prospect", "account", "campaign", "owner",
 * "ttl_days"}; answer 201 {"token", "expires"}. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "router.h"
#include "token.h"

static const char *const fields[] = {"presentation", "prospect", "account",
                                     "campaign",     "owner",    "ttl_days"};

static int copy_id(json_t *root, const char *key, int required, char *out, dp_err *err)
{
    json_t *v = json_object_get(root, key);
    out[0] = '\0';
    if (v == NULL || json_is_null(v)) {
        if (required) return dp_err_set(err, -EINVAL, "%s: required", key);
        return 0;
    }
    if (!json_is_string(v) || !dp_id_valid(json_string_value(v), json_string_length(v)))
        return dp_err_set(err, -EINVAL, "%s: must be 1-64 characters of A-Z a-z 0-9 . _ : -", key);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

void dp_route_links(dp_conn *c)
{
    dp_server *s = c->srv;
    size_t alen;
    const char *auth = dp_http_req_header(&c->req, "authorization", &alen);
    dp_role role = dp_apikeys_authorize(&s->keys, auth, alen);
    if (role == DP_ROLE_NONE) {
        dp_conn_error(c, 401, "missing or invalid API key (Authorization: Bearer KEY)");
        return;
    }
    if (role != DP_ROLE_ADMIN && role != DP_ROLE_SALES) {
        dp_conn_error(c, 403, "this API key's role may not mint links (needs sales or admin)");
        return;
    }
    dp_err err;
    const dp_buf *body = &c->req.body;
    if (dp_json_depth_check(body->data ? body->data : "", body->len, 2) != 0) {
        dp_conn_error(c, 400, "body: must be a flat JSON object");
        return;
    }
    json_error_t je;
    json_t *root = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        dp_err_set(&err, -EINVAL, "body: invalid JSON at line %d column %d: %s", je.line, je.column,
                   je.text);
        dp_conn_error(c, 400, err.msg);
        return;
    }
    dp_link link;
    memset(&link, 0, sizeof(link));
    int rc = -EINVAL;
    if (!json_is_object(root)) {
        dp_err_set(&err, rc, "body: must be a JSON object");
        goto bad;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        size_t k, nf = sizeof(fields) / sizeof(fields[0]);
        for (k = 0; k < nf; k++)
            if (!strcmp(key, fields[k])) break;
        if (k == nf) {
            dp_err_set(&err, rc, "%.64s: unknown field", dp_id_valid(key, strlen(key)) ? key : "?");
            goto bad;
        }
    }
    if (copy_id(root, "presentation", 1, link.presentation, &err) != 0 ||
        copy_id(root, "prospect", 1, link.prospect, &err) != 0 ||
        copy_id(root, "account", 0, link.account, &err) != 0 ||
        copy_id(root, "campaign", 0, link.campaign, &err) != 0 ||
        copy_id(root, "owner", 0, link.owner, &err) != 0)
        goto bad;
    int64_t ttl = 90;
    json_t *t = json_object_get(root, "ttl_days");
    if (t != NULL && !json_is_null(t)) {
        if (!json_is_integer(t) || json_integer_value(t) < 1 ||
            json_integer_value(t) > s->cfg->link_max_ttl_days) {
            dp_err_set(&err, rc, "ttl_days: must be an integer between 1 and %lld",
                       (long long)s->cfg->link_max_ttl_days);
            goto bad;
        }
        ttl = json_integer_value(t);
    }
    json_decref(root);
    link.expires_ms = dp_now_ms() + ttl * 86400000LL;

    char token[DP_TOKEN_MAX];
    if (dp_token_mint(s->secret, s->secret_len, &link, token, sizeof(token)) != 0) {
        dp_conn_error(c, 500, "cannot mint token");
        return;
    }
    char out[DP_TOKEN_MAX + 64];
    int n = snprintf(out, sizeof(out), "{\"token\":\"%s\",\"expires\":%lld}", token,
                     (long long)link.expires_ms);
    dp_conn_respond(c, 201, "application/json", "Cache-Control: no-store\r\n", out, (size_t)n);
    return;
bad:
    json_decref(root);
    dp_conn_error(c, 400, err.msg);
}
