/* The slot map from a CLUSTER SLOTS reply (built here as hiredis would) and
 * MOVED / ASK errors read right, malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_map.h"
#include "cluster_route.h"
#include "resp.h"

static redisReply *integer(long long v)
{
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

static redisReply *string(const char *s)
{
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_STRING;
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

static redisReply *array(size_t n, ...)
{
    redisReply *r = calloc(1, sizeof(*r));
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = calloc(n ? n : 1, sizeof(redisReply *));
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static void test_map(void **state)
{
    (void)state;
    /* three primaries, the middle range listed first; replicas after each */
    redisReply *r = array(3,
                          array(4, integer(5461), integer(10922),
                                array(3, string("127.0.0.1"), integer(7001), string("b")),
                                array(3, string("127.0.0.1"), integer(7004), string("e"))),
                          array(3, integer(0), integer(5460),
                                array(3, string("127.0.0.1"), integer(7000), string("a"))),
                          array(3, integer(10923), integer(16383),
                                array(3, string("127.0.0.1"), integer(7002), string("c"))));
    dp_cluster_map m;
    dp_err err;
    assert_int_equal(dp_cluster_map_load(&m, r, &err), 0);
    assert_int_equal(m.nnodes, 3);
    assert_int_equal(dp_cluster_map_node(&m, 0)->port, 7000);
    assert_int_equal(dp_cluster_map_node(&m, 5460)->port, 7000);
    assert_int_equal(dp_cluster_map_node(&m, 5461)->port, 7001);
    assert_int_equal(dp_cluster_map_node(&m, 16383)->port, 7002);
    /* dp:{0}:events is slot 13907 (unit.keyslot): the third primary */
    assert_int_equal(dp_cluster_map_node(&m, dp_key_slot("dp:{0}:events", 13))->port, 7002);
    assert_null(dp_cluster_map_node(&m, 16384));
    freeReplyObject(r);
    /* a range missing: its slots have no primary */
    r = array(1, array(3, integer(0), integer(99), array(2, string("10.0.0.1"), integer(6379))));
    assert_int_equal(dp_cluster_map_load(&m, r, &err), 0);
    assert_null(dp_cluster_map_node(&m, 100));
    assert_string_equal(dp_cluster_map_node(&m, 99)->host, "10.0.0.1");
    freeReplyObject(r);
    r = array(1, array(2, integer(0), integer(99)));
    assert_int_equal(dp_cluster_map_load(&m, r, &err), -EINVAL);
    assert_string_equal(err.msg, "cluster: CLUSTER SLOTS entry 0 is malformed");
    freeReplyObject(r);
    r = string("ERR This instance has cluster support disabled");
    assert_int_equal(dp_cluster_map_load(&m, r, &err), -EINVAL);
    freeReplyObject(r);
}

static void test_redirect(void **state)
{
    (void)state;
    unsigned slot;
    dp_cluster_node to;
    assert_int_equal(dp_cluster_redirect("MOVED 3999 127.0.0.1:6381", &slot, &to),
                     DP_REDIRECT_MOVED);
    assert_int_equal(slot, 3999);
    assert_string_equal(to.host, "127.0.0.1");
    assert_int_equal(to.port, 6381);
    assert_int_equal(dp_cluster_redirect("ASK 13907 ::1:7002", &slot, &to), DP_REDIRECT_ASK);
    assert_string_equal(to.host, "::1");
    assert_int_equal(to.port, 7002);
    /* Redis 7: an empty host is the node that answered */
    assert_int_equal(dp_cluster_redirect("MOVED 1 :6380", &slot, &to), DP_REDIRECT_MOVED);
    assert_string_equal(to.host, "");
    assert_int_equal(to.port, 6380);
    const char *bad[] = {"MOVED",        "MOVED x 1.2.3.4:5", "MOVED 16384 h:1", "ASK 1 host",
                         "ASK 1 host:0", "ERR unknown",       "MOVED 1 h:6379x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(dp_cluster_redirect(bad[i], &slot, &to), DP_REDIRECT_NONE);
}

/* The key each command is routed by, read from its RESP. */
static dp_route_kind route(dp_route *out, size_t argc, ...)
{
    const char *argv[16];
    size_t lens[16];
    va_list ap;
    va_start(ap, argc);
    for (size_t i = 0; i < argc; i++) {
        argv[i] = va_arg(ap, const char *);
        lens[i] = strlen(argv[i]);
    }
    va_end(ap);
    static dp_buf b;
    dp_buf_init(&b, 0);
    dp_resp_command(&b, argc, argv, lens);
    dp_route_kind k = dp_cluster_route(b.data, b.len, out);
    /* the key points into the command: copied before the buffer goes */
    static char key[64];
    if (k == DP_ROUTE_KEY) {
        memcpy(key, out->key, out->keylen);
        key[out->keylen] = '\0';
        out->key = key;
    }
    dp_buf_free(&b);
    return k;
}

static void test_route(void **state)
{
    (void)state;
    dp_route r;
    assert_int_equal(route(&r, 3, "XADD", "dp:{3}:events", "*"), DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{3}:events");
    assert_int_equal(route(&r, 2, "hgetall", "dp:{c}:material:m1"), DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{c}:material:m1");
    /* EVAL: the first declared key; none declared, the first dp:{ argument */
    assert_int_equal(route(&r, 5, "EVAL", "return 1", "2", "dp:{w}:hooks", "dp:{w}:x"),
                     DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{w}:hooks");
    assert_int_equal(route(&r, 6, "EVALSHA", "abc", "0", "123", "dp:{5}:", "dp:{6}:"),
                     DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{5}:");
    assert_int_equal(route(&r, 4, "EVAL", "return 1", "0", "jane"), DP_ROUTE_KEYLESS);
    assert_int_equal(route(&r, 9, "XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS",
                           "dp:{7}:events", ">"),
                     DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{7}:events");
    assert_int_equal(route(&r, 5, "XGROUP", "CREATE", "dp:{2}:alerts", "notify", "0"),
                     DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{2}:alerts");
    assert_int_equal(route(&r, 3, "XINFO", "GROUPS", "dp:{9}:events"), DP_ROUTE_KEY);
    assert_string_equal(r.key, "dp:{9}:events");
    assert_int_equal(route(&r, 1, "MULTI"), DP_ROUTE_MULTI);
    assert_int_equal(route(&r, 1, "exec"), DP_ROUTE_END);
    assert_int_equal(route(&r, 1, "DISCARD"), DP_ROUTE_END);
    assert_int_equal(route(&r, 3, "WAIT", "1", "100"), DP_ROUTE_KEYLESS);
    assert_int_equal(route(&r, 3, "CONFIG", "GET", "append*"), DP_ROUTE_KEYLESS);
    assert_int_equal(route(&r, 2, "INFO", "cluster"), DP_ROUTE_KEYLESS);
    /* not a command */
    assert_int_equal(dp_cluster_route("*2\r\n$4\r\nXADD\r\n$9\r\nab", 22, &r), DP_ROUTE_BAD);
    assert_int_equal(dp_cluster_route("PING\r\n", 6, &r), DP_ROUTE_BAD);
    assert_int_equal(dp_cluster_route("*1\r\n$99999999999999999999\r\n", 28, &r), DP_ROUTE_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
