#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "secrets.h"
#include "ticket.h"

dp_role dp_req_authorize(dp_req *req, const dp_apikeys *keys, int roles, int allow_query,
                         const char *action)
{
    size_t n;
    const char *h = dp_http_req_header(req->http, "authorization", &n);
    dp_role role = dp_apikeys_authorize(keys, h, n, &req->key_ix);
    if (role == DP_ROLE_NONE && allow_query) {
        const char *path, *query;
        size_t plen, qlen;
        char key[DP_APIKEY_MAX + 1];
        dp_http_req_path(req->http, &path, &plen, &query, &qlen);
        char ticket[DP_TICKET_MAX];
        if (dp_http_query_get(query, qlen, "ticket", ticket, sizeof(ticket)) == 0)
            role = dp_ticket_verify(keys->ticket_key, ticket, strlen(ticket), dp_now_ms(),
                                    &req->key_ix);
        else if (dp_http_query_get(query, qlen, "key", key, sizeof(key)) == 0)
            role = dp_apikeys_lookup(keys, key, strlen(key), &req->key_ix);
    }
    if (role == DP_ROLE_NONE) {
        dp_req_error_with(req, 401, "WWW-Authenticate: Bearer\r\n",
                          allow_query ? "missing or invalid API key or ticket (Authorization: "
                                        "Bearer KEY, or ?ticket= from POST /v1/live/ticket)"
                                      : "missing or invalid API key (Authorization: Bearer KEY)");
        return DP_ROLE_NONE;
    }
    if (role != DP_ROLE_ADMIN && !(role & roles)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "this API key's role may not %s (needs %s)", action,
                 (roles & DP_ROLE_MARKETING) ? "marketing or admin"
                 : (roles & DP_ROLE_SALES)   ? "sales or admin"
                                             : "admin");
        dp_req_error(req, 403, msg);
        return DP_ROLE_NONE;
    }
    return role;
}

static int open_admin_key(dp_auth *a, dp_err *err);

int dp_auth_open(dp_auth *a, const dp_config *cfg, dp_err *err)
{
    a->cfg = cfg;
    int rc;
    if (cfg->secret[0])
        a->secret = dp_strdup(cfg->secret);
    else if ((rc = dp_secret_file(cfg->data_dir, "secret", "", 32, &a->secret, err)) != 0)
        return rc;
    a->secret_len = strlen(a->secret);
    dp_token_keys_add(&a->token_keys, a->secret, a->secret_len);
    /* retired secrets: links minted with them still verify */
    a->old_secrets = dp_strdup(cfg->old_secrets ? cfg->old_secrets : "");
    for (char *save = NULL, *s = strtok_r(a->old_secrets, ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        if (strlen(s) < 32)
            return dp_err_set(err, -EINVAL, "old_secrets: each must be at least 32 characters");
        if (dp_token_keys_add(&a->token_keys, s, strlen(s)) != 0)
            return dp_err_set(err, -E2BIG, "old_secrets: at most %d", DP_TOKEN_KEYS_MAX - 1);
    }
    a->tokens = dp_calloc(1, sizeof(*a->tokens));
    /* api_keys parsing starts the table afresh: the ticket key after it */
    rc = cfg->api_keys[0] ? dp_apikeys_parse(&a->keys, cfg->api_keys, err) : open_admin_key(a, err);
    dp_ticket_key(a->secret, a->secret_len, a->keys.ticket_key);
    return rc;
}

/* No api_keys: an admin key generated once into data_dir/admin.key. */
static int open_admin_key(dp_auth *a, dp_err *err)
{
    int rc;
    const dp_config *cfg = a->cfg;
    char *key = NULL, spec[128];
    if ((rc = dp_secret_file(cfg->data_dir, "admin.key", "dpk_", 20, &key, err)) != 0) return rc;
    snprintf(a->admin_key, sizeof(a->admin_key), "%s", key);
    snprintf(spec, sizeof(spec), "admin:%s", key);
    dp_free(key);
    return dp_apikeys_parse(&a->keys, spec, err);
}

void dp_auth_free(dp_auth *a)
{
    if (a->tokens) dp_token_cache_free(a->tokens);
    dp_free(a->tokens);
    a->tokens = NULL;
    if (a->secret) sodium_memzero(a->secret, a->secret_len);
    dp_free(a->secret);
    a->secret = NULL;
    if (a->old_secrets) sodium_memzero(a->old_secrets, strlen(a->old_secrets));
    dp_free(a->old_secrets);
    a->old_secrets = NULL;
    dp_token_keys_clear(&a->token_keys);
}
