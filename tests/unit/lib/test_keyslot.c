/* CRC16 and key slots against what Redis itself says: CRC16("123456789")
 * = 0x31C3 (the XMODEM check value Redis's crc16.c documents), and the
 * slots CLUSTER KEYSLOT gave on Redis 7.0 for these keys (integration.cluster
 * asks a real cluster the same, so these values cannot go stale). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "keyslot.h"

static void test_crc16(void **state)
{
    (void)state;
    assert_int_equal(dp_crc16("123456789", 9), 0x31C3);
    assert_int_equal(dp_crc16("", 0), 0);
}

static void test_slots(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        unsigned slot;
    } want[] = {{"123456789", 12739},
                {"foo", 12182},
                {"bar", 5061},
                {"hello", 866},
                {"{user1000}.following", 3443},
                {"dp:{0}:events", 13907},
                {"dp:{1}:events", 9842},
                {"dp:{d}:deals", 11298},
                {"dp:{c}:catalog", 7365},
                {"dp:{w}:hooks", 3696},
                {"a{}b", 13694},
                {"{}x", 10595},
                {"x{y", 2740}};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        assert_int_equal(dp_key_slot(want[i].key, strlen(want[i].key)), want[i].slot);
    /* a tag: every key of a shard in one slot */
    assert_int_equal(dp_key_slot("dp:{0}:sess:abc", 15), dp_key_slot("dp:{0}:events", 13));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16),
        cmocka_unit_test(test_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
