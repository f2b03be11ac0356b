#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_MAX (2 + 5 * (DP_ID_MAX + 1) + 24)
#define MAC_B64_LEN 43 /* 32 bytes, base64url without padding */

static void mac(const char *secret, size_t secret_len, const char *payload, size_t n,
                unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, n);
    crypto_auth_hmacsha256_final(&st, out);
}

int dp_token_mint(const char *secret, size_t secret_len, const dp_link *l, char *out, size_t outlen)
{
    char payload[PAYLOAD_MAX];
    int n = snprintf(payload, sizeof(payload), "1|%s|%s|%s|%s|%s|%lld", l->presentation,
                     l->prospect, l->account, l->campaign, l->owner, (long long)l->expires_ms);
    if (n < 0 || (size_t)n >= sizeof(payload)) return -EINVAL;
    unsigned char m[crypto_auth_hmacsha256_BYTES];
    mac(secret, secret_len, payload, (size_t)n, m);
    size_t p64 = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t m64 = sodium_base64_ENCODED_LEN(sizeof(m), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (p64 + m64 > outlen) return -E2BIG; /* both counts include a NUL; one becomes the '.' */
    sodium_bin2base64(out, p64, (unsigned char *)payload, (size_t)n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t at = strlen(out);
    out[at++] = '.';
    sodium_bin2base64(out + at, m64, m, sizeof(m), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

/* Copies field k of the '|'-separated payload into out if it is a valid
 * identifier (or empty where allowed). */
static int field(const char **p, const char *end, char *out, int allow_empty)
{
    const char *s = *p, *bar = memchr(s, '|', (size_t)(end - s));
    size_t n = bar ? (size_t)(bar - s) : (size_t)(end - s);
    if (n == 0 ? !allow_empty : !dp_id_valid(s, n)) return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = bar ? bar + 1 : end;
    return bar ? 1 : 0;
}

int dp_token_verify(const char *secret, size_t secret_len, const char *tok, size_t len,
                    int64_t now_ms, dp_link *l, dp_err *err)
{
    const char *dot = len <= DP_TOKEN_MAX ? memchr(tok, '.', len) : NULL;
    if (dot == NULL) goto invalid;
    size_t p64 = (size_t)(dot - tok), m64 = len - p64 - 1;
    if (m64 != MAC_B64_LEN) goto invalid;

    char payload[PAYLOAD_MAX];
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)payload, sizeof(payload) - 1, tok, p64, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        goto invalid;
    unsigned char got[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
    size_t gn = 0;
    if (sodium_base642bin(got, sizeof(got), dot + 1, m64, NULL, &gn, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        gn != sizeof(got))
        goto invalid;
    mac(secret, secret_len, payload, n, want);
    if (crypto_verify_32(got, want) != 0) goto invalid;

    /* Signed by us: parse it. */
    payload[n] = '\0';
    const char *p = payload, *end = payload + n;
    if (n < 2 || p[0] != '1' || p[1] != '|') goto invalid;
    p += 2;
    memset(l, 0, sizeof(*l));
    if (field(&p, end, l->presentation, 0) != 1 || field(&p, end, l->prospect, 0) != 1 ||
        field(&p, end, l->account, 1) != 1 || field(&p, end, l->campaign, 1) != 1 ||
        field(&p, end, l->owner, 1) != 1)
        goto invalid;
    char *num_end = NULL;
    long long exp = strtoll(p, &num_end, 10);
    if (p == end || num_end != end) goto invalid;
    l->expires_ms = exp;
    if (exp <= now_ms) return dp_err_set(err, -EACCES, "token: expired");
    return 0;
invalid:
    return dp_err_set(err, -EACCES, "token: invalid");
}
