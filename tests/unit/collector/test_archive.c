/* The raw archive: rows written are read back field for field (through
 * libcsv), and a file cut short by a kill is read up to its last flush. */
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

#include "archive.h"

#define VIEWER "a:0123456789abcdef0123456789abcdef"

typedef struct got {
    int rows;
    char last_session[80];
    long long ms_sum;
} got;

static int on_row(const char *const *fv, size_t n, void *ud)
{
    got *g = ud;
    dp_entry e;
    dp_err err;
    memset(&e, 0, sizeof(e));
    if (dp_entry_parse(&e, fv, n, &err) != 0) fail_msg("row does not parse: %s", err.msg);
    g->rows++;
    snprintf(g->last_session, sizeof(g->last_session), "%s", e.session);
    g->ms_sum += e.ms;
    return 0;
}

static void make_entry(dp_entry *e, int i, char *session)
{
    memset(e, 0, sizeof(*e));
    sprintf(session, "sess-%d", i);
    e->session = session;
    e->mode = "self";
    e->presentation = "p1";
    e->viewer = VIEWER;
    e->prospect = "jane";
    e->source = "beacon";
    e->type = DP_EV_DWELL;
    e->material = "m";
    e->slide = "s";
    e->version = 1;
    e->ms = i;
    e->seq = i;
    e->at = 1763800000000LL + i;
    e->received = 1795000000000LL + i;
    strcpy(e->day, "2026-11-17");
}

static void test_round_trip_and_torn_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/dp-archive-XXXXXX";
    assert_non_null(mkdtemp(dir));
    dp_archive a;
    dp_err err;
    assert_int_equal(dp_archive_open(&a, dir, "c1-1", &err), 0);
    char session[32];
    long long want = 0;
    for (int i = 1; i <= 1000; i++) {
        dp_entry e;
        make_entry(&e, i, session);
        assert_int_equal(dp_archive_append(&a, &e, &err), 0);
        want += i;
        if (i == 600) assert_int_equal(dp_archive_flush(&a, &err), 0);
    }
    dp_archive_close(&a);

    char archive[300];
    snprintf(archive, sizeof(archive), "%s/archive", dir);
    got g = {0, "", 0};
    size_t damaged = 99;
    assert_int_equal(dp_archive_read_dir(archive, on_row, NULL, &g, &damaged, &err), 0);
    assert_int_equal(g.rows, 1000);
    assert_int_equal(g.ms_sum, want);
    assert_string_equal(g.last_session, "sess-1000");
    assert_int_equal(damaged, 0);

    /* Cut the file short, as a kill before the final flush would: the rows
     * up to the damage are read, a torn last row is not. */
    char file[400];
    snprintf(file, sizeof(file), "%s/2026-11-17/c1-1.csv.gz", archive);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(truncate(file, st.st_size / 2), 0);
    memset(&g, 0, sizeof(g));
    assert_int_equal(dp_archive_read_dir(archive, on_row, NULL, &g, &damaged, &err), 0);
    assert_int_equal(damaged, 1);
    assert_true(g.rows > 0 && g.rows < 1000);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip_and_torn_file)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
