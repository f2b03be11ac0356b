/* Verified link tokens, remembered: token_cache.h. */
#include "token_cache.h"

#include <sodium.h>
#include <string.h>

#include "alloc.h"

static size_t slot_of(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32)) & (DP_TOKEN_CACHE_SLOTS - 1);
}

int dp_token_verify_cached(dp_token_cache *tc, const dp_token_keys *ks, const char *token,
                           size_t len, int64_t now_ms, dp_link *link, dp_err *err)
{
    dp_token_cache_slot *s = &tc->slots[slot_of(token, len)];
    /* constant time: the stored token is a valid one */
    if (s->token && s->len == len && sodium_memcmp(s->token, token, len) == 0 &&
        s->link.expires_ms > now_ms) {
        tc->hits++;
        *link = s->link;
        return 0;
    }
    tc->misses++;
    int rc = dp_token_verify(ks, token, len, now_ms, link, err);
    if (rc != 0) return rc;
    dp_free(s->token);
    s->token = dp_strndup(token, len);
    s->len = len;
    s->link = *link;
    return 0;
}

void dp_token_cache_free(dp_token_cache *tc)
{
    for (size_t i = 0; i < DP_TOKEN_CACHE_SLOTS; i++) {
        dp_free(tc->slots[i].token);
        tc->slots[i].token = NULL;
    }
}
