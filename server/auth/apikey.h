/* API keys with roles, parsed from the api_keys setting ("role:key,...").
 * Only SHA-256 hashes of the keys are kept; a presented key is hashed and
 * compared against every entry in constant time (libsodium), so neither the
 * comparison nor the position of a match leaks through timing. */
#ifndef DP_APIKEY_H
#define DP_APIKEY_H

#include <stddef.h>

#include "deckpulse/error.h"

typedef enum dp_role {
    DP_ROLE_NONE = 0,
    DP_ROLE_ADMIN = 1,
    DP_ROLE_MARKETING = 2,
    DP_ROLE_SALES = 4
} dp_role;

#define DP_APIKEY_MIN  16
#define DP_APIKEY_MAX  256
#define DP_APIKEYS_MAX 256

typedef struct dp_apikeys {
    unsigned char ticket_key[32]; /* live tickets (ticket.h); set from the secret */
    size_t n;
    struct {
        unsigned char hash[32];
        dp_role role;
    } keys[DP_APIKEYS_MAX];
} dp_apikeys;

/* 0 or -EINVAL with err naming the entry ("api_keys: entry 2: ..."). */
int dp_apikeys_parse(dp_apikeys *k, const char *spec, dp_err *err);
/* The role of the key, or DP_ROLE_NONE; *ix (may be NULL) its entry's
 * index (the first entry with that text), -1 if none: what per-key
 * limits count by. */
dp_role dp_apikeys_lookup(const dp_apikeys *k, const char *key, size_t len, int *ix);
/* From an "Authorization: Bearer KEY" header value (NULL allowed). */
dp_role dp_apikeys_authorize(const dp_apikeys *k, const char *header, size_t len, int *ix);

#endif
