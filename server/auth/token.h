/* Link tokens: base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
 * where payload is "1|presentation|prospect|account|campaign|owner|expires_ms"
 * (identifiers cannot contain '|'; empty fields are absent ones). HMAC and
 * the constant-time comparison come from libsodium. */
#ifndef DP_TOKEN_H
#define DP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

#define DP_TOKEN_MAX 1024

typedef struct dp_link {
    char presentation[DP_ID_MAX + 1];
    char prospect[DP_ID_MAX + 1];
    char account[DP_ID_MAX + 1]; /* "" if absent */
    char campaign[DP_ID_MAX + 1];
    char owner[DP_ID_MAX + 1];
    int64_t expires_ms;
} dp_link;

/* Writes a NUL-terminated token into out: 0 or -E2BIG/-EINVAL. */
int dp_token_mint(const char *secret, size_t secret_len, const dp_link *link, char *out,
                  size_t outlen);
/* 0 and *link filled; -EACCES with err "token: invalid" or "token: expired". */
int dp_token_verify(const char *secret, size_t secret_len, const char *token, size_t len,
                    int64_t now_ms, dp_link *link, dp_err *err);

#endif
