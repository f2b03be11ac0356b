/* dp_day: the civil date by arithmetic, against gmtime and strftime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static void libc_day(int64_t ms, char out[11])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void expect_same(int64_t ms)
{
    char got[11], want[11];
    dp_day(ms, got);
    libc_day(ms, want);
    if (strcmp(got, want) != 0) fail_msg("%lld ms: %s, libc says %s", (long long)ms, got, want);
}

/* Every day from 1970 to 2200 (leap years, 2000, 2100), at its first and
 * last millisecond and at noon; then days around the epoch and far
 * ones. */
static void test_days(void **state)
{
    (void)state;
    for (int64_t day = 0; day < 84000; day++) {
        expect_same(day * 86400000);
        expect_same(day * 86400000 + 43200000);
        expect_same(day * 86400000 + 86399999);
    }
    char s[11];
    dp_day(951782400000LL, s); /* 2000-02-29 */
    assert_string_equal(s, "2000-02-29");
    dp_day(4107542400000LL - 1, s);
    assert_string_equal(s, "2100-02-28");
    dp_day(1763800000123LL, s);
    assert_string_equal(s, "2025-11-22");
    for (int64_t ms = -86400000LL * 3; ms < 86400000LL * 3; ms += 3600000 + 1)
        expect_same(ms);
    expect_same(-62135596800000LL); /* 0001-01-01 */
    expect_same(-30610224000000LL); /* 1000-01-01 */
    expect_same(253402300799999LL); /* 9999-12-31, last ms */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_days)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
