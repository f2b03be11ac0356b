/* Report query parameters: dates, the range, mode, format; every bad one is
 * refused naming the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "report_params.h"

#define DAY(s) dp_day_parse(s, strlen(s))

static void test_days(void **state)
{
    (void)state;
    assert_int_equal(DAY("1970-01-01"), -1); /* years before 2000 are refused */
    assert_int_equal(DAY("2000-01-01"), 10957);
    assert_int_equal(DAY("2026-11-22"), 20779);
    assert_int_equal(DAY("2024-02-29"), 19782);
    assert_int_equal(DAY("2023-02-29"), -1);
    assert_int_equal(DAY("2000-02-29"), 11016);
    assert_int_equal(DAY("2100-01-01"), -1);
    assert_int_equal(DAY("2026-13-01"), -1);
    assert_int_equal(DAY("2026-04-31"), -1);
    assert_int_equal(DAY("2026-4-30"), -1);
    assert_int_equal(DAY("2026/04/30"), -1);
    assert_int_equal(DAY("2026-04-3x"), -1);
    char out[11];
    for (int64_t d = 10957; d < 10957 + 36500; d += 37) {
        dp_day_format(d, out);
        assert_int_equal(DAY(out), d);
    }
    dp_day_format(19782, out);
    assert_string_equal(out, "2024-02-29");
}

static int parse(dp_report_params *p, const char *q, const char *accept, dp_err *err)
{
    return dp_report_params_parse(p, q, strlen(q), accept, accept ? strlen(accept) : 0, 20779, err);
}

static void test_defaults(void **state)
{
    (void)state;
    dp_report_params p;
    dp_err err;
    assert_int_equal(parse(&p, "", NULL, &err), 0);
    assert_string_equal(p.from, "2026-10-24");
    assert_string_equal(p.to, "2026-11-22");
    assert_int_equal(p.to_day - p.from_day + 1, 30);
    assert_int_equal(p.mode, DP_RMODE_ALL);
    assert_int_equal(p.format, DP_FORMAT_JSON);
    /* "to" alone: the 30 days before it */
    assert_int_equal(parse(&p, "to=2026-01-30", NULL, &err), 0);
    assert_string_equal(p.from, "2026-01-01");
    assert_int_equal(parse(&p, "from=2026-11-01&to=2026-11-01&mode=live", NULL, &err), 0);
    assert_int_equal(p.from_day, p.to_day);
    assert_int_equal(p.mode, DP_RMODE_LIVE);
    assert_int_equal(parse(&p, "mode=self&format=csv", NULL, &err), 0);
    assert_int_equal(p.mode, DP_RMODE_SELF);
    assert_int_equal(p.format, DP_FORMAT_CSV);
    assert_int_equal(parse(&p, "", "text/html, text/csv;q=0.9", &err), 0);
    assert_int_equal(p.format, DP_FORMAT_CSV);
    assert_int_equal(parse(&p, "format=json", "text/csv", &err), 0);
    assert_int_equal(p.format, DP_FORMAT_JSON);
    assert_int_equal(parse(&p, "from=2025-01-01&to=2026-12-31", NULL, &err), 0);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *q, *msg;
    } bad[] = {
        {"from=2026-02-30", "from: must be a date YYYY-MM-DD"},
        {"from=yesterday", "from: must be a date YYYY-MM-DD"},
        {"to=2026-11-22T00:00", "to: must be a date YYYY-MM-DD"},
        {"to=", "to: must be a date YYYY-MM-DD"},
        {"from=2026-11-02&to=2026-11-01", "from: must not be after to"},
        {"from=2024-01-01&to=2026-11-01", "from: the range is longer than 731 days"},
        {"mode=both", "mode: must be self, live or all"},
        {"mode=", "mode: must be self, live or all"},
        {"format=xml", "format: must be json or csv"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dp_report_params p;
        dp_err err;
        assert_int_equal(parse(&p, bad[i].q, NULL, &err), -EINVAL);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_days), cmocka_unit_test(test_defaults),
                                       cmocka_unit_test(test_errors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
