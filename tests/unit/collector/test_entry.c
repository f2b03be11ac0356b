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
    expect("v", "4", "entry: v must be 1, 2 or 3");
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

/* A stream entry reply [id, [f, v, ...]] built by hand. */
typedef struct fake {
    redisReply top, id, fields, kv[40];
    redisReply *top_el[2], *field_el[40];
} fake;

static void fake_entry(fake *f, const char *id, const char *const *fv, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->top = (redisReply){.type = REDIS_REPLY_ARRAY, .elements = 2, .element = f->top_el};
    f->top_el[0] = &f->id;
    f->top_el[1] = &f->fields;
    f->id = (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)id, .len = strlen(id)};
    f->fields = (redisReply){.type = REDIS_REPLY_ARRAY, .elements = n, .element = f->field_el};
    for (size_t i = 0; i < n; i++) {
        f->kv[i] =
            (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)fv[i], .len = strlen(fv[i])};
        f->field_el[i] = &f->kv[i];
    }
}

static const char *batch_fields[] = {
    "v",        "2",    "received", "1795000000000", "source", "beacon", "session",
    "s1",       "mode", "self",     "presentation",  "p1",     "viewer", VIEWER,
    "prospect", "jane", "account",  "acme",          "n",      "5",      "events",
    NULL};
#define NBATCH (sizeof(batch_fields) / sizeof(batch_fields[0]))

static int read_events(const char *events, dp_entry_list *l, dp_err *err)
{
    const char *fv[NBATCH];
    memcpy(fv, batch_fields, sizeof(fv));
    fv[NBATCH - 1] = events;
    fake f;
    fake_entry(&f, "1-7", fv, NBATCH);
    char id[DP_ENTRY_ID_MAX];
    int rc = dp_entry_read(&f.top, l, id, sizeof(id), err);
    assert_string_equal(id, "1-7");
    return rc;
}

static void test_batch_entry(void **state)
{
    (void)state;
    dp_entry_list l = {0};
    dp_err err = {""};
    int rc = read_events("1 open 1763800000123 12\n2 view 1763800000200 q3 roi 2 3\n"
                         "3 dwell 1763800005600 q3 roi 2 5400\n"
                         "4 action 1763800005700 q3 roi 1 book-demo\n5 close 1763800064000",
                         &l, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(l.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(l.v[i].id, "1-7");
        assert_string_equal(l.v[i].session, "s1");
        assert_string_equal(l.v[i].account, "acme");
        assert_int_equal(l.v[i].seq, (int64_t)i + 1);
        assert_int_equal(l.v[i].received, 1795000000000LL);
    }
    assert_int_equal(l.v[0].type, DP_EV_OPEN);
    assert_int_equal(l.v[0].slides, 12);
    assert_int_equal(l.v[1].type, DP_EV_VIEW);
    assert_string_equal(l.v[1].material, "q3");
    assert_string_equal(l.v[1].slide, "roi");
    assert_int_equal(l.v[1].version, 2);
    assert_int_equal(l.v[1].index, 3);
    assert_int_equal(l.v[2].ms, 5400);
    assert_string_equal(l.v[3].name, "book-demo");
    assert_int_equal(l.v[4].type, DP_EV_CLOSE);
    assert_int_equal(l.v[4].at, 1763800064000LL);
    dp_entry_list_free(&l);
}

static void test_batch_poison(void **state)
{
    (void)state;
    const struct {
        const char *events, *msg;
    } cases[] = {
        {"1 open 1763800000123", "entry: 1 events where n says 5"},
        {"1 open 1 2 3 4 5\n2 close 1\n3 close 1\n4 close 1\n5 close 1",
         "entry: event 0: bad line"},
        {"1 view 1763800000200 q3 roi 2\n2 close 1\n3 close 1\n4 close 1\n5 close 1",
         "entry: event 0: bad line"},
        {"1 close 1763800000123\n2 scroll 1763800000123 a b 1 2\n3 close 1\n4 close 1\n5 close 1",
         "entry: bad type"},
        {"1 close 1763800000123\n2 view 1763800000200 q3 r/oi 2 3\n3 close 1\n4 close 1\n5 close 1",
         "entry: bad material or slide"},
        {"1 close 1763800000123\n2 close 1763800000123\n3 close 1763800000123\n"
         "4 close 1763800000123\n5 close 1763800000123\n6 close 1763800000123",
         "entry: more events than n says (5)"},
        {"1  close 1763800000123", "entry: event 0: bad line"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dp_entry_list l = {0};
        dp_err err = {""};
        /* one good entry first: a refused one leaves the list as it was */
        assert_int_equal(read_events("1 close 1763800000123\n2 close 1763800000123\n"
                                     "3 close 1763800000123\n4 close 1763800000123\n"
                                     "5 close 1763800000123",
                                     &l, &err),
                         0);
        int rc = read_events(cases[i].events, &l, &err);
        if (rc != -EINVAL || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got %d '%s', want '%s'", i, rc, err.msg, cases[i].msg);
        assert_int_equal(l.n, 5);
        dp_entry_list_free(&l);
    }
}

/* A version 3 entry (several batches, each a head line and its events)
 * with k and n as given. */
static int read_batches(const char *k, const char *n, const char *batches, dp_entry_list *l,
                        dp_err *err)
{
    const char *fv[] = {"v", "3", "k", k, "n", n, "batches", batches};
    fake f;
    fake_entry(&f, "2-9", fv, 8);
    char id[DP_ENTRY_ID_MAX];
    return dp_entry_read(&f.top, l, id, sizeof(id), err);
}

#define HEAD_JANE "1795000000000 beacon s1 self p1 " VIEWER " jane acme  bob "
#define HEAD_ANON "1795100000000 pixel px-1 live p2 " VIEWER "     "

static void test_batches_entry(void **state)
{
    (void)state;
    dp_entry_list l = {0};
    dp_err err = {""};
    int rc = read_batches("2", "3",
                          HEAD_JANE
                          "2\n1 open 1763800000123 12\n2 view 1763800000200 q3 roi 2 3\n" HEAD_ANON
                          "1\n1 open 1795000086400",
                          &l, &err);
    if (rc != 0) fail_msg("%s", err.msg);
    assert_int_equal(l.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(l.v[i].id, "2-9");
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(l.v[i].source, "beacon");
        assert_string_equal(l.v[i].session, "s1");
        assert_string_equal(l.v[i].mode, "self");
        assert_string_equal(l.v[i].presentation, "p1");
        assert_string_equal(l.v[i].viewer, VIEWER);
        assert_string_equal(l.v[i].prospect, "jane");
        assert_string_equal(l.v[i].account, "acme");
        assert_null(l.v[i].campaign);
        assert_string_equal(l.v[i].owner, "bob");
        assert_int_equal(l.v[i].received, 1795000000000LL);
        assert_string_equal(l.v[i].day, "2026-11-18");
    }
    assert_int_equal(l.v[0].type, DP_EV_OPEN);
    assert_int_equal(l.v[0].slides, 12);
    assert_int_equal(l.v[1].type, DP_EV_VIEW);
    assert_int_equal(l.v[1].index, 3);
    assert_string_equal(l.v[2].source, "pixel");
    assert_string_equal(l.v[2].session, "px-1");
    assert_string_equal(l.v[2].mode, "live");
    assert_string_equal(l.v[2].presentation, "p2");
    assert_null(l.v[2].prospect);
    assert_null(l.v[2].account);
    assert_null(l.v[2].owner);
    assert_string_equal(l.v[2].day, "2026-11-19");
    assert_int_equal(l.v[2].slides, 0);
    dp_entry_list_free(&l);
}

static void test_batches_poison(void **state)
{
    (void)state;
    const struct {
        const char *k, *n, *batches, *msg;
    } cases[] = {
        {"0", "1", HEAD_ANON "1\n1 close 1795000086400", "entry: bad k"},
        {"129", "1", HEAD_ANON "1\n1 close 1795000086400", "entry: bad k"},
        {"1", "x", HEAD_ANON "1\n1 close 1795000086400", "entry: bad n"},
        {"2", "1", HEAD_ANON "1\n1 close 1795000086400", "entry: 1 batches where k says 2"},
        {"1", "2", HEAD_ANON "1\n1 close 1795000086400\n" HEAD_ANON "1\n1 close 1795000086400",
         "entry: more batches than k says (1)"},
        {"1", "2", HEAD_ANON "1\n1 close 1795000086400", "entry: 1 events where n says 2"},
        {"1", "2", HEAD_ANON "2\n1 close 1795000086400", "entry: 1 events where n says 2"},
        {"1", "1", "1795000086400 pixel px-1 live p2 " VIEWER " 1\n1 close 1795000086400",
         "entry: batch 0: bad head line"},
        {"1", "1", HEAD_ANON "1 x\n1 close 1795000086400", "entry: batch 0: bad head line"},
        {"1", "1", HEAD_ANON "0\n1 close 1795000086400", "entry: batch 0: bad head line"},
        {"1", "1", "1795000086400 pixel px/1 live p2 " VIEWER "     1\n1 close 1795000086400",
         "entry: bad session"},
        {"1", "1", "1795000086400 pixel px-1 live p2 " VIEWER "  acme   1\n1 close 1795000086400",
         "entry: account without prospect"},
        {"1", "1", HEAD_ANON "1\n1 close 1795000086400 7", "entry: event 0: bad line"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dp_entry_list l = {0};
        dp_err err = {""};
        /* one good entry first: a refused one leaves the list as it was */
        assert_int_equal(read_batches("1", "1", HEAD_ANON "1\n1 close 1795000086400", &l, &err), 0);
        int rc = read_batches(cases[i].k, cases[i].n, cases[i].batches, &l, &err);
        if (rc != -EINVAL || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got %d '%s', want '%s'", i, rc, err.msg, cases[i].msg);
        assert_int_equal(l.n, 1);
        dp_entry_list_free(&l);
    }
    /* the second of two batches refused: none of the entry is kept */
    dp_entry_list l = {0};
    dp_err err = {""};
    assert_int_equal(read_batches("2", "2",
                                  HEAD_ANON "1\n1 close 1795000086400\n" HEAD_ANON
                                            "1\n1 scroll 1795000086400",
                                  &l, &err),
                     -EINVAL);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ntexts, 0);
    dp_entry_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),         cmocka_unit_test(test_poison),
        cmocka_unit_test(test_batch_entry),   cmocka_unit_test(test_batch_poison),
        cmocka_unit_test(test_batches_entry), cmocka_unit_test(test_batches_poison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
