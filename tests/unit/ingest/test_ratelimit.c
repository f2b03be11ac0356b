/* Token buckets: burst, refill over time, the wait told, keys apart, and
 * a full table that sweeps idle clients and otherwise lets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

#define TAKE(l, k, t) dp_ratelimit_take(l, k, strlen(k), t)

static void test_buckets(void **state)
{
    (void)state;
    dp_ratelimit l;
    dp_ratelimit_init(&l, 2, 3); /* 2 a second, burst 3 */
    for (int i = 0; i < 3; i++)
        assert_int_equal(TAKE(&l, "a", 1000), 0);
    assert_int_equal(TAKE(&l, "a", 1000), 500); /* next token in half a second */
    assert_int_equal(TAKE(&l, "b", 1000), 0);   /* another key has its own */
    assert_int_equal(TAKE(&l, "a", 1250), 250);
    assert_int_equal(TAKE(&l, "a", 1500), 0);
    assert_int_equal(TAKE(&l, "a", 1500), 500);
    assert_int_equal(TAKE(&l, "a", 100000), 0); /* refilled, capped at the burst */
    assert_int_equal(TAKE(&l, "a", 100000), 0);
    assert_int_equal(TAKE(&l, "a", 100000), 0);
    assert_true(TAKE(&l, "a", 100000) > 0);
    dp_ratelimit_free(&l);
    dp_ratelimit off;
    dp_ratelimit_init(&off, 0, 1);
    for (int i = 0; i < 100; i++)
        assert_int_equal(TAKE(&off, "a", 0), 0);
    dp_ratelimit_free(&off);
}

/* events: a batch costs its events; one larger than the burst costs the
 * burst (it passes on a full bucket and empties it) */
static void test_cost(void **state)
{
    (void)state;
    dp_ratelimit l;
    dp_ratelimit_init(&l, 10, 100); /* 10 events a second, burst 100 */
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 0, 60), 0);
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 0, 60), 2000); /* 20 missing: 2 s */
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 0, 40), 0);
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 0, 1), 100);
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 10000, 500), 0); /* full: the burst */
    assert_int_equal(dp_ratelimit_take_n(&l, "k", 1, 10000, 500), 10000);
    dp_ratelimit_free(&l);
}

static void test_full_table(void **state)
{
    (void)state;
    dp_ratelimit l;
    dp_ratelimit_init(&l, 1, 1);
    char k[32];
    for (int i = 0; i < DP_RATE_KEYS; i++) {
        int n = snprintf(k, sizeof(k), "10.0.%d.%d", i / 256, i % 256);
        assert_int_equal(dp_ratelimit_take(&l, k, (size_t)n, 0), 0);
    }
    assert_int_equal(l.buckets.n, DP_RATE_KEYS);
    /* all empty now: a newcomer is let through, not refused */
    assert_int_equal(TAKE(&l, "newcomer", 0), 0);
    /* later the idle ones have refilled and are swept to make room */
    assert_int_equal(TAKE(&l, "late", 5000), 0);
    assert_true(l.buckets.n < 10);
    assert_true(TAKE(&l, "late", 5000) > 0);
    dp_ratelimit_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_buckets), cmocka_unit_test(test_cost),
                                       cmocka_unit_test(test_full_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
