/* The daily salt on disk: stored and read back (mode 0600), absent days
 * are -ENOENT, and days before yesterday are destroyed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "salt.h"

static void test_store_load_prune(void **state)
{
    (void)state;
    char dir[] = "/tmp/dp-salt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    unsigned char a[DP_SALT_BYTES], b[DP_SALT_BYTES];
    for (int i = 0; i < DP_SALT_BYTES; i++)
        a[i] = (unsigned char)(i * 7 + 1);
    assert_int_equal(dp_salt_load(dir, "2026-11-22", b), -ENOENT);
    assert_int_equal(dp_salt_store(dir, "2026-11-20", a), 0);
    assert_int_equal(dp_salt_store(dir, "2026-11-21", a), 0);
    assert_int_equal(dp_salt_store(dir, "2026-11-22", a), 0);
    assert_int_equal(dp_salt_load(dir, "2026-11-22", b), 0);
    assert_memory_equal(a, b, sizeof(a));
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/salt/2026-11-22", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* today and yesterday stay; the day before is destroyed */
    assert_int_equal(dp_salt_prune(dir, "2026-11-22"), 1);
    assert_int_equal(dp_salt_load(dir, "2026-11-20", b), -ENOENT);
    assert_int_equal(dp_salt_load(dir, "2026-11-21", b), 0);
    /* across a month boundary */
    assert_int_equal(dp_salt_prune(dir, "2026-12-01"), 2);
    assert_int_equal(dp_salt_load(dir, "2026-11-22", b), -ENOENT);
    snprintf(path, sizeof(path), "%s/salt", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_store_load_prune)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
