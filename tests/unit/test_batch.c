/* Every field of the ingest wire format: accepted values and the exact
 * error for each bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "batch.h"
#include "buf.h"
#include "json_arena.h"

static const dp_batch_limits lim = {.max_events = 5, .max_depth = 8};

static void expect_err(const char *json, int code, const char *msg)
{
    dp_batch b;
    dp_err err = {""};
    int rc = dp_batch_decode(&b, json, strlen(json), &lim, &err);
    if (rc != code || strcmp(err.msg, msg) != 0)
        fail_msg("input %s\n  got %d '%s'\n  want %d '%s'", json, rc, err.msg, code, msg);
    assert_null(b.events);
}

#define EV(x) "{\"session\":\"s1\",\"events\":[" x "]}"

static void test_full_batch(void **state)
{
    (void)state;
    const char *json =
        "{\"token\":\"t.x\",\"session\":\"5f0c9a\",\"mode\":\"live\",\"events\":["
        "{\"seq\":1,\"type\":\"open\",\"at\":1763800000123,\"slides\":12},"
        "{\"seq\":2,\"type\":\"view\",\"at\":1763800000200,\"material\":\"q3-pricing\","
        "\"slide\":\"roi\",\"version\":2,\"index\":3},"
        "{\"seq\":3,\"type\":\"dwell\",\"at\":1763800005600,\"material\":\"q3-pricing\","
        "\"slide\":\"roi\",\"version\":2,\"ms\":5400},"
        "{\"seq\":4,\"type\":\"action\",\"at\":1763800005700,\"material\":\"q3-pricing\","
        "\"slide\":\"roi\",\"name\":\"book-demo\"},"
        "{\"seq\":5,\"type\":\"close\",\"at\":1763800064000}]}";
    dp_batch b;
    dp_err err;
    assert_int_equal(dp_batch_decode(&b, json, strlen(json), &lim, &err), 0);
    assert_string_equal(b.token, "t.x");
    assert_string_equal(b.session, "5f0c9a");
    assert_int_equal(b.mode, DP_MODE_LIVE);
    assert_null(b.presentation);
    assert_int_equal(b.nevents, 5);
    assert_int_equal(b.events[0].type, DP_EV_OPEN);
    assert_int_equal(b.events[0].slides, 12);
    assert_int_equal(b.events[1].type, DP_EV_VIEW);
    assert_int_equal(b.events[1].index, 3);
    assert_int_equal(b.events[1].version, 2);
    assert_string_equal(b.events[1].material, "q3-pricing");
    assert_string_equal(b.events[1].slide, "roi");
    assert_int_equal(b.events[2].ms, 5400);
    assert_int_equal(b.events[2].at, 1763800005600LL);
    assert_string_equal(b.events[3].name, "book-demo");
    assert_int_equal(b.events[3].version, 1); /* default */
    assert_int_equal(b.events[4].type, DP_EV_CLOSE);
    assert_int_equal(b.events[4].seq, 5);
    dp_batch_free(&b);
}

static void test_top_level_errors(void **state)
{
    (void)state;
    expect_err("[]", -EINVAL, "body: must be a JSON object");
    expect_err("{\"events\":[]}", -EINVAL, "session: required");
    expect_err("{\"session\":\"a b\",\"events\":[]}", -EINVAL,
               "session: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    expect_err("{\"session\":\"s\",\"events\":[]}", -EINVAL, "events: must be a non-empty array");
    expect_err("{\"session\":\"s\",\"events\":{}}", -EINVAL, "events: must be a non-empty array");
    expect_err("{\"session\":\"s\",\"mode\":\"x\",\"events\":[1]}", -EINVAL,
               "mode: must be \"self\" or \"live\"");
    expect_err("{\"session\":\"s\",\"extra\":1,\"events\":[1]}", -EINVAL, "extra: unknown field");
    expect_err("{\"session\":\"s\",\"token\":5,\"events\":[1]}", -EINVAL,
               "token: must be a string of 1 to 1024 characters");
    expect_err("{\"session\":\"s\",\"presentation\":\"\",\"events\":[1]}", -EINVAL,
               "presentation: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    /* 65 characters */
    expect_err("{\"session\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
               "\"events\":[1]}",
               -EINVAL, "session: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    expect_err(EV("{},{},{},{},{},{}"), -E2BIG, "events: 6 events, more than max_events (5)");
}

static void test_event_errors(void **state)
{
    (void)state;
    expect_err(EV("1"), -EINVAL, "events[0]: must be an object");
    expect_err(EV("{\"seq\":1,\"at\":1763800000000}"), -EINVAL, "events[0].type: required");
    expect_err(EV("{\"seq\":1,\"type\":\"scroll\",\"at\":1763800000000}"), -EINVAL,
               "events[0].type: must be open, view, dwell, action or close");
    expect_err(EV("{\"type\":\"close\",\"at\":1763800000000}"), -EINVAL, "events[0].seq: required");
    expect_err(EV("{\"seq\":-1,\"type\":\"close\",\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":1.5,\"type\":\"close\",\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":\"1\",\"type\":\"close\",\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":5}"), -EINVAL,
               "events[0].at: must be an integer between 946684800000 and 4102444800000");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":1763800000000},"
                  "{\"seq\":2,\"type\":\"close\"}"),
               -EINVAL, "events[1].at: required");
    expect_err(EV("{\"seq\":1,\"type\":\"open\",\"at\":1763800000000,\"slides\":0}"), -EINVAL,
               "events[0].slides: must be an integer between 1 and 10000");
    expect_err(EV("{\"seq\":1,\"type\":\"view\",\"at\":1763800000000,\"slide\":\"a\",\"index\":0}"),
               -EINVAL, "events[0].material: required");
    expect_err(EV("{\"seq\":1,\"type\":\"view\",\"at\":1763800000000,\"material\":\"m\","
                  "\"index\":0}"),
               -EINVAL, "events[0].slide: required");
    expect_err(EV("{\"seq\":1,\"type\":\"view\",\"at\":1763800000000,\"material\":\"m\","
                  "\"slide\":\"s\"}"),
               -EINVAL, "events[0].index: required");
    expect_err(EV("{\"seq\":1,\"type\":\"view\",\"at\":1763800000000,\"material\":\"m\","
                  "\"slide\":\"s\",\"index\":10000}"),
               -EINVAL, "events[0].index: must be an integer between 0 and 9999");
    expect_err(EV("{\"seq\":1,\"type\":\"view\",\"at\":1763800000000,\"material\":\"m\","
                  "\"slide\":\"s\",\"index\":1,\"version\":0}"),
               -EINVAL, "events[0].version: must be an integer between 1 and 1000000");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":1763800000000},"
                  "{\"seq\":2,\"type\":\"close\",\"at\":1763800000000},"
                  "{\"seq\":3,\"type\":\"dwell\",\"at\":1763800000000,\"material\":\"m\","
                  "\"slide\":\"s\",\"ms\":86400001}"),
               -EINVAL, "events[2].ms: must be an integer between 0 and 86400000");
    expect_err(EV("{\"seq\":1,\"type\":\"action\",\"at\":1763800000000,\"material\":\"m\","
                  "\"slide\":\"s\",\"name\":\"=cmd|x\"}"),
               -EINVAL, "events[0].name: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":1763800000000,\"ms\":5}"), -EINVAL,
               "events[0].ms: not allowed in a close event");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":1763800000000,\"bogus\":5}"), -EINVAL,
               "events[0].bogus: unknown field");
}

static void test_hostile_json(void **state)
{
    (void)state;
    dp_batch b;
    dp_err err;
    const char *bad[] = {
        "{\"session\":\"s\",\"events\":[{\"seq\":NaN}]}",
        "{\"session\":\"s\",\"events\":[{\"seq\":1e400}]}",
        "{\"session\":\"s\",\"events\":[1]} trailing",
        "{\"session\":\"s\",",
        "{\"session\":\"\xff\xfe\",\"events\":[1]}",            /* invalid UTF-8 */
        "{\"session\":\"\\ud800\",\"events\":[1]}",             /* lone surrogate */
        "{\"session\":\"a\\u0000b\",\"events\":[1]}",           /* NUL */
        "{\"session\":\"s\",\"session\":\"t\",\"events\":[1]}", /* duplicate key */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = dp_batch_decode(&b, bad[i], strlen(bad[i]), &lim, &err);
        if (rc != -EINVAL) fail_msg("accepted: %s", bad[i]);
        assert_true(strncmp(err.msg, "body: invalid JSON at line 1 column ", 36) == 0 ||
                    strncmp(err.msg, "session: ", 9) == 0);
    }
    /* 100 000 deep: refused by the depth pre-scan, no recursion. */
    size_t n = 100000;
    char *deep = dp_malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    expect_err(deep, -EINVAL, "body: JSON nested deeper than max_json_depth (8)");
    dp_free(deep);
    assert_int_equal(dp_json_depth_check("[\"[[[[[[[[[[[[[[\"]", 18, 2), 0);
    assert_int_equal(dp_json_depth_check("[[[", 3, 2), -E2BIG);
    assert_int_equal(dp_json_depth_check("[\"\\\"[[[\"]", 9, 1), 0);
}

static void test_id_valid(void **state)
{
    (void)state;
    assert_true(dp_id_valid("A-z_0.9:x", 9));
    assert_false(dp_id_valid("", 0));
    assert_false(dp_id_valid("a b", 3));
    assert_false(dp_id_valid("a/b", 3));
    assert_false(dp_id_valid("a\0b", 3));
    assert_false(dp_id_valid("=1", 2));
    assert_false(dp_id_valid("é", 2));
}

/* A tree larger than its arena: the rest comes from malloc, all of it
 * readable until the batch is freed. */
static void test_arena_overflow(void **state)
{
    (void)state;
    dp_buf body;
    dp_buf_init(&body, 0);
    dp_buf_puts(&body, "{\"session\":\"big\",\"presentation\":\"p\",\"events\":[");
    for (int i = 0; i < 400; i++)
        dp_buf_printf(&body,
                      "%s{\"seq\":%d,\"type\":\"view\",\"at\":1763800000000,\"material\":"
                      "\"m%d\",\"slide\":\"s%d\",\"index\":%d}",
                      i ? "," : "", i + 1, i, i, i % 100);
    dp_buf_puts(&body, "]}");
    dp_batch b;
    dp_err err;
    dp_batch_limits big = {.max_events = 500, .max_depth = 16};
    assert_int_equal(dp_batch_decode(&b, body.data, body.len, &big, &err), 0);
    assert_int_equal(b.nevents, 400);
    char want[16];
    for (int i = 0; i < 400; i++) {
        snprintf(want, sizeof(want), "m%d", i);
        assert_string_equal(b.events[i].material, want);
        assert_int_equal(b.events[i].seq, i + 1);
    }
    dp_batch_free(&b);
    dp_buf_free(&body);
}

int main(void)
{
    /* every test here decodes through the per-batch arena (json_arena.h),
     * under the sanitizers too */
    dp_json_arena_install();
    dp_json_arena_enable(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_batch),   cmocka_unit_test(test_top_level_errors),
        cmocka_unit_test(test_event_errors), cmocka_unit_test(test_hostile_json),
        cmocka_unit_test(test_id_valid),     cmocka_unit_test(test_arena_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
