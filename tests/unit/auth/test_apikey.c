/* API keys: parsing errors name the entry; lookup finds the right role. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "apikey.h"

static void test_parse_and_lookup(void **state)
{
    (void)state;
    dp_apikeys k;
    dp_err err;
    assert_int_equal(dp_apikeys_parse(&k,
                                      "admin:aaaaaaaaaaaaaaaa1,marketing:mmmmmmmmmmmmmmmm1,"
                                      "sales:ssssssssssssssss1",
                                      &err),
                     0);
    assert_int_equal(k.n, 3);
    assert_int_equal(dp_apikeys_lookup(&k, "aaaaaaaaaaaaaaaa1", 17, NULL), DP_ROLE_ADMIN);
    assert_int_equal(dp_apikeys_lookup(&k, "mmmmmmmmmmmmmmmm1", 17, NULL), DP_ROLE_MARKETING);
    assert_int_equal(dp_apikeys_lookup(&k, "ssssssssssssssss1", 17, NULL), DP_ROLE_SALES);
    assert_int_equal(dp_apikeys_lookup(&k, "ssssssssssssssss2", 17, NULL), DP_ROLE_NONE);
    assert_int_equal(dp_apikeys_lookup(&k, "", 0, NULL), DP_ROLE_NONE);
    const char *h = "Bearer ssssssssssssssss1";
    assert_int_equal(dp_apikeys_authorize(&k, h, strlen(h), NULL), DP_ROLE_SALES);
    h = "Basic ssssssssssssssss1";
    assert_int_equal(dp_apikeys_authorize(&k, h, strlen(h), NULL), DP_ROLE_NONE);
    assert_int_equal(dp_apikeys_authorize(&k, NULL, 0, NULL), DP_ROLE_NONE);
    /* which key it was: per-key limits count by it */
    int ix = 7;
    assert_int_equal(dp_apikeys_lookup(&k, "mmmmmmmmmmmmmmmm1", 17, &ix), DP_ROLE_MARKETING);
    assert_int_equal(ix, 1);
    assert_int_equal(dp_apikeys_lookup(&k, "ssssssssssssssss2", 17, &ix), DP_ROLE_NONE);
    assert_int_equal(ix, -1);
}

static void test_parse_errors(void **state)
{
    (void)state;
    dp_apikeys k;
    dp_err err;
    assert_int_equal(dp_apikeys_parse(&k, "admin:aaaaaaaaaaaaaaaa1,boss:bbbbbbbbbbbbbbbbb", &err),
                     -EINVAL);
    assert_string_equal(err.msg, "api_keys: entry 2: role must be admin, marketing or sales");
    assert_int_equal(dp_apikeys_parse(&k, "admin:short", &err), -EINVAL);
    assert_string_equal(err.msg, "api_keys: entry 1: key must be 16 to 256 characters");
    assert_int_equal(dp_apikeys_parse(&k, "adminaaaaaaaaaaaaaaaaaaa", &err), -EINVAL);
    assert_string_equal(err.msg, "api_keys: entry 1: expected role:key");
    assert_int_equal(dp_apikeys_parse(&k, "sales:aaaaaaaa aaaaaaaaaaaa", &err), -EINVAL);
    assert_string_equal(err.msg, "api_keys: entry 1: key must be printable ASCII without spaces");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_lookup),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
