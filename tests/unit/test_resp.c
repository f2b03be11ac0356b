/* RESP as Redis reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "resp.h"

static void test_command(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_resp_array(&b, 4);
    dp_resp_str(&b, "XADD");
    dp_resp_arg(&b, "a\r\nb", 4); /* binary-safe */
    dp_resp_int(&b, 1763800000123LL);
    dp_resp_int(&b, -7);
    const char *want = "*4\r\n$4\r\nXADD\r\n$4\r\na\r\nb\r\n$13\r\n1763800000123\r\n$2\r\n-7\r\n";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    dp_buf_reset(&b);
    dp_resp_int(&b, 0);
    dp_resp_str(&b, "");
    assert_memory_equal(b.data, "$1\r\n0\r\n$0\r\n\r\n", b.len);
    dp_buf_free(&b);
}

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
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_command),
                                       cmocka_unit_test(test_i64_to_str)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
