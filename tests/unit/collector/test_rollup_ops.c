/* A rollup batch's writes: counters summed per (key, field), members sent
 * once per key, long member lists cut into commands of 1000, capped sorted
 * sets sent only the members that can stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "rollup_ops.h"

static void test_emit(void **state)
{
    (void)state;
    dp_ops o = {0};
    dp_ops_add(&o, DP_OP_HINCR, "k2", "views", NULL, 1);
    dp_ops_add(&o, DP_OP_SADD, "set", "b", NULL, 0);
    dp_ops_add(&o, DP_OP_HINCR, "k1", "views", NULL, 2);
    dp_ops_add(&o, DP_OP_HINCR, "k2", "views", NULL, 4);
    dp_ops_add(&o, DP_OP_HINCR, "k1", "gone", NULL, 3);
    dp_ops_add(&o, DP_OP_HINCR, "k1", "gone", NULL, -3); /* sums to 0: not sent */
    dp_ops_add(&o, DP_OP_SADD, "set", "a", NULL, 0);
    dp_ops_add(&o, DP_OP_SADD, "set", "b", NULL, 0);
    dp_ops_add(&o, DP_OP_ZADD, "tl", "m1", "17", 0);
    dp_buf b;
    dp_buf_init(&b, 0);
    size_t n = 0;
    assert_int_equal(dp_ops_emit(&o, &b, &n), 0);
    assert_int_equal(n, 4);
    /* in an order of their own; the members of one key in one command */
    const char *want[] = {"*4\r\n$7\r\nHINCRBY\r\n$2\r\nk1\r\n$5\r\nviews\r\n$1\r\n2\r\n",
                          "*4\r\n$7\r\nHINCRBY\r\n$2\r\nk2\r\n$5\r\nviews\r\n$1\r\n5\r\n",
                          "*4\r\n$4\r\nSADD\r\n$3\r\nset\r\n$1\r\n",
                          "*4\r\n$4\r\nZADD\r\n$2\r\ntl\r\n$2\r\n17\r\n$2\r\nm1\r\n"};
    size_t total = 0;
    dp_buf_append(&b, "", 1); /* a NUL for strstr */
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(strstr(b.data, want[i]));
        total += strlen(want[i]);
    }
    const char *set = strstr(b.data, want[2]) + strlen(want[2]);
    assert_true(!strncmp(set, "a\r\n$1\r\nb\r\n", 10) || !strncmp(set, "b\r\n$1\r\na\r\n", 10));
    assert_int_equal(b.len - 1, total + 10);
    dp_buf_free(&b);
    dp_ops_free(&o);
}

static void test_long_lists(void **state)
{
    (void)state;
    dp_ops o = {0};
    dp_arena a = {0};
    for (int i = 0; i < 2500; i++) {
        const char *m = dp_arena_i64(&a, i % 2100); /* 2100 distinct members */
        dp_ops_add(&o, DP_OP_PFADD, "hll", m, NULL, 0);
    }
    dp_buf b;
    dp_buf_init(&b, 0);
    size_t n = 0;
    assert_int_equal(dp_ops_emit(&o, &b, &n), 0);
    assert_int_equal(n, 3); /* 1000 + 1000 + 100 */
    assert_memory_equal(b.data, "*1002\r\n$5\r\nPFADD\r\n", 18);
    size_t cmds = 0, args = 0;
    for (size_t i = 0; i < b.len; i++) {
        if (b.data[i] != '*' || (i && b.data[i - 1] != '\n')) continue;
        unsigned long k = 0;
        sscanf(b.data + i + 1, "%lu", &k);
        cmds++;
        args += k - 2;
    }
    assert_int_equal(cmds, 3);
    assert_int_equal(args, 2100);
    dp_buf_free(&b);
    dp_ops_free(&o);
    dp_arena_free(&a);
}

/* zadd_keep 3: of one key's members only the 3 highest (score, member)
 * are sent (what ZADD of all then trimming to 3 would keep); other keys
 * whole; a member given twice counts once (a timeline's member holds its
 * score: the same member, the same score). */
static void test_zadd_keep(void **state)
{
    (void)state;
    dp_ops o = {0};
    o.zadd_keep = 3;
    const char *m[][2] = {{"9", "e"}, {"100", "b"}, {"99", "c"},  {"100", "a"},
                          {"7", "z"}, {"100", "b"}, {"1000", "d"}};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        dp_ops_add(&o, DP_OP_ZADD, "tl", m[i][1], m[i][0], 0);
    dp_ops_add(&o, DP_OP_ZADD, "small", "x", "5", 0);
    dp_ops_add(&o, DP_OP_ZADD, "small", "y", "6", 0);
    dp_buf b;
    dp_buf_init(&b, 0);
    size_t n = 0;
    assert_int_equal(dp_ops_emit(&o, &b, &n), 0);
    assert_int_equal(n, 2);
    dp_buf_append(&b, "", 1);
    const char *tl = strstr(b.data, "*8\r\n$4\r\nZADD\r\n$2\r\ntl\r\n");
    assert_non_null(tl);
    tl += strlen("*8\r\n$4\r\nZADD\r\n$2\r\ntl\r\n");
    /* highest first: 1000 d, 100 b, 100 a (b > a at the same score) */
    const char *want = "$4\r\n1000\r\n$1\r\nd\r\n$3\r\n100\r\n$1\r\nb\r\n$3\r\n100\r\n$1\r\na\r\n";
    assert_memory_equal(tl, want, strlen(want));
    assert_non_null(strstr(b.data, "*6\r\n$4\r\nZADD\r\n$5\r\nsmall\r\n"));
    dp_buf_free(&b);
    dp_ops_free(&o);
}

/* The earliest view of a member: the lowest score of the batch, sent as
 * ZADD LT (Redis keeps the lower of it and what it has). */
static void test_zmin(void **state)
{
    (void)state;
    dp_ops o = {0};
    dp_ops_add(&o, DP_OP_ZMIN, "pfv", "self|m", "1700000000500", 0);
    dp_ops_add(&o, DP_OP_ZMIN, "pfv", "self|m", "1700000000100", 0);
    dp_ops_add(&o, DP_OP_ZMIN, "pfv", "self|m", "999", 0); /* shorter: smaller */
    dp_ops_add(&o, DP_OP_ZMIN, "pfv", "self|m", "1700000000300", 0);
    dp_ops_add(&o, DP_OP_ZMIN, "pfv", "live|m", "5", 0);
    dp_buf b;
    dp_buf_init(&b, 0);
    size_t n = 0;
    assert_int_equal(dp_ops_emit(&o, &b, &n), 0);
    assert_int_equal(n, 1);
    dp_buf_append(&b, "", 1);
    const char *head = "*7\r\n$4\r\nZADD\r\n$3\r\npfv\r\n$2\r\nLT\r\n";
    assert_memory_equal(b.data, head, strlen(head));
    assert_non_null(strstr(b.data, "$3\r\n999\r\n$6\r\nself|m\r\n"));
    assert_non_null(strstr(b.data, "$1\r\n5\r\n$6\r\nlive|m\r\n"));
    assert_null(strstr(b.data, "1700000000"));
    dp_buf_free(&b);
    dp_ops_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zmin),
        cmocka_unit_test(test_emit),
        cmocka_unit_test(test_long_lists),
        cmocka_unit_test(test_zadd_keep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
