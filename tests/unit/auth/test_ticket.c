/* Live tickets: round trip, expiry, tampering, another secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ticket.h"

static void test_ticket(void **state)
{
    (void)state;
    unsigned char key[32], other[32];
    dp_ticket_key("0123456789abcdef0123456789abcdef", 32, key);
    dp_ticket_key("fedcba9876543210fedcba9876543210", 32, other);
    char t[DP_TICKET_MAX];
    int ix = 99;
    assert_int_equal(dp_ticket_mint(key, DP_ROLE_SALES, 3, 2000, t, sizeof(t)), 0);
    assert_int_equal(dp_ticket_verify(key, t, strlen(t), 1999, &ix), DP_ROLE_SALES);
    assert_int_equal(ix, 3);
    assert_int_equal(dp_ticket_verify(key, t, strlen(t), 2000, &ix), DP_ROLE_NONE); /* expired */
    assert_int_equal(ix, -1);
    assert_int_equal(dp_ticket_verify(other, t, strlen(t), 0, &ix), DP_ROLE_NONE);
    /* every one-character change is refused (role, index, expiry, MAC) */
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char orig = t[i];
        t[i] = orig == '7' ? '8' : '7';
        assert_int_equal(dp_ticket_verify(key, t, n, 0, &ix), DP_ROLE_NONE);
        t[i] = orig;
    }
    assert_int_equal(dp_ticket_verify(key, "t1.", 3, 0, &ix), DP_ROLE_NONE);
    assert_int_equal(dp_ticket_verify(key, "", 0, 0, &ix), DP_ROLE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_ticket)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
