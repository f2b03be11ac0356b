/* Dwell quantiles from the histogram, and action counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "alloc.h"
#include "stats.h"

static void add(dp_dwell *d, int64_t ms)
{
    d->sum += ms;
    d->n++;
    d->hist[dp_dwell_bucket(ms)]++;
}

static void test_quantiles(void **state)
{
    (void)state;
    dp_dwell d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dp_dwell_quantile(&d, 0.5), -1);
    add(&d, 4000); /* bucket 3000-4000 */
    /* one value: rank 0.5 of 1 in (3000, 4000] is 3500 */
    assert_int_equal(dp_dwell_quantile(&d, 0.5), 3500);
    assert_int_equal(dp_dwell_quantile(&d, 0.9), 3900);
    add(&d, 12000);
    add(&d, 3000);
    add(&d, 1000);
    /* ranks over 4: median at rank 2 = the top of the 2000-3000 bucket */
    assert_int_equal(dp_dwell_quantile(&d, 0.5), 3000);
    /* p90 at rank 3.6: 0.6 into the 10000-12000 bucket */
    assert_int_equal(dp_dwell_quantile(&d, 0.9), 11200);
    /* within one bucket of the exact value, over many */
    memset(&d, 0, sizeof(d));
    for (int64_t ms = 100; ms <= 100000; ms += 100)
        add(&d, ms);
    int64_t med = dp_dwell_quantile(&d, 0.5);
    assert_true(med >= 50000 && med <= 60000);
    /* the last bucket ends at twice the last bound */
    memset(&d, 0, sizeof(d));
    add(&d, 5000000);
    assert_int_equal(dp_dwell_quantile(&d, 0.5), 5400000);
}

static void test_fields(void **state)
{
    (void)state;
    dp_dwell d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(dp_dwell_field(&d, "dwell_sum", 9, 500), 1);
    assert_int_equal(dp_dwell_field(&d, "dwell_n", 7, 2), 1);
    assert_int_equal(dp_dwell_field(&d, "h32", 3, 1), 1);
    assert_int_equal(dp_dwell_field(&d, "h33", 3, 1), 0);
    assert_int_equal(dp_dwell_field(&d, "hx", 2, 1), 0);
    assert_int_equal(dp_dwell_field(&d, "views", 5, 1), 0);
    assert_int_equal(d.sum, 500);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.hist[32], 1);
    assert_int_equal(dp_stat_int("-42", 3), -42);
    assert_int_equal(dp_stat_int("12x", 3), 0);
}

static void test_actions(void **state)
{
    (void)state;
    dp_actions a = {0}, b = {0};
    dp_actions_add(&a, "download", 8, 2);
    dp_actions_add(&a, "book-demo", 9, 1);
    dp_actions_add(&b, "download", 8, 3);
    dp_actions_add(&b, "zero", 4, 0);
    dp_actions_merge(&a, &b);
    assert_int_equal(dp_actions_total(&a), 6);
    dp_buf out;
    dp_buf_init(&out, 0);
    dp_actions_json(&a, &out);
    assert_string_equal(out.data, "{\"book-demo\":1,\"download\":5}");
    dp_buf_reset(&out);
    dp_actions_text(&a, &out);
    assert_string_equal(out.data, "book-demo:1;download:5");
    dp_buf_free(&out);
    for (int i = 0; i < 100; i++) {
        char name[16];
        int n = snprintf(name, sizeof(name), "n%d", i);
        dp_actions_add(&b, name, (size_t)n, 1);
    }
    assert_int_equal(b.n, DP_ACTIONS_MAX); /* the ceiling */
    dp_actions_free(&a);
    dp_actions_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_quantiles),
                                       cmocka_unit_test(test_fields),
                                       cmocka_unit_test(test_actions)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
