/* The retry schedule: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then daily until
 * three days after the first attempt, then none (dead letter); jitter
 * within ±10 %. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "schedule.h"

static void test_schedule(void **state)
{
    (void)state;
    const int64_t want[] = {5000, 30000, 120000, 600000, 3600000, 21600000, 86400000, 86400000};
    int64_t t = 0;
    unsigned attempt = 2;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, attempt++) {
        int64_t d = dp_wh_retry_delay(attempt, 0, t);
        assert_int_equal(d, want[i]);
        t += d;
    }
    /* 7 h 12 m 35 s + 2 days: one more day would pass three days */
    assert_int_equal(t, 5000 + 30000 + 120000 + 600000 + 3600000 + 21600000 + 2 * 86400000LL);
    assert_int_equal(dp_wh_retry_delay(attempt, 0, t), -1);
    assert_int_equal(dp_wh_retry_delay(2, 0, 3 * 86400000LL), -1); /* too late for any */
}

static void test_jitter(void **state)
{
    (void)state;
    assert_int_equal(dp_wh_jitter(10000, 0.0), 9000);
    assert_int_equal(dp_wh_jitter(10000, 0.5), 10000);
    assert_true(dp_wh_jitter(10000, 0.999999) <= 11000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
