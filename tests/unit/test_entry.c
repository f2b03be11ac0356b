/* Stream entries read back by the collector: a valid entry, and the reason
 * given for each kind of poison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "entry.h"

#define VIEWER "a:0123456789abcdef0123456789abcdef"

static const char *base[] = {"v",
                             "1",
                             "received",
                             "1795000000000",
                             "session",
                             "s1",
                             "seq",
                             "7",
                             "at",
                             "1763800000000",
                             "mode",
                             "live",
                             "presentation",
                             "p1",
                             "viewer",
                             VIEWER,
                             "prospect",
                             "jane",
                             "account",
                             "acme",
                             "type",
                             "dwell",
                             "material",
                             "m",
                             "slide",
                             "roi",
                             "version",
                             "2",
                             "ms",
                             "5400"};
#define NBASE (sizeof(base) / sizeof(base[0]))

static void test_valid(void **state)
{
    (void)state;
    dp_entry e;
    dp_err err;
    memset(&e, 0, sizeof(e));
    assert_int_equal(dp_entry_parse(&e, base, NBASE, &err), 0);
    assert_int_equal(e.type, DP_EV_DWELL);
    assert_int_equal(e.seq, 7);
    assert_int_equal(e.ms, 5400);
    assert_int_equal(e.version, 2);
    assert_string_equal(e.day, "2026-11-18");
    assert_int_equal(e.bucket, 8); /* bounds[7] = 5000 < 5400 <= bounds[8] = 6000 */
    assert_string_equal(e.account, "acme");
}

static void expect(const char *field, const char *value, const char *msg)
{
    const char *fv[NBASE + 2];
    size_t n = 0;
    int replaced = 0;
    for (size_t i = 0; i < NBASE; i += 2) {
        fv[n++] = base[i];
        if (!strcmp(base[i], field)) {
            fv[n++] = value;
            replaced = 1;
        } else {
            fv[n++] = base[i + 1];
        }
    }
    if (!replaced) {
        fv[n++] = field;
        fv[n++] = value;
    }
    dp_entry e;
    dp_err err = {""};
    memset(&e, 0, sizeof(e));
    int rc = dp_entry_parse(&e, fv, n, &err);
    if (rc != -EINVAL || strcmp(err.msg, msg) != 0)
        fail_msg("%s=%s: got %d '%s', want '%s'", field, value, rc, err.msg, msg);
}

static void test_poison(void **state)
{
    (void)state;
    expect("v", "2", "entry: v must be 1");
    expect("received", "x", "entry: bad received");
    expect("session", "a b", "entry: bad session");
    expect("seq", "-1", "entry: bad seq");
    expect("type", "scroll", "entry: bad type");
    expect("at", "12", "entry: bad at");
    expect("mode", "other", "entry: bad mode");
    expect("presentation", "", "entry: bad presentation");
    expect("viewer", "a:short", "entry: bad viewer");
    expect("prospect", "=evil()", "entry: bad prospect, account, campaign or owner");
    expect("ms", "86400001", "entry: bad ms");
    expect("version", "0", "entry: bad version");
    expect("material", "", "entry: bad material or slide");
    expect("extra", "1", "entry: unknown field 'extra'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_poison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
