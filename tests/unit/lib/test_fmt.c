/* Integers in decimal (lib/fmt.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "fmt.h"

static void test_i64_to_str(void **state)
{
    (void)state;
    char buf[24];
    size_t n;
    const struct {
        int64_t v;
        const char *s;
    } cases[] = {{0, "0"},
                 {7, "7"},
                 {-1, "-1"},
                 {1763800000123LL, "1763800000123"},
                 {INT64_MAX, "9223372036854775807"},
                 {INT64_MIN, "-9223372036854775808"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *p = dp_i64_to_str(cases[i].v, buf, &n);
        assert_string_equal(p, cases[i].s);
        assert_int_equal(n, strlen(cases[i].s));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_i64_to_str)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
