/* The string map, and the report cache built on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "report_cache.h"
#include "strmap.h"

static void test_map(void **state)
{
    (void)state;
    dp_strmap m;
    dp_strmap_init(&m);
    assert_null(dp_strmap_get(&m, "a", 1));
    char k[32];
    for (uintptr_t i = 1; i <= 5000; i++) {
        int n = snprintf(k, sizeof(k), "key-%lu", (unsigned long)i);
        assert_int_equal(dp_strmap_put(&m, k, (size_t)n, (void *)i), 0);
    }
    assert_int_equal(m.n, 5000);
    for (uintptr_t i = 1; i <= 5000; i += 2) {
        int n = snprintf(k, sizeof(k), "key-%lu", (unsigned long)i);
        assert_ptr_equal(dp_strmap_del(&m, k, (size_t)n), (void *)i);
    }
    for (uintptr_t i = 1; i <= 5000; i++) {
        int n = snprintf(k, sizeof(k), "key-%lu", (unsigned long)i);
        assert_ptr_equal(dp_strmap_get(&m, k, (size_t)n), i % 2 ? NULL : (void *)i);
    }
    /* replace; keys compare by length too */
    assert_int_equal(dp_strmap_put(&m, "key-2", 5, (void *)7), 0);
    assert_ptr_equal(dp_strmap_get(&m, "key-2", 5), (void *)7);
    assert_null(dp_strmap_get(&m, "key-2x", 5 + 1));
    assert_int_equal(m.n, 2500);
    /* deleted slots are reused: many put/del cycles stay bounded */
    for (int round = 0; round < 20000; round++) {
        int n = snprintf(k, sizeof(k), "tmp-%d", round);
        dp_strmap_put(&m, k, (size_t)n, (void *)1);
        dp_strmap_del(&m, k, (size_t)n);
    }
    assert_true(m.cap <= 16384);
    dp_strmap_free(&m);
}

static void test_cache(void **state)
{
    (void)state;
    dp_rcache c;
    int fresh;
    dp_rcache_init(&c, 64 * 1024);
    dp_rcache_put(&c, "a", "1,", "application/json", "{\"x\":1}", 7, 1000);
    dp_rcache_entry *e = dp_rcache_get(&c, "a", "1,", 5000, 0, &fresh);
    assert_non_null(e);
    assert_int_equal(fresh, 1);
    assert_memory_equal(e->body->data, "{\"x\":1}", 7);
    /* a connection writing the answer holds it past the entry's eviction */
    dp_body *writing = dp_body_ref(e->body);
    /* newer data: served while at most stale_ms old, marked not fresh */
    e = dp_rcache_get(&c, "a", "2,", 2900, 2000, &fresh);
    assert_non_null(e);
    assert_int_equal(fresh, 0);
    /* too old for that: dropped */
    assert_null(dp_rcache_get(&c, "a", "2,", 3001, 2000, &fresh));
    assert_null(dp_rcache_get(&c, "a", "1,", 3001, 2000, &fresh));
    /* with stale_ms 0 a changed stamp is never served */
    dp_rcache_put(&c, "b", "1,", "text/csv", "x", 1, 1000);
    assert_null(dp_rcache_get(&c, "b", "2,", 1000, 0, &fresh));
    /* least recently used out first, within the budget */
    char body[4000];
    memset(body, 'x', sizeof(body));
    char key[16];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        dp_rcache_put(&c, key, "g", "text/csv", body, sizeof(body), 0);
        assert_non_null(dp_rcache_get(&c, "k0", "g", 0, 0, &fresh)); /* keep k0 warm */
    }
    assert_true(c.bytes <= c.max_bytes);
    assert_non_null(dp_rcache_get(&c, "k0", "g", 0, 0, &fresh));
    assert_null(dp_rcache_find(&c, "k1"));
    assert_non_null(dp_rcache_get(&c, "k39", "g", 0, 0, &fresh));
    /* an answer over a quarter of the budget is not kept */
    char big[20000];
    memset(big, 'y', sizeof(big));
    dp_rcache_put(&c, "big", "g", "text/csv", big, sizeof(big), 0);
    assert_null(dp_rcache_find(&c, "big"));
    dp_rcache_free(&c);
    assert_int_equal(writing->refs, 1);
    assert_memory_equal(writing->data, "{\"x\":1}", 7);
    dp_body_unref(writing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_map), cmocka_unit_test(test_cache)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
