#include "auth.h"

#include <stdio.h>
#include <string.h>

dp_role dp_req_authorize(dp_req *req, const dp_apikeys *keys, int roles, int allow_query,
                         const char *action)
{
    size_t n;
    const char *h = dp_http_req_header(req->http, "authorization", &n);
    dp_role role = dp_apikeys_authorize(keys, h, n);
    if (role == DP_ROLE_NONE && allow_query) {
        const char *path, *query;
        size_t plen, qlen;
        char key[DP_APIKEY_MAX + 1];
        dp_http_req_path(req->http, &path, &plen, &query, &qlen);
        if (dp_http_query_get(query, qlen, "key", key, sizeof(key)) == 0)
            role = dp_apikeys_lookup(keys, key, strlen(key));
    }
    if (role == DP_ROLE_NONE) {
        dp_req_error_with(req, 401, "WWW-Authenticate: Bearer\r\n",
                          allow_query
                              ? "missing or invalid API key (Authorization: Bearer KEY or ?key=)"
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
