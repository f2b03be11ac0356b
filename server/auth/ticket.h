/* Live tickets: EventSource cannot send an Authorization header, and an
 * API key in a URL (/v1/live?key=) ends up in proxy logs. A client with its
 * key in a header asks POST /v1/live/ticket for a ticket instead, and opens
 * /v1/live?ticket=…: a ticket names the key's role and entry and expires
 * after DP_TICKET_TTL_MS, signed with a key derived from the link-token
 * secret, so every server sharing that secret (and api_keys) accepts it.
 *
 *   "t1." role "." key index "." expires_ms "." base64url(HMAC-SHA256) */
#ifndef DP_TICKET_H
#define DP_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "apikey.h"

#define DP_TICKET_TTL_MS 60000
#define DP_TICKET_MAX    128

/* The ticket key from the secret into key (32 bytes). */
void dp_ticket_key(const char *secret, size_t len, unsigned char key[32]);
/* A ticket for (role, ix) expiring at expires_ms into out: 0 or -E2BIG. */
int dp_ticket_mint(const unsigned char key[32], dp_role role, int ix, int64_t expires_ms, char *out,
                   size_t n);
/* The role (and *ix) of a valid unexpired ticket, else DP_ROLE_NONE. */
dp_role dp_ticket_verify(const unsigned char key[32], const char *t, size_t len, int64_t now_ms,
                         int *ix);

#endif
