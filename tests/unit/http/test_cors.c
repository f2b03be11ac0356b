/* The CORS allow-list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cors.h"

#define ALLOWED(list, o) dp_origin_allowed(list, o, strlen(o))

static void test_origins(void **state)
{
    (void)state;
    assert_true(ALLOWED("*", "https://x.example"));
    const char *list = "https://a.example, https://b.example:8443";
    assert_true(ALLOWED(list, "https://a.example"));
    assert_true(ALLOWED(list, "HTTPS://A.EXAMPLE"));
    assert_true(ALLOWED(list, "https://b.example:8443"));
    assert_false(ALLOWED(list, "https://b.example"));
    assert_false(ALLOWED(list, "https://a.example.evil"));
    assert_false(ALLOWED(list, "http://a.example"));
    assert_false(ALLOWED(list, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_origins)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
