/* POST /v1/live/ticket: a short-lived ticket for GET /v1/live?ticket=
 * (ticket.h), for the key in the Authorization header (role sales or
 * admin). Answer 201 {"ticket", "expires"}; Cache-Control: no-store. */
#include <stdio.h>

#include "auth.h"
#include "clock.h"
#include "ticket.h"

void dp__route_ticket(dp_req *req)
{
    dp_auth *a = req->ud;
    dp_role role = dp_req_authorize(req, &a->keys, DP_ROLE_SALES, 0, "watch live viewers");
    if (role == DP_ROLE_NONE) return;
    int64_t expires = dp_now_ms() + DP_TICKET_TTL_MS;
    char t[DP_TICKET_MAX], body[DP_TICKET_MAX + 64];
    if (dp_ticket_mint(a->keys.ticket_key, role, req->key_ix, expires, t, sizeof(t)) != 0) {
        dp_req_error(req, 500, "cannot make a ticket");
        return;
    }
    int n =
        snprintf(body, sizeof(body), "{\"ticket\":\"%s\",\"expires\":%lld}", t, (long long)expires);
    dp_req_respond(req, 201, "application/json", "Cache-Control: no-store\r\n", body, (size_t)n);
}
