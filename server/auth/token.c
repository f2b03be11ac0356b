#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_MAX (2 + 5 * (DP_ID_MAX + 1) + 24)
#define MAC_B64_LEN 43 /* 32 bytes, base64url without padding */
#define NONCE       crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG         crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEAD_LEN    11 /* "2." + 8 hex + "." */

static void hmac(const char *secret, size_t secret_len, const char *msg, size_t n,
                 unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, n);
    crypto_auth_hmacsha256_final(&st, out);
}

int dp_token_keys_add(dp_token_keys *ks, const char *secret, size_t len)
{
    if (ks->n == DP_TOKEN_KEYS_MAX) return -E2BIG;
    unsigned char id[crypto_auth_hmacsha256_BYTES];
    static const char aead_label[] = "deckpulse link v2 aead",
                      kid_label[] = "deckpulse link v2 kid";
    ks->k[ks->n].secret = secret;
    ks->k[ks->n].len = len;
    hmac(secret, len, aead_label, sizeof(aead_label) - 1, ks->k[ks->n].aead);
    hmac(secret, len, kid_label, sizeof(kid_label) - 1, id);
    sodium_bin2hex(ks->k[ks->n].kid, sizeof(ks->k[ks->n].kid), id, 4);
    ks->n++;
    return 0;
}

void dp_token_keys_clear(dp_token_keys *ks)
{
    sodium_memzero(ks, sizeof(*ks));
}

int dp_token_mint(const dp_token_keys *ks, const dp_link *l, char *out, size_t outlen)
{
    if (ks->n == 0) return -EINVAL;
    char payload[PAYLOAD_MAX];
    int n = snprintf(payload, sizeof(payload), "1|%s|%s|%s|%s|%s|%lld", l->presentation,
                     l->prospect, l->account, l->campaign, l->owner, (long long)l->expires_ms);
    if (n < 0 || (size_t)n >= sizeof(payload)) return -EINVAL;
    unsigned char sealed[NONCE + PAYLOAD_MAX + TAG];
    randombytes_buf(sealed, NONCE);
    char head[HEAD_LEN + 1];
    snprintf(head, sizeof(head), "2.%s.", ks->k[0].kid);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + NONCE, &clen, (unsigned char *)payload,
                                               (size_t)n, (unsigned char *)head, HEAD_LEN, NULL,
                                               sealed, ks->k[0].aead);
    sodium_memzero(payload, sizeof(payload));
    size_t b64 =
        sodium_base64_ENCODED_LEN(NONCE + (size_t)clen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (HEAD_LEN + b64 > outlen) return -E2BIG; /* b64 counts the NUL */
    memcpy(out, head, HEAD_LEN);
    sodium_bin2base64(out + HEAD_LEN, b64, sealed, NONCE + (size_t)clen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

/* Copies the next '|'-separated field into out if it is a valid identifier
 * (or empty where allowed): 1 if a field follows, 0 at the end, -1. */
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

/* A payload we sealed or signed: 0 and *l, or -1. */
static int parse(const char *payload, size_t n, dp_link *l)
{
    const char *p = payload, *end = payload + n;
    if (n < 2 || p[0] != '1' || p[1] != '|') return -1;
    p += 2;
    memset(l, 0, sizeof(*l));
    if (field(&p, end, l->presentation, 0) != 1 || field(&p, end, l->prospect, 0) != 1 ||
        field(&p, end, l->account, 1) != 1 || field(&p, end, l->campaign, 1) != 1 ||
        field(&p, end, l->owner, 1) != 1)
        return -1;
    char num[24];
    size_t left = (size_t)(end - p);
    if (left == 0 || left >= sizeof(num)) return -1;
    memcpy(num, p, left);
    num[left] = '\0';
    char *num_end = NULL;
    long long exp = strtoll(num, &num_end, 10);
    if (*num_end != '\0' || num[0] == '-' || num[0] == '+' || num[0] == ' ') return -1;
    l->expires_ms = exp;
    return 0;
}

/* Version 2: the payload of a token sealed with one of ks's keys. */
static int open_v2(const dp_token_keys *ks, const char *tok, size_t len, char *payload, size_t *n)
{
    if (len <= HEAD_LEN || tok[1] != '.' || tok[HEAD_LEN - 1] != '.') return -1;
    size_t which = ks->n;
    for (size_t i = 0; i < ks->n; i++)
        if (memcmp(tok + 2, ks->k[i].kid, 8) == 0) which = i;
    if (which == ks->n) return -1;
    unsigned char sealed[NONCE + PAYLOAD_MAX + TAG];
    size_t got = 0;
    if (sodium_base642bin(sealed, sizeof(sealed), tok + HEAD_LEN, len - HEAD_LEN, NULL, &got, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got < NONCE + TAG)
        return -1;
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (unsigned char *)payload, &plen, NULL, sealed + NONCE, got - NONCE,
            (const unsigned char *)tok, HEAD_LEN, sealed, ks->k[which].aead) != 0)
        return -1;
    *n = (size_t)plen;
    return 0;
}

/* Version 1: the payload of a token signed with one of ks's secrets. */
static int open_v1(const dp_token_keys *ks, const char *tok, size_t len, char *payload, size_t *n)
{
    const char *dot = memchr(tok, '.', len);
    if (dot == NULL) return -1;
    size_t p64 = (size_t)(dot - tok), m64 = len - p64 - 1;
    if (m64 != MAC_B64_LEN) return -1;
    if (sodium_base642bin((unsigned char *)payload, PAYLOAD_MAX - 1, tok, p64, NULL, n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    unsigned char got[crypto_auth_hmacsha256_BYTES], want[crypto_auth_hmacsha256_BYTES];
    size_t gn = 0;
    if (sodium_base642bin(got, sizeof(got), dot + 1, m64, NULL, &gn, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        gn != sizeof(got))
        return -1;
    int ok = 0;
    for (size_t i = 0; i < ks->n; i++) {
        hmac(ks->k[i].secret, ks->k[i].len, payload, *n, want);
        ok |= crypto_verify_32(got, want) == 0;
    }
    return ok ? 0 : -1;
}

int dp_token_verify(const dp_token_keys *ks, const char *tok, size_t len, int64_t now_ms,
                    dp_link *l, dp_err *err)
{
    char payload[PAYLOAD_MAX + TAG];
    size_t n = 0;
    if (len == 0 || len > DP_TOKEN_MAX) goto invalid;
    int rc = len > 2 && tok[0] == '2' && tok[1] == '.' ? open_v2(ks, tok, len, payload, &n)
                                                       : open_v1(ks, tok, len, payload, &n);
    if (rc != 0 || n >= PAYLOAD_MAX || parse(payload, n, l) != 0) goto invalid;
    sodium_memzero(payload, sizeof(payload));
    if (l->expires_ms <= now_ms) return dp_err_set(err, -EACCES, "token: expired");
    return 0;
invalid:
    sodium_memzero(payload, sizeof(payload));
    return dp_err_set(err, -EACCES, "token: invalid");
}
