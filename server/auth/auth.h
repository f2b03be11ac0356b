/* Who may do what: the API keys and their roles (checked once for every
 * route that needs one), the link tokens' HMAC key and the cache of
 * verified tokens, and POST /v1/links, which mints tokens. */
#ifndef DP_AUTH_H
#define DP_AUTH_H

#include "apikey.h"
#include "redis.h"
#include "deckpulse/config.h"
#include "deckpulse/error.h"
#include "req.h"
#include "router.h"
#include "token_cache.h"

typedef struct dp_auth {
    const dp_config *cfg;
    dp_apikeys keys;
    char admin_key[80]; /* generated admin key, "" if api_keys was set */
    char *secret;       /* link tokens' current secret */
    size_t secret_len;
    char *old_secrets;        /* retired ones still verifying (comma separated, split) */
    dp_token_keys token_keys; /* the ring: secret, then old_secrets */
    dp_token_cache *tokens;   /* verified tokens */
    dp_redis *redis;          /* where a link's deck (its slides) is kept; NULL in tests */
} dp_auth;

/* The keys from cfg->api_keys (or an admin key generated once in
 * data_dir/admin.key), the secret from cfg->secret (or data_dir/secret) and
 * the retired ones from cfg->old_secrets.
 * 0 or a negative errno with err; dp_auth_free either way. */
int dp_auth_open(dp_auth *a, const dp_config *cfg, dp_err *err);
void dp_auth_free(dp_auth *a);
/* POST /v1/links and POST /v1/live/ticket. */
int dp_auth_register(dp_router *rt, dp_auth *a);
void dp__route_ticket(dp_req *req); /* route_ticket.c */

/* The caller's role from "Authorization: Bearer KEY" (or, with allow_query,
 * a ?ticket= from POST /v1/live/ticket, or the deprecated ?key=: EventSource
 * cannot send headers). Answers 401 without
 * a valid key, and 403 unless the role is admin or one of roles, saying
 * what it may not do ("mint links"). The role, or DP_ROLE_NONE once it has
 * answered. */
dp_role dp_req_authorize(dp_req *req, const dp_apikeys *keys, int roles, int allow_query,
                         const char *action);

#endif
