/* Verified link tokens, remembered: a beacon sends the same token with
 * every batch of a visit, and verifying one (base64 decode + HMAC-SHA256)
 * was a tenth of the server's CPU per request (bench/RESULTS.md). A
 * direct-mapped table of DP_TOKEN_CACHE_SLOTS entries keyed by the token's
 * exact bytes; an entry is used only while the token is unexpired, so the
 * answer is always the one dp_token_verify would give. Tokens that fail
 * verification are never stored. */
#ifndef DP_TOKEN_CACHE_H
#define DP_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define DP_TOKEN_CACHE_SLOTS 1024

typedef struct dp_token_cache_slot {
    char *token; /* NULL: empty */
    size_t len;
    dp_link link;
} dp_token_cache_slot;

typedef struct dp_token_cache {
    dp_token_cache_slot slots[DP_TOKEN_CACHE_SLOTS];
    uint64_t hits, misses;
} dp_token_cache;

/* dp_token_verify through the cache: the same return value, link and err. */
int dp_token_verify_cached(dp_token_cache *tc, const dp_token_keys *ks, const char *token,
                           size_t len, int64_t now_ms, dp_link *link, dp_err *err);
void dp_token_cache_free(dp_token_cache *tc);

#endif
