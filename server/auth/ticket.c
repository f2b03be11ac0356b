/* Live tickets: ticket.h. */
#include "ticket.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sign(const unsigned char key[32], const char *msg, size_t n, unsigned char out[32])
{
    crypto_auth_hmacsha256(out, (const unsigned char *)msg, n, key);
}

void dp_ticket_key(const char *secret, size_t len, unsigned char key[32])
{
    static const char label[] = "deckpulse live ticket";
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
    crypto_auth_hmacsha256_final(&st, key);
}

int dp_ticket_mint(const unsigned char key[32], dp_role role, int ix, int64_t expires_ms, char *out,
                   size_t n)
{
    char head[64];
    int hl = snprintf(head, sizeof(head), "t1.%d.%d.%lld.", (int)role, ix, (long long)expires_ms);
    unsigned char mac[32];
    sign(key, head, (size_t)hl, mac);
    size_t m64 = sodium_base64_ENCODED_LEN(sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if ((size_t)hl + m64 > n) return -E2BIG;
    memcpy(out, head, (size_t)hl);
    sodium_bin2base64(out + hl, m64, mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

dp_role dp_ticket_verify(const unsigned char key[32], const char *t, size_t len, int64_t now_ms,
                         int *ix)
{
    *ix = -1;
    if (len < 4 || len >= DP_TICKET_MAX || memcmp(t, "t1.", 3) != 0) return DP_ROLE_NONE;
    const char *last = NULL;
    for (size_t i = 0; i < len; i++)
        if (t[i] == '.') last = t + i;
    size_t hl = (size_t)(last - t) + 1;
    unsigned char got[32], want[32];
    size_t gn = 0;
    if (sodium_base642bin(got, sizeof(got), last + 1, len - hl, NULL, &gn, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        gn != sizeof(got))
        return DP_ROLE_NONE;
    sign(key, t, hl, want);
    if (crypto_verify_32(got, want) != 0) return DP_ROLE_NONE;
    char head[DP_TICKET_MAX];
    memcpy(head, t, hl);
    head[hl] = '\0';
    int role, i;
    long long exp;
    char end;
    if (sscanf(head, "t1.%d.%d.%lld%c", &role, &i, &exp, &end) != 4 || end != '.' ||
        exp <= now_ms ||
        (role != DP_ROLE_ADMIN && role != DP_ROLE_MARKETING && role != DP_ROLE_SALES))
        return DP_ROLE_NONE;
    *ix = i;
    return (dp_role)role;
}
