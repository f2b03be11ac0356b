/* Report tables: the same rows as JSON and as CSV; formula injection
 * neutralised in CSV text cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "table.h"

static const char *const cols[] = {"slide", "views", "rate"};

static void fill(dp_table *t)
{
    dp_table_row(t);
    dp_table_str(t, "intro");
    dp_table_int(t, 12);
    dp_table_num(t, 0.5);
    dp_table_row(t);
    dp_table_str(t, "=HYPERLINK(\"x\")");
    dp_table_int(t, -3);
    dp_table_num(t, NAN);
    dp_table_row(t);
    dp_table_str(t, "a,b \"c\"\nd");
    dp_table_int(t, 0);
    dp_table_num(t, 1.0 / 3);
    dp_table_end(t);
}

static void test_json(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_table t;
    dp_table_begin(&t, &b, DP_FORMAT_JSON, cols, 3);
    fill(&t);
    assert_string_equal(b.data,
                        "[{\"slide\":\"intro\",\"views\":12,\"rate\":0.500},"
                        "{\"slide\":\"=HYPERLINK(\\\"x\\\")\",\"views\":-3,\"rate\":null},"
                        "{\"slide\":\"a,b \\\"c\\\"\\u000ad\",\"views\":0,\"rate\":0.333}]");
    dp_buf_reset(&b);
    dp_table_begin(&t, &b, DP_FORMAT_JSON, cols, 3);
    dp_table_end(&t);
    assert_string_equal(b.data, "[]");
    dp_buf_free(&b);
}

static void test_csv(void **state)
{
    (void)state;
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_table t;
    dp_table_begin(&t, &b, DP_FORMAT_CSV, cols, 3);
    fill(&t);
    assert_string_equal(b.data, "slide,views,rate\r\n"
                                "\"intro\",12,0.500\r\n"
                                "\"'=HYPERLINK(\"\"x\"\")\",-3,\r\n"
                                "\"a,b \"\"c\"\"\nd\",0,0.333\r\n");
    dp_buf_free(&b);
}

static void test_neutralise(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"=1+1", "\"'=1+1\""}, {"+33 1", "\"'+33 1\""},
        {"-2", "\"'-2\""},     {"@SUM(A1)", "\"'@SUM(A1)\""},
        {"\tx", "\"'\tx\""},   {"\rx", "\"'\rx\""},
        {"a=1", "\"a=1\""},    {"", "\"\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dp_buf b;
        dp_buf_init(&b, 0);
        dp_csv_cell(&b, cases[i].in);
        assert_string_equal(b.data ? b.data : "", cases[i].out);
        dp_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json), cmocka_unit_test(test_csv),
                                       cmocka_unit_test(test_neutralise)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
