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
#include "json_scan.h"

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

/* More events than the decoder's first array holds: it grows, and every
 * string stays readable until the batch is freed. */
static void test_many_events(void **state)
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

/* What yajl lets through and JSON text must not hold is refused as
 * invalid JSON, like everything else that is not JSON; what is JSON gets
 * the field's own message. */
static void expect_syntax(const char *json, size_t len, const char *col_and_why)
{
    dp_batch b;
    dp_err err = {""};
    char want[DP_ERR_MSG_MAX];
    snprintf(want, sizeof(want), "body: invalid JSON at line 1 column %s", col_and_why);
    int rc = dp_batch_decode(&b, json, len, &lim, &err);
    if (rc != -EINVAL || strcmp(err.msg, want) != 0)
        fail_msg("input %.*s\n  got %d '%s'\n  want '%s'", (int)len, json, rc, err.msg, want);
    assert_null(b.events);
}
#define SYNTAX(lit, why) expect_syntax(lit, sizeof(lit) - 1, why)

static void test_syntax(void **state)
{
    (void)state;
    SYNTAX("", "0: parse error: premature EOF");
    SYNTAX("{\"session\":\"s\",", "15: parse error: premature EOF");
    SYNTAX("\"s\"", "3: '[' or '{' expected");
    SYNTAX("17", "2: '[' or '{' expected");
    SYNTAX("{\"session\":\"s\",\"session\":\"t\",\"events\":[1]}", "24: duplicate object key");
    SYNTAX(EV("{\"seq\":1,\"seq\":2}"), "40: duplicate object key");
    SYNTAX(EV("{\"seq\":9223372036854775808}"), "52: too big integer");
    SYNTAX(EV("{\"seq\":-9223372036854775809}"), "53: too big negative integer");
    SYNTAX(EV("{\"seq\":1e400}"), "38: real number overflow");
    SYNTAX(EV("{\"seq\":-1E+400}"), "40: real number overflow");
    SYNTAX(EV("{\"seq\":01}"),
           "34: parse error: after key and value, inside map, I expect ',' or '}'");
    SYNTAX(EV("{\"seq\":NaN}"), "34: lexical error: invalid char in json text.");
    SYNTAX(EV("{\"seq\":1}]} x"), "39: parse error: trailing garbage");
    expect_err(
        "{\"session\":\"s\",\n\"x\":tru}", -EINVAL,
        "body: invalid JSON at line 2 column 7: lexical error: invalid string in json text.");
    /* the smallest and largest int64 and a real that underflows are numbers */
    expect_err(EV("{\"seq\":-9223372036854775808,\"type\":\"close\",\"at\":1763800000000}"),
               -EINVAL, "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":9223372036854775807,\"type\":\"close\",\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":1e-400,\"type\":\"close\",\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"seq\":-0,\"type\":\"close\",\"at\":5}"), -EINVAL,
               "events[0].at: must be an integer between 946684800000 and 4102444800000");
}

/* Several faults in one body: always the same one named, whatever order
 * the fields come in (syntax, unknown fields, token, session, presentation,
 * mode, events, their count, then the first bad event). */
static void test_precedence(void **state)
{
    (void)state;
    expect_err("{\"events\":[1],\"bogus\":1,\"session\":\"a b\"}", -EINVAL, "bogus: unknown field");
    expect_err("{\"events\":[1],\"session\":\"a b\",\"token\":\"\"}", -EINVAL,
               "token: must be a string of 1 to 1024 characters");
    expect_err("{\"mode\":\"x\",\"events\":[1],\"session\":\"a b\"}", -EINVAL,
               "session: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    expect_err("{\"events\":[1,{},{},{},{},{}],\"mode\":7,\"session\":\"s\"}", -EINVAL,
               "mode: must be \"self\" or \"live\"");
    expect_err("{\"events\":[1,{},{},{},{},{}],\"session\":\"s\"}", -E2BIG,
               "events: 6 events, more than max_events (5)");
    expect_err(EV("{\"seq\":1,\"type\":\"close\",\"at\":1763800000000},2,{\"bad\":1}"), -EINVAL,
               "events[1]: must be an object");
    /* in an event: type, then its keys in text order, then the values */
    expect_err(EV("{\"bogus\":1,\"ms\":\"x\",\"seq\":\"x\"}"), -EINVAL, "events[0].type: required");
    expect_err(EV("{\"ms\":1,\"bogus\":1,\"type\":\"close\",\"seq\":\"x\"}"), -EINVAL,
               "events[0].ms: not allowed in a close event");
    expect_err(EV("{\"bogus\":1,\"ms\":1,\"type\":\"close\",\"seq\":\"x\"}"), -EINVAL,
               "events[0].bogus: unknown field");
    expect_err(EV("{\"type\":\"close\",\"x\":{\"seq\":1,\"seq\":[{}]},\"seq\":1}"), -EINVAL,
               "events[0].x: unknown field");
    /* nested values of known fields are the wrong type, not fields */
    expect_err(EV("{\"type\":\"close\",\"seq\":{\"type\":\"open\"},\"at\":1763800000000}"), -EINVAL,
               "events[0].seq: must be an integer between 0 and 9007199254740991");
    expect_err(EV("{\"type\":null,\"seq\":1}"), -EINVAL,
               "events[0].type: must be open, view, dwell, action or close");
    expect_err("{\"session\":\"s\",\"x\":{\"events\":[{\"seq\":1}]},\"events\":[]}", -EINVAL,
               "x: unknown field");
    expect_err("{\"session\":\"s\",\"events\":[[{\"seq\":\"x\"}]]}", -EINVAL,
               "events[0]: must be an object");
    /* keys that are not identifiers are not echoed */
    expect_err("{\"session\":\"s\",\"\\u00e9\":1,\"events\":[1]}", -EINVAL, "?: unknown field");
    expect_err("{\"session\":\"s\",\"\":1,\"events\":[1]}", -EINVAL, "?: unknown field");
}

/* Escapes decoded; NUL, lone surrogates and malformed UTF-8 refused. */
static void test_escapes(void **state)
{
    (void)state;
    const char *json = "{\"token\":\"a\\/b\\ud83d\\ude00\\u00e9\\n\",\"session\":\"s\\u0031\","
                       "\"events\":[{\"seq\":1,\"type\":\"clo\\u0073e\",\"at\":1763800000000}]}";
    dp_batch b;
    dp_err err;
    assert_int_equal(dp_batch_decode(&b, json, strlen(json), &lim, &err), 0);
    assert_string_equal(b.token, "a/b\xf0\x9f\x98\x80\xc3\xa9\n");
    assert_string_equal(b.session, "s1");
    assert_int_equal(b.events[0].type, DP_EV_CLOSE);
    dp_batch_free(&b);
    SYNTAX("{\"session\":\"a\\u0000b\"}", "13: \\u0000 is not allowed");
    SYNTAX("{\"session\":\"\\udc00\"}", "12: invalid Unicode escape: a lone low surrogate");
    SYNTAX("{\"session\":\"\\ud800x\"}",
           "12: invalid Unicode escape: a high surrogate without its low one");
    SYNTAX("{\"session\":\"\\ud800\\u0041\"}",
           "12: invalid Unicode escape: a high surrogate without its low one");
    SYNTAX("{\"x\":\"\xc0\x80\"}", "6: invalid UTF-8 in a string");         /* overlong */
    SYNTAX("{\"x\":\"\xed\xa0\x80\"}", "6: invalid UTF-8 in a string");     /* a surrogate */
    SYNTAX("{\"x\":\"\xf4\x90\x80\x80\"}", "6: invalid UTF-8 in a string"); /* > U+10FFFF */
    SYNTAX("{\"x\":\"\xe2\x82\"}", "6: invalid UTF-8 in a string");         /* cut short */
    /* the first fault in the text is the one named */
    SYNTAX("{\"x\":tru,\"y\":\"\\u0000\"}", "8: lexical error: invalid string in json text.");
    SYNTAX("{\"x\":\"\\u0000\",\"y\":tru}", "6: \\u0000 is not allowed");
    /* well-formed multibyte text is fine where any string is */
    expect_err("{\"session\":\"s\",\"t\\u00e9\":\"\xe2\x82\xac\xf0\x9f\x98\x80\",\"events\":[1]}",
               -EINVAL, "?: unknown field");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_batch),   cmocka_unit_test(test_top_level_errors),
        cmocka_unit_test(test_event_errors), cmocka_unit_test(test_hostile_json),
        cmocka_unit_test(test_id_valid),     cmocka_unit_test(test_many_events),
        cmocka_unit_test(test_syntax),       cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
