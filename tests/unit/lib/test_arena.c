/* The string arena (lib/arena.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"

static void test_arena(void **state)
{
    (void)state;
    dp_arena a = {0};
    char *s = dp_arena_cat(&a, "dp:{0}:", "slides:", "deck", ":", "2026-11-22", (const char *)NULL);
    assert_string_equal(s, "dp:{0}:slides:deck:2026-11-22");
    assert_string_equal(dp_arena_i64(&a, -42), "-42");
    assert_string_equal(dp_arena_strn(&a, "abcdef", 3), "abc");
    /* more than a block: every string stays where it was */
    char *first = dp_arena_strn(&a, "first", 5);
    for (int i = 0; i < 20000; i++)
        dp_arena_i64(&a, i);
    char *big = dp_arena_alloc(&a, 200000);
    memset(big, 'x', 200000);
    assert_string_equal(first, "first");
    assert_int_equal((uintptr_t)dp_arena_alloc(&a, 3) % 8, 0);
    dp_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_arena)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
