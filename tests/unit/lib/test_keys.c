/* The key builders (include/deckpulse/keys.h): the exact layout of each
 * kind, and a key that does not fit is refused, not cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "deckpulse/keys.h"

static void test_layout(void **state)
{
    (void)state;
    char k[128];
    assert_int_equal(dp_key_stream(k, sizeof(k), 0), 13);
    assert_string_equal(k, "dp:{0}:events");
    dp_key_pd(k, sizeof(k), 12, "jane", "2026-12-03", "self");
    assert_string_equal(k, "dp:{12}:pd:jane:2026-12-03:self");
    dp_key_sv(k, sizeof(k), 3, "deck", "roi", "2", "2026-12-03", "live");
    assert_string_equal(k, "dp:{3}:sv:deck:roi:2:2026-12-03:live");
    dp_key_pseen(k, sizeof(k), 255, "jane", "deck");
    assert_string_equal(k, "dp:{255}:pseen:jane:deck");
    /* two ids with ':' in them: each key names one pair (issue 19) */
    char k2[256];
    dp_key_pseen(k, sizeof(k), 0, "acme", "jane:q3");
    dp_key_pseen(k2, sizeof(k2), 0, "acme:jane", "q3");
    assert_string_equal(k, "dp:{0}:pseen:acme:jane|q3");
    assert_string_equal(k2, "dp:{0}:pseen:acme:jane:q3");
    dp_key_sv(k, sizeof(k), 0, "deck", "a:b", "1", "2026-12-03", "self");
    dp_key_sv(k2, sizeof(k2), 0, "deck:a", "b", "1", "2026-12-03", "self");
    assert_string_equal(k, "dp:{0}:sv:deck:a|b:1:2026-12-03:self");
    assert_string_equal(k2, "dp:{0}:sv:deck:a:b:1:2026-12-03:self");
    dp_key_pvf(k, sizeof(k), 1, "p1", "2026-12-03");
    assert_string_equal(k, "dp:{1}:pvf:p1:2026-12-03");
    dp_key_collectors(k, sizeof(k));
    assert_string_equal(k, "dp:{0}:collectors");
    dp_key_erasures(k, sizeof(k));
    assert_string_equal(k, "dp:{0}:erasures");
    dp_key_prefix(k, sizeof(k), 7);
    assert_string_equal(k, "dp:{7}:");
    dp_key_catalog_material(k, sizeof(k), "q3");
    assert_string_equal(k, "dp:{c}:material:q3");
    dp_key_salt(k, sizeof(k), "2026-12-03");
    assert_string_equal(k, "dp:salt:2026-12-03");
}

static void test_too_long(void **state)
{
    (void)state;
    char k[20];
    /* "dp:{0}:pres:abcdefgh" is 20 bytes: with its NUL, one too many */
    assert_int_equal(dp_key_pres(k, sizeof(k), 0, "abcdefgh"), -E2BIG);
    assert_int_equal(dp_key_pres(k, sizeof(k), 0, "abcdefg"), 19);
    assert_string_equal(k, "dp:{0}:pres:abcdefg");
    assert_int_equal(dp_key_prefix(k, 7, 0), -E2BIG);
    assert_int_equal(dp_key_catalog_material(k, sizeof(k), "0123456789abcdef"), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_layout),
                                       cmocka_unit_test(test_too_long)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
