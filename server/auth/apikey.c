#include "apikey.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

int dp_apikeys_parse(dp_apikeys *k, const char *spec, dp_err *err)
{
    memset(k, 0, sizeof(*k));
    size_t entry = 0;
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        entry++;
        const char *colon = memchr(p, ':', n);
        if (colon == NULL)
            return dp_err_set(err, -EINVAL, "api_keys: entry %zu: expected role:key", entry);
        size_t rn = (size_t)(colon - p), kn = n - rn - 1;
        dp_role role = DP_ROLE_NONE;
        if (rn == 5 && !strncmp(p, "admin", 5))
            role = DP_ROLE_ADMIN;
        else if (rn == 9 && !strncmp(p, "marketing", 9))
            role = DP_ROLE_MARKETING;
        else if (rn == 5 && !strncmp(p, "sales", 5))
            role = DP_ROLE_SALES;
        else
            return dp_err_set(err, -EINVAL,
                              "api_keys: entry %zu: role must be admin, marketing or sales", entry);
        if (kn < DP_APIKEY_MIN || kn > DP_APIKEY_MAX)
            return dp_err_set(err, -EINVAL, "api_keys: entry %zu: key must be %d to %d characters",
                              entry, DP_APIKEY_MIN, DP_APIKEY_MAX);
        for (size_t i = 0; i < kn; i++)
            if ((unsigned char)colon[1 + i] <= 0x20 || (unsigned char)colon[1 + i] >= 0x7f)
                return dp_err_set(err, -EINVAL,
                                  "api_keys: entry %zu: key must be printable ASCII without spaces",
                                  entry);
        if (k->n >= DP_APIKEYS_MAX)
            return dp_err_set(err, -E2BIG, "api_keys: more than %d keys", DP_APIKEYS_MAX);
        crypto_hash_sha256(k->keys[k->n].hash, (const unsigned char *)colon + 1, kn);
        k->keys[k->n].role = role;
        k->n++;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

dp_role dp_apikeys_lookup(const dp_apikeys *k, const char *key, size_t len, int *ix)
{
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)key, len);
    unsigned role = DP_ROLE_NONE;
    int found = -1;
    for (size_t i = 0; i < k->n; i++) {
        /* No early exit: every entry is compared. */
        unsigned match = (unsigned)(sodium_memcmp(h, k->keys[i].hash, 32) == 0);
        role |= (unsigned)k->keys[i].role & (0u - match);
        if (match && found < 0) found = (int)i;
    }
    if (ix) *ix = -1;
    if (len < DP_APIKEY_MIN || len > DP_APIKEY_MAX) return DP_ROLE_NONE;
    if (ix) *ix = found;
    /* Two keys with the same text and different roles: the widest wins. */
    if (role & DP_ROLE_ADMIN) return DP_ROLE_ADMIN;
    return (dp_role)(role & DP_ROLE_MARKETING ? DP_ROLE_MARKETING : role & DP_ROLE_SALES);
}

dp_role dp_apikeys_authorize(const dp_apikeys *k, const char *h, size_t len, int *ix)
{
    if (ix) *ix = -1;
    if (h == NULL || len < 7 || strncasecmp(h, "Bearer ", 7) != 0) return DP_ROLE_NONE;
    h += 7;
    len -= 7;
    while (len > 0 && *h == ' ') {
        h++;
        len--;
    }
    return dp_apikeys_lookup(k, h, len, ix);
}
