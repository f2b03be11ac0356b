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

/* A whole command at once: the same bytes as argument by argument, and
 * nothing written past the buffer's ceiling. */
static void test_whole_command(void **state)
{
    (void)state;
    const char *argv[] = {"XADD", "dp:{0}:events", "*", "v", "2", "", "a\r\nb"};
    size_t lens[] = {4, 13, 1, 1, 1, 0, 4};
    dp_buf one, each;
    dp_buf_init(&one, 0);
    dp_buf_init(&each, 0);
    dp_buf_puts(&one, "prefix");
    dp_buf_puts(&each, "prefix");
    assert_int_equal(dp_resp_command(&one, 7, argv, lens), 0);
    dp_resp_array(&each, 7);
    for (int i = 0; i < 7; i++)
        dp_resp_arg(&each, argv[i], lens[i]);
    assert_int_equal(one.len, each.len);
    assert_memory_equal(one.data, each.data, one.len);
    char big[300];
    memset(big, 'x', sizeof(big));
    const char *bargv[] = {big};
    size_t blen[] = {sizeof(big)};
    dp_buf_reset(&one);
    assert_int_equal(dp_resp_command(&one, 1, bargv, blen), 0);
    assert_int_equal(one.len, 4 + 6 + 300 + 2); /* "*1\r\n" "$300\r\n" x... "\r\n" */
    dp_buf capped;
    dp_buf_init(&capped, 64);
    assert_int_equal(dp_resp_command(&capped, 1, bargv, blen), -E2BIG);
    assert_int_equal(capped.len, 0);
    dp_buf_free(&one);
    dp_buf_free(&each);
    dp_buf_free(&capped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_command),
                                       cmocka_unit_test(test_whole_command)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
