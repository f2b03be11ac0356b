/* The `redis` setting, parsed once for the server and the collector:
 * every accepted form and the exact error for each bad one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "redis_url.h"

static void test_good(void **state)
{
    (void)state;
    static const struct {
        const char *url, *host, *path;
        int port;
    } cases[] = {
        {"redis://127.0.0.1:6380", "127.0.0.1", "", 6380},
        {"redis://redis.internal", "redis.internal", "", 6379},
        {"redis://cache:7000/0", "cache", "", 7000},
        {"redis://cache/2", "cache", "", 6379},
        {"redis://h:1", "h", "", 1},
        {"redis://h:65535", "h", "", 65535},
        {"unix:/run/redis/redis.sock", "", "/run/redis/redis.sock", 0},
        {"unix:///run/redis.sock", "", "/run/redis.sock", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dp_redis_url u;
        dp_err err = {0};
        assert_int_equal(dp_redis_url_parse(cases[i].url, &u, &err), 0);
        assert_string_equal(u.host, cases[i].host);
        assert_string_equal(u.path, cases[i].path);
        if (cases[i].host[0]) assert_int_equal(u.port, cases[i].port);
    }
}

static void test_bad(void **state)
{
    (void)state;
    char longhost[300] = "redis://", longpath[200] = "unix:/";
    memset(longhost + 8, 'h', 256);
    memset(longpath + 6, 'p', 107);
    static const struct {
        const char *url, *msg;
    } fixed[] = {
        {"redis://h:0", "redis: bad port in 'redis://h:0'"},
        {"redis://h:65536", "redis: bad port in 'redis://h:65536'"},
        {"redis://h:", "redis: bad port in 'redis://h:'"},
        {"redis://h:12x", "redis: bad port in 'redis://h:12x'"},
        {"redis://h:-1", "redis: bad port in 'redis://h:-1'"},
        {"redis://h:99999999999999999999", "redis: bad port in 'redis://h:99999999999999999999'"},
        {"redis://:6379", "redis: no host in 'redis://:6379'"},
        {"redis://", "redis: no host in 'redis://'"},
        {"unix:", "redis: empty unix socket path"},
        {"unix://", "redis: empty unix socket path"},
        {"http://h:6379", "redis: must be redis://host:port or unix:/path"},
        {"", "redis: must be redis://host:port or unix:/path"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        dp_redis_url u;
        dp_err err = {0};
        assert_int_equal(dp_redis_url_parse(fixed[i].url, &u, &err), -EINVAL);
        assert_string_equal(err.msg, fixed[i].msg);
    }
    dp_redis_url u;
    dp_err err = {0};
    assert_int_equal(dp_redis_url_parse(longhost, &u, &err), -EINVAL);
    assert_string_equal(err.msg, "redis: host longer than 255 characters");
    assert_int_equal(dp_redis_url_parse(longpath, &u, &err), -EINVAL);
    assert_string_equal(err.msg, "redis: unix socket path longer than 107 bytes");
    longpath[6 + 106] = '\0'; /* 106 bytes fit */
    assert_int_equal(dp_redis_url_parse(longpath, &u, &err), 0);
}

/* Several seed nodes of a cluster, with or without repeating the scheme. */
static void test_seeds(void **state)
{
    (void)state;
    dp_redis_url s[DP_REDIS_SEEDS_MAX];
    size_t n;
    dp_err err = {0};
    assert_int_equal(
        dp_redis_seeds_parse("redis://127.0.0.1:7000,127.0.0.1:7001,redis://h:7002", s, &n, &err),
        0);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].host, "127.0.0.1");
    assert_int_equal(s[0].port, 7000);
    assert_int_equal(s[1].port, 7001);
    assert_string_equal(s[2].host, "h");
    assert_int_equal(s[2].port, 7002);
    assert_int_equal(dp_redis_seeds_parse("redis://a:1", s, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(dp_redis_seeds_parse("unix:/run/r.sock", s, &n, &err), 0);
    assert_string_equal(s[0].path, "/run/r.sock");
    assert_int_equal(dp_redis_seeds_parse("redis://a:1,,b:2", s, &n, &err), -EINVAL);
    assert_string_equal(err.msg, "redis: an empty seed in 'redis://a:1,,b:2'");
    assert_int_equal(dp_redis_seeds_parse("redis://a:1,b:x", s, &n, &err), -EINVAL);
    assert_string_equal(err.msg, "redis: bad port in 'redis://b:x'");
    char many[512] = "redis://h:1";
    for (int i = 0; i < DP_REDIS_SEEDS_MAX; i++)
        strcat(many, ",h:1");
    assert_int_equal(dp_redis_seeds_parse(many, s, &n, &err), -E2BIG);
    assert_string_equal(err.msg, "redis: more than 16 seed nodes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_good), cmocka_unit_test(test_bad),
                                       cmocka_unit_test(test_seeds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
