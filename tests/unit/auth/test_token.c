/* Link tokens: mint, verify, tamper, expiry; sealed (nothing readable),
 * verified with old secrets (rotation), version 1 tokens still verified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "token.h"

static const char secret[] = "0123456789abcdef0123456789abcdef";
static const int64_t now = 1763800000000LL;

static dp_token_keys ring(const char *a, const char *b)
{
    dp_token_keys ks;
    memset(&ks, 0, sizeof(ks));
    dp_token_keys_add(&ks, a, strlen(a));
    if (b) dp_token_keys_add(&ks, b, strlen(b));
    return ks;
}

static dp_link sample(void)
{
    dp_link l;
    memset(&l, 0, sizeof(l));
    strcpy(l.presentation, "p-1");
    strcpy(l.prospect, "jane.doe");
    strcpy(l.account, "acme");
    strcpy(l.owner, "bob");
    l.expires_ms = now + 1000;
    return l;
}

static void test_round_trip(void **state)
{
    (void)state;
    dp_link l = sample(), got;
    char tok[DP_TOKEN_MAX];
    dp_err err;
    dp_token_keys ks = ring(secret, NULL);
    assert_int_equal(dp_token_mint(&ks, &l, tok, sizeof(tok)), 0);
    assert_int_equal(dp_token_verify(&ks, tok, strlen(tok), now, &got, &err), 0);
    assert_string_equal(got.presentation, "p-1");
    assert_string_equal(got.prospect, "jane.doe");
    assert_string_equal(got.account, "acme");
    assert_string_equal(got.campaign, "");
    assert_string_equal(got.owner, "bob");
    assert_int_equal(got.expires_ms, now + 1000);
}

static void test_expired(void **state)
{
    (void)state;
    dp_link l = sample(), got;
    char tok[DP_TOKEN_MAX];
    dp_err err;
    dp_token_keys ks = ring(secret, NULL);
    assert_int_equal(dp_token_mint(&ks, &l, tok, sizeof(tok)), 0);
    assert_int_equal(dp_token_verify(&ks, tok, strlen(tok), now + 1000, &got, &err), -EACCES);
    assert_string_equal(err.msg, "token: expired");
}

static void test_tampered(void **state)
{
    (void)state;
    dp_link l = sample(), got;
    char tok[DP_TOKEN_MAX];
    dp_err err;
    dp_token_keys ks = ring(secret, NULL);
    assert_int_equal(dp_token_mint(&ks, &l, tok, sizeof(tok)), 0);
    size_t n = strlen(tok);
    /* Every single-character change of every position is refused. */
    const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.|";
    for (size_t i = 0; i < n; i++) {
        char orig = tok[i];
        for (const char *a = alphabet; *a; a++) {
            if (*a == orig) continue;
            tok[i] = *a;
            int rc = dp_token_verify(&ks, tok, n, now, &got, &err);
            if (rc != -EACCES) fail_msg("accepted a token changed at %zu to %c", i, *a);
            assert_string_equal(err.msg, "token: invalid");
        }
        tok[i] = orig;
    }
    /* Another secret, truncation, garbage, an over-long token. */
    dp_token_keys other = ring("another-secret-another-secret-xx", NULL);
    assert_int_equal(dp_token_verify(&other, tok, n, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(&ks, tok, n - 1, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(&ks, "abc", 3, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(&ks, "2.", 2, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(&ks, "", 0, now, &got, &err), -EACCES);
    char longtok[DP_TOKEN_MAX + 10];
    memset(longtok, 'a', sizeof(longtok));
    assert_int_equal(dp_token_verify(&ks, longtok, sizeof(longtok), now, &got, &err), -EACCES);
}

static void test_forged_payload(void **state)
{
    (void)state;
    /* A valid signature over a payload that is not ours still fails parsing. */
    const char *payload = "1|p|pr|||";
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
    crypto_auth_hmacsha256_final(&st, mac);
    char tok[256];
    sodium_bin2base64(tok, 100, (const unsigned char *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t at = strlen(tok);
    tok[at++] = '.';
    sodium_bin2base64(tok + at, 100, mac, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    dp_link got;
    dp_err err;
    dp_token_keys ks = ring(secret, NULL);
    assert_int_equal(dp_token_verify(&ks, tok, strlen(tok), now, &got, &err), -EACCES);
    assert_string_equal(err.msg, "token: invalid");
}

/* A version 1 token (signed, readable), as minted before: still verified,
 * with the current secret or an old one. */
static void v1_token(const char *key, const char *payload, char *tok)
{
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(tok, 200, (const unsigned char *)payload, strlen(payload),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t at = strlen(tok);
    tok[at++] = '.';
    sodium_bin2base64(tok + at, 100, mac, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_opaque_and_rotation(void **state)
{
    (void)state;
    static const char newer[] = "fedcba9876543210fedcba9876543210";
    dp_link l = sample(), got;
    char tok[DP_TOKEN_MAX], again[DP_TOKEN_MAX];
    dp_err err;
    dp_token_keys old = ring(secret, NULL);
    assert_int_equal(dp_token_mint(&old, &l, tok, sizeof(tok)), 0);
    /* sealed: no field can be read from it, decoded or not */
    assert_int_equal(strncmp(tok, "2.", 2), 0);
    assert_int_equal(tok[10], '.');
    unsigned char raw[DP_TOKEN_MAX];
    size_t rn = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), tok + 11, strlen(tok) - 11, NULL, &rn,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_null(memmem(raw, rn, "jane", 4));
    assert_null(memmem(raw, rn, "acme", 4));
    assert_null(strstr(tok, "jane"));
    /* two tokens of one link differ (a random nonce) */
    assert_int_equal(dp_token_mint(&old, &l, again, sizeof(again)), 0);
    assert_true(strcmp(tok, again) != 0);
    /* rotation: the new secret mints, the old one still verifies its links */
    dp_token_keys rotated = ring(newer, secret);
    assert_int_equal(dp_token_verify(&rotated, tok, strlen(tok), now, &got, &err), 0);
    assert_string_equal(got.prospect, "jane.doe");
    assert_int_equal(dp_token_mint(&rotated, &l, again, sizeof(again)), 0);
    assert_true(strncmp(again + 2, tok + 2, 8) != 0); /* another key id */
    assert_int_equal(dp_token_verify(&rotated, again, strlen(again), now, &got, &err), 0);
    /* the old secret retired for good: its links no longer verify */
    dp_token_keys only_new = ring(newer, NULL);
    assert_int_equal(dp_token_verify(&only_new, tok, strlen(tok), now, &got, &err), -EACCES);
    /* version 1 tokens: with the current secret or an old one */
    char v1[400];
    v1_token(secret, "1|p-1|jane.doe|acme||bob|1763800001000", v1);
    assert_int_equal(dp_token_verify(&old, v1, strlen(v1), now, &got, &err), 0);
    assert_int_equal(dp_token_verify(&rotated, v1, strlen(v1), now, &got, &err), 0);
    assert_string_equal(got.account, "acme");
    assert_int_equal(dp_token_verify(&only_new, v1, strlen(v1), now, &got, &err), -EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_forged_payload),
        cmocka_unit_test(test_opaque_and_rotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
