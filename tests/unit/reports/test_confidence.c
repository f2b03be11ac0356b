/* The z-test and the Wilson interval against values worked out by hand
 * (and in any statistics text): 45/100 against 30/100, 3 of 10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "confidence.h"

static void test_z(void **state)
{
    (void)state;
    /* pooled p = 0.375, se = sqrt(0.375 * 0.625 * 0.02) = 0.0684653,
     * z = 0.15 / se = 2.19089, two-sided p = erfc(z / sqrt 2) = 0.028459 */
    assert_float_equal(dp_two_prop_p(45, 100, 30, 100), 0.028459, 1e-5);
    assert_float_equal(dp_two_prop_p(30, 100, 45, 100), 0.028459, 1e-5); /* symmetric */
    assert_float_equal(dp_two_prop_p(5, 10, 5, 10), 1.0, 1e-12);
    assert_float_equal(dp_two_prop_p(0, 10, 0, 20), 1.0, 1e-12); /* no variance */
    assert_float_equal(dp_two_prop_p(1, 0, 1, 2), 1.0, 1e-12);
}

static void test_wilson(void **state)
{
    (void)state;
    double lo, hi;
    dp_wilson(3, 10, &lo, &hi); /* 0.1078, 0.6032 */
    assert_float_equal(lo, 0.10779, 1e-4);
    assert_float_equal(hi, 0.60322, 1e-4);
    dp_wilson(0, 20, &lo, &hi); /* 0, 0.1611 */
    assert_float_equal(lo, 0.0, 1e-12);
    assert_float_equal(hi, 0.16113, 1e-4);
    dp_wilson(0, 0, &lo, &hi);
    assert_float_equal(lo, 0.0, 1e-12);
    assert_float_equal(hi, 1.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_z), cmocka_unit_test(test_wilson)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
