/* Link tokens. A token names presentation, prospect, account, campaign,
 * owner and expiry, and is sealed so that nobody can read or change them:
 *
 *   "2." kid "." base64url(nonce || XChaCha20-Poly1305(payload))
 *
 * payload being "1|presentation|prospect|account|campaign|owner|expires_ms"
 * (identifiers cannot contain '|'; empty fields are absent ones), the AEAD
 * key derived from a secret (HMAC-SHA256(secret, "deckpulse link v2
 * aead")), kid the first 4 bytes of HMAC-SHA256(secret, "deckpulse link v2
 * kid") in hex: which secret sealed it. Tokens are minted with the current
 * secret and verified with it or any old one (the old_secrets setting), so
 * the secret can be rotated without breaking the links already sent.
 *
 * Tokens minted before (version 1: base64url(payload) "." base64url(HMAC-
 * SHA256(secret, payload)), readable by anyone) are still verified, with
 * every secret of the ring. libsodium does the cryptography and the
 * constant-time comparisons. */
#ifndef DP_TOKEN_H
#define DP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

#define DP_TOKEN_MAX      1024
#define DP_TOKEN_KEYS_MAX 8

typedef struct dp_link {
    char presentation[DP_ID_MAX + 1];
    char prospect[DP_ID_MAX + 1];
    char account[DP_ID_MAX + 1]; /* "" if absent */
    char campaign[DP_ID_MAX + 1];
    char owner[DP_ID_MAX + 1];
    int64_t expires_ms;
} dp_link;

/* The secrets tokens are sealed with: k[0] the current one (it mints),
 * every one verifies. The secrets' bytes stay the caller's. */
typedef struct dp_token_keys {
    size_t n;
    struct {
        const char *secret;
        size_t len;
        unsigned char aead[32];
        char kid[9];
    } k[DP_TOKEN_KEYS_MAX];
} dp_token_keys;

/* Adds a secret to the ring (the first added mints): 0 or -E2BIG. */
int dp_token_keys_add(dp_token_keys *ks, const char *secret, size_t len);
/* Wipes the derived keys. */
void dp_token_keys_clear(dp_token_keys *ks);
/* Writes a NUL-terminated token into out: 0 or -E2BIG/-EINVAL. */
int dp_token_mint(const dp_token_keys *ks, const dp_link *link, char *out, size_t outlen);
/* 0 and *link filled; -EACCES with err "token: invalid" or "token: expired". */
int dp_token_verify(const dp_token_keys *ks, const char *token, size_t len, int64_t now_ms,
                    dp_link *link, dp_err *err);

#endif
