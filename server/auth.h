/* Who may call a route: the API key's role, checked once for every route
 * that needs one. */
#ifndef DP_AUTH_H
#define DP_AUTH_H

#include "apikey.h"
#include "req.h"

/* The caller's role from "Authorization: Bearer KEY" (or, with allow_query,
 * the ?key= parameter: EventSource cannot send headers). Answers 401 without
 * a valid key, and 403 unless the role is admin or one of roles, saying
 * what it may not do ("mint links"). The role, or DP_ROLE_NONE once it has
 * answered. */
dp_role dp_req_authorize(dp_req *req, const dp_apikeys *keys, int roles, int allow_query,
                         const char *action);

#endif
