/* Standard Webhooks signing against the specification's published test
 * vector, and new secrets in its format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "webhook_sign.h"

static void test_vector(void **state)
{
    (void)state;
    char sig[DP_WH_SIG_MAX];
    dp_err err = {""};
    const char *body = "{\"test\": 2432232314}";
    assert_int_equal(dp_wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig,
                                &err),
                     0);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    /* one byte of the body changed: another signature */
    assert_int_equal(dp_wh_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body) - 1,
                                sig, &err),
                     0);
    assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(dp_wh_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "", 0, sig, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "webhook secret: must start with whsec_");
    assert_int_equal(dp_wh_sign("whsec_!!", "m", 1, "", 0, sig, &err), -EINVAL);
}

static void test_new_secret(void **state)
{
    (void)state;
    char a[DP_WH_SECRET_MAX], b[DP_WH_SECRET_MAX], sig[DP_WH_SIG_MAX];
    dp_wh_secret_new(a);
    dp_wh_secret_new(b);
    assert_int_equal(strncmp(a, "whsec_", 6), 0);
    assert_int_equal(strlen(a), 6 + 44); /* 32 bytes */
    assert_string_not_equal(a, b);
    dp_err err;
    assert_int_equal(dp_wh_sign(a, "m", 1, "x", 1, sig, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_new_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
