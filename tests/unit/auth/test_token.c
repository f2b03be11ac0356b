/* Link tokens: mint, verify, tamper, expiry. */
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
    assert_int_equal(dp_token_mint(secret, 32, &l, tok, sizeof(tok)), 0);
    assert_int_equal(dp_token_verify(secret, 32, tok, strlen(tok), now, &got, &err), 0);
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
    assert_int_equal(dp_token_mint(secret, 32, &l, tok, sizeof(tok)), 0);
    assert_int_equal(dp_token_verify(secret, 32, tok, strlen(tok), now + 1000, &got, &err),
                     -EACCES);
    assert_string_equal(err.msg, "token: expired");
}

static void test_tampered(void **state)
{
    (void)state;
    dp_link l = sample(), got;
    char tok[DP_TOKEN_MAX];
    dp_err err;
    assert_int_equal(dp_token_mint(secret, 32, &l, tok, sizeof(tok)), 0);
    size_t n = strlen(tok);
    /* Every single-character change of every position is refused. */
    const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.|";
    for (size_t i = 0; i < n; i++) {
        char orig = tok[i];
        for (const char *a = alphabet; *a; a++) {
            if (*a == orig) continue;
            tok[i] = *a;
            int rc = dp_token_verify(secret, 32, tok, n, now, &got, &err);
            if (rc != -EACCES) fail_msg("accepted a token changed at %zu to %c", i, *a);
            assert_string_equal(err.msg, "token: invalid");
        }
        tok[i] = orig;
    }
    /* Another secret, truncation, garbage, an over-long token. */
    assert_int_equal(
        dp_token_verify("another-secret-another-secret-xx", 32, tok, n, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(secret, 32, tok, n - 1, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(secret, 32, "abc", 3, now, &got, &err), -EACCES);
    assert_int_equal(dp_token_verify(secret, 32, "", 0, now, &got, &err), -EACCES);
    char longtok[DP_TOKEN_MAX + 10];
    memset(longtok, 'a', sizeof(longtok));
    assert_int_equal(dp_token_verify(secret, 32, longtok, sizeof(longtok), now, &got, &err),
                     -EACCES);
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
    assert_int_equal(dp_token_verify(secret, 32, tok, strlen(tok), now, &got, &err), -EACCES);
    assert_string_equal(err.msg, "token: invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_forged_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
