/* dp_buf: growth, the ceiling, JSON escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"

static void test_ceiling(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b, 10);
    assert_int_equal(dp_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(dp_buf_append(&b, "x", 1), -E2BIG);
    assert_int_equal(b.len, 10);
    assert_true(b.cap <= 11);
    dp_buf_free(&b);
    dp_buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(dp_buf_printf(&b, "%04d", i), 0);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.data + 3996, "0999", 4);
    dp_buf_free(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_json_str(&b, "a\"b\\c\n\x01", 7);
    assert_string_equal(b.data, "a\\\"b\\\\c\\u000a\\u0001");
    dp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling),
        cmocka_unit_test(test_json_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
