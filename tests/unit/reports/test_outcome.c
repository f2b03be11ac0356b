/* Deal outcomes: JSON and CSV rows, amounts as written, every error names
 * its row and field, nothing is kept from a bad request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "outcome.h"

static void test_json(void **state)
{
    (void)state;
    dp_outcomes o;
    dp_err err;
    const char *ok =
        "{\"outcomes\":[{\"deal\":\"d1\",\"stage\":\"won\",\"at\":1763800000000,"
        "\"amount\":0.1,\"prospects\":[\"a\",\"b\",\"a\"]},"
        "{\"deal\":\"d2\",\"stage\":\"lost\",\"at\":1763800000001,\"amount\":\"7.50\"}]}";
    assert_int_equal(dp_outcomes_from_json(&o, ok, strlen(ok), &err), 0);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.v[0].amount, "0.1"); /* not 0.10000000000000001 */
    assert_int_equal(o.v[0].nprospects, 2);    /* a named twice is one */
    assert_int_equal(o.v[0].stage, DP_STAGE_WON);
    assert_string_equal(o.v[1].amount, "7.50"); /* as written */
    dp_outcomes_free(&o);
    const char *bad =
        "{\"outcomes\":[{\"deal\":\"d1\",\"stage\":\"won\",\"at\":1763800000000},"
        "{\"deal\":\"d2\",\"stage\":\"won\",\"at\":1763800000000,\"amount\":\"1.\"}]}";
    assert_int_equal(dp_outcomes_from_json(&o, bad, strlen(bad), &err), -EINVAL);
    assert_string_equal(err.msg, "outcomes[1].amount: must be a decimal >= 0 (at most 15 digits, "
                                 "6 decimals)");
    assert_int_equal(o.n, 0);
    assert_null(o.v);
}

static void test_csv(void **state)
{
    (void)state;
    dp_outcomes o;
    dp_err err;
    const char *ok = "deal,account,prospects,stage,amount,currency,at,owner,campaign\n"
                     "d1,acme,jane;bob,open,,,1763800000000,olga,\n"
                     "d1,acme,jane;bob,won,\"1200.50\",EUR,1763800000005,olga,spring\n";
    assert_int_equal(dp_outcomes_from_csv(&o, ok, strlen(ok), &err), 0);
    assert_int_equal(o.n, 2);
    assert_string_equal(o.v[1].prospects[1], "bob");
    assert_string_equal(o.v[1].currency, "EUR");
    assert_int_equal(o.v[1].at, 1763800000005LL);
    dp_outcomes_free(&o);
    const char *bad = "deal,account,prospects,stage,amount,currency,at,owner,campaign\n"
                      "d1,,,open,,,1763800000000,,\n"
                      "d1,,;;,open,,,1763800000000,,\n";
    assert_int_equal(dp_outcomes_from_csv(&o, bad, strlen(bad), &err), -EINVAL);
    assert_string_equal(err.msg, "line 3: prospects: each must be 1-64 characters of A-Z a-z 0-9 "
                                 ". _ : -");
    assert_int_equal(o.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json), cmocka_unit_test(test_csv)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
