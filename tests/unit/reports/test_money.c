/* Deal amounts, exact: parsed into millionths, summed past 64 bits, shares
 * rounded half up, written back as the shortest decimal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "money.h"

static void want(dp_money a, const char *text)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_money_append(&b, a);
    dp_buf_append(&b, "", 1);
    assert_string_equal(b.data, text);
    dp_buf_free(&b);
}

static void test_parse_and_write(void **state)
{
    (void)state;
    want(dp_money_parse("1200.50", 7), "1200.5");
    want(dp_money_parse("0", 1), "0");
    want(dp_money_parse("0.000001", 8), "0.000001");
    want(dp_money_parse("1234.567891", 11), "1234.567891");
    want(dp_money_parse("300", 3), "300");
    want(dp_money_parse("", 0), "0");
    want(dp_money_parse("1.2.3", 5), "0"); /* not a decimal */
    want(dp_money_parse("1.1234567", 9), "0");
    /* 15 digits and 6 decimals, ten thousand times: past 2^63 millionths */
    dp_money big = dp_money_parse("999999999999999.999999", 22), sum = 0;
    for (int i = 0; i < 10000; i++)
        sum += big;
    want(sum, "9999999999999999999.99");
}

static void test_share(void **state)
{
    (void)state;
    want(dp_money_share(dp_money_parse("100", 3), 3), "33.333333");
    want(dp_money_share(dp_money_parse("200", 3), 3), "66.666667");     /* half up */
    want(dp_money_share(dp_money_parse("0.000001", 8), 2), "0.000001"); /* 0.5 -> 1 */
    want(dp_money_share(dp_money_parse("10", 2), 1), "10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_write),
        cmocka_unit_test(test_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
