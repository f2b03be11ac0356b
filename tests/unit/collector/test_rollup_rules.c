/* The rollup's rules without Redis (collector/rollup_rules.c): a session's
 * state and events in, the writes out, checked counter by counter against
 * docs/metrics.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "rollup_rules.h"

#define D1 "2026-12-01"
#define D2 "2026-12-02"

static size_t nkept;

static batch *new_batch(void)
{
    nkept = 0;
    batch *b = calloc(1, sizeof(*b));
    b->shard = 0;
    b->shards = 1;
    b->ops.zadd_keep = DP_TIMELINE_MAX;
    dp_buf_init(&b->out, 0);
    return b;
}

static void free_batch(batch *b)
{
    dp__rb_free(b);
    free(b);
}

/* A new session of the batch (its hash was empty). */
static sess *fresh(batch *b, const char *sid)
{
    sess *s = dp__rb_session(b, sid);
    s->isnew = 1;
    return s;
}

static int64_t seq_of(const char *sid)
{
    static char last[32];
    static int64_t n;
    if (strcmp(last, sid) != 0) {
        snprintf(last, sizeof(last), "%s", sid);
        n = 0;
    }
    return ++n;
}

/* An event of session sid of "jane" (prospect NULL: anonymous) on day. */
static dp_entry ev(const char *sid, const char *prospect, const char *day, dp_event_type t)
{
    dp_entry e;
    memset(&e, 0, sizeof(e));
    e.session = sid;
    e.mode = "self";
    e.presentation = "deck";
    e.prospect = prospect;
    e.account = prospect ? "acme" : NULL;
    e.viewer = "a:0123456789abcdef0123456789abcdef";
    e.source = "beacon";
    e.type = t;
    e.seq = seq_of(sid);
    e.at = 1764547200000 + e.seq * 1000;
    e.received = e.at;
    snprintf(e.day, sizeof(e.day), "%s", day);
    return e;
}

/* The batch keeps pointers into its entries (as into the stream's reply):
 * they live until the test's end. */
static dp_entry kept[64];

static void apply(batch *b, sess *s, dp_entry e)
{
    assert_true(nkept < sizeof(kept) / sizeof(kept[0]));
    kept[nkept] = e;
    dp__rollup_apply_event(b, s, &kept[nkept++]);
}

static dp_entry open_(const char *sid, const char *pr, const char *day, int64_t slides)
{
    dp_entry e = ev(sid, pr, day, DP_EV_OPEN);
    e.slides = slides;
    return e;
}

static dp_entry view(const char *sid, const char *pr, const char *day, const char *slide,
                     int64_t version, int64_t index)
{
    dp_entry e = ev(sid, pr, day, DP_EV_VIEW);
    e.material = "q3";
    e.slide = slide;
    e.version = version;
    e.index = index;
    return e;
}

static dp_entry dwell(const char *sid, const char *pr, const char *day, const char *slide,
                      int64_t ms, int bucket)
{
    dp_entry e = ev(sid, pr, day, DP_EV_DWELL);
    e.material = "q3";
    e.slide = slide;
    e.version = 1;
    e.ms = ms;
    e.bucket = bucket;
    return e;
}

/* The sum of the increments of key's field in the batch (0: none). */
static int64_t counter(batch *b, const char *key, const char *field)
{
    int64_t n = 0;
    for (size_t i = 0; i < b->ops.n; i++) {
        const dp_op *o = &b->ops.v[i];
        if (o->kind == DP_OP_HINCR && !strcmp(o->key, key) && !strcmp(o->member, field)) n += o->n;
    }
    return n;
}

/* Whether a counter field of key was written at all (even summing to 0). */
static int fields_like(batch *b, const char *key, const char *prefix)
{
    int n = 0;
    for (size_t i = 0; i < b->ops.n; i++) {
        const dp_op *o = &b->ops.v[i];
        if (o->kind == DP_OP_HINCR && !strcmp(o->key, key) &&
            !strncmp(o->member, prefix, strlen(prefix)))
            n++;
    }
    return n;
}

static int has(batch *b, dp_op_kind kind, const char *key, const char *member)
{
    for (size_t i = 0; i < b->ops.n; i++) {
        const dp_op *o = &b->ops.v[i];
        if (o->kind == kind && !strcmp(o->key, key) && !strcmp(o->member, member)) return 1;
    }
    return 0;
}

static int count_kind(batch *b, dp_op_kind kind, const char *key)
{
    int n = 0;
    for (size_t i = 0; i < b->ops.n; i++)
        n += b->ops.v[i].kind == kind && !strcmp(b->ops.v[i].key, key);
    return n;
}

#define MAT  "dp:{0}:mat:q3:" D1 ":self"
#define SL   "dp:{0}:slides:q3:" D1 ":self"
#define PD   "dp:{0}:pd:jane:" D1 ":self"
#define PRES "dp:{0}:pres:deck"

/* open 3 slides, intro (dwell 4 s), roi v2 at the last position (completes),
 * an action there, close: every counter the definitions name. */
static void test_complete_session(void **state)
{
    (void)state;
    batch *b = new_batch();
    sess *s = fresh(b, "s1");
    apply(b, s, open_("s1", "jane", D1, 3));
    apply(b, s, view("s1", "jane", D1, "intro", 1, 0));
    apply(b, s, dwell("s1", "jane", D1, "intro", 4000, 7));
    apply(b, s, view("s1", "jane", D1, "roi", 2, 2));
    dp_entry a = ev("s1", "jane", D1, DP_EV_ACTION);
    a.material = "q3";
    a.slide = "roi";
    a.version = 2;
    a.name = "book-demo";
    apply(b, s, a);
    apply(b, s, ev("s1", "jane", D1, DP_EV_CLOSE));

    /* the material: one session, completed, deepest position 2, two views */
    assert_int_equal(counter(b, MAT, "sessions"), 1);
    assert_int_equal(counter(b, MAT, "completed"), 1);
    assert_int_equal(counter(b, MAT, "views"), 2);
    assert_int_equal(counter(b, MAT, "x0"), 0); /* moved to x2 */
    assert_int_equal(counter(b, MAT, "x2"), 1);
    assert_int_equal(counter(b, MAT, "dwell_sum"), 4000);
    assert_int_equal(counter(b, MAT, "dwell_n"), 1);
    assert_int_equal(counter(b, MAT, "h7"), 1);
    /* each slide version */
    assert_int_equal(counter(b, SL, "intro|1|views"), 1);
    assert_int_equal(counter(b, SL, "intro|1|sessions"), 1);
    assert_int_equal(counter(b, SL, "intro|1|dwell_sum"), 4000);
    assert_int_equal(counter(b, SL, "roi|2|views"), 1);
    assert_int_equal(counter(b, SL, "roi|2|sessions"), 1);
    assert_int_equal(counter(b, SL, "roi|2|a:book-demo"), 1);
    assert_int_equal(counter(b, SL, "roi|2|exits"), 1); /* its last view */
    assert_int_equal(counter(b, SL, "intro|1|exits"), 0);
    /* the presentation and the prospect */
    assert_int_equal(counter(b, PRES, "sessions"), 1);
    assert_int_equal(counter(b, PRES, "completed"), 1);
    assert_int_equal(counter(b, "dp:{0}:presd:deck:" D1 ":self", "completed"), 1);
    assert_int_equal(counter(b, PD, "sessions"), 1);
    assert_int_equal(counter(b, PD, "views"), 2);
    assert_int_equal(counter(b, PD, "dwell"), 4000);
    assert_int_equal(counter(b, PD, "m:q3:dwell"), 4000);
    assert_int_equal(counter(b, PD, "m:q3:completed"), 1);
    assert_int_equal(counter(b, PD, "s:q3|roi|2:views"), 1);
    assert_int_equal(counter(b, PD, "a:book-demo"), 1);
    /* sets, viewers, the timeline: every event of the prospect */
    assert_true(has(b, DP_OP_SADD, "dp:{0}:materials", "q3"));
    assert_true(has(b, DP_OP_SADD, "dp:{0}:days:q3", D1));
    assert_true(has(b, DP_OP_SADD, "dp:{0}:pseen:jane:q3", "intro"));
    assert_true(has(b, DP_OP_SADD, "dp:{0}:pseen:jane:q3", "roi"));
    assert_true(has(b, DP_OP_SADD, "dp:{0}:aprospects:acme", "jane"));
    assert_true(has(b, DP_OP_PFADD, "dp:{0}:mv:q3:" D1 ":self", "jane"));
    assert_true(has(b, DP_OP_PFADD, "dp:{0}:sv:q3:roi:2:" D1 ":self", "jane"));
    assert_true(has(b, DP_OP_PFADD, "dp:{0}:pv:deck", "a:0123456789abcdef0123456789abcdef"));
    assert_int_equal(count_kind(b, DP_OP_ZADD, "dp:{0}:ptl:jane"), 6);
    /* the session's state */
    assert_int_equal(s->completed, 1);
    assert_int_equal(s->ended, 1);
    assert_int_equal(s->seen, 2);
    assert_int_equal(s->maxidx, 2);
    assert_string_equal(s->exit, "q3|roi|2|" D1 "|self");
    assert_int_equal(b->k.unplaced, 0);
    free_batch(b);
}

/* A view past the slides the session announced: a view of its slide, not a
 * position (no completion, no funnel depth, no slide seen), counted. */
static void test_unplaced_view(void **state)
{
    (void)state;
    batch *b = new_batch();
    sess *s = fresh(b, "s2");
    apply(b, s, open_("s2", "jane", D1, 2));
    apply(b, s, view("s2", "jane", D1, "extra", 1, 5));
    assert_int_equal(b->k.unplaced, 1);
    assert_int_equal(counter(b, MAT, "views"), 1);
    assert_int_equal(counter(b, MAT, "sessions"), 1);
    assert_int_equal(fields_like(b, MAT, "x"), 0);
    assert_int_equal(counter(b, MAT, "completed"), 0);
    assert_int_equal(counter(b, SL, "extra|1|views"), 1);
    assert_int_equal(s->seen, 0);
    assert_int_equal(s->maxidx, -1);
    assert_int_equal(s->completed, 0);
    free_batch(b);
}

/* A session counts for a material on the day of its earliest view of it:
 * a view of an earlier day applied later moves it (and its depth). */
static void test_earliest_day(void **state)
{
    (void)state;
    batch *b = new_batch();
    sess *s = fresh(b, "s3");
    apply(b, s, open_("s3", NULL, D2, 4));
    apply(b, s, view("s3", NULL, D2, "a", 1, 1));
    apply(b, s, view("s3", NULL, D1, "b", 1, 0));
    const char *m1 = "dp:{0}:mat:q3:" D1 ":self", *m2 = "dp:{0}:mat:q3:" D2 ":self";
    assert_int_equal(counter(b, m1, "sessions"), 1);
    assert_int_equal(counter(b, m2, "sessions"), 0);
    assert_int_equal(counter(b, m1, "x1"), 1); /* its depth goes with it */
    assert_int_equal(counter(b, m2, "x1"), 0);
    /* views stay on their own days; anonymous: no prospect counters */
    assert_int_equal(counter(b, m1, "views"), 1);
    assert_int_equal(counter(b, m2, "views"), 1);
    assert_true(
        has(b, DP_OP_PFADD, "dp:{0}:mv:q3:" D1 ":self", "a:0123456789abcdef0123456789abcdef"));
    for (size_t i = 0; i < b->ops.n; i++)
        assert_null(strstr(b->ops.v[i].key, ":pd:"));
    /* for a presentation, the day of the session's first event */
    assert_int_equal(counter(b, "dp:{0}:presd:deck:" D2 ":self", "sessions"), 1);
    free_batch(b);
}

/* The exit is the session's last view: a view after its close moves it. */
static void test_exit_moves(void **state)
{
    (void)state;
    batch *b = new_batch();
    sess *s = fresh(b, "s4");
    apply(b, s, open_("s4", "jane", D1, 3));
    apply(b, s, view("s4", "jane", D1, "a", 1, 0));
    apply(b, s, ev("s4", "jane", D1, DP_EV_CLOSE));
    assert_int_equal(counter(b, SL, "a|1|exits"), 1);
    apply(b, s, view("s4", "jane", D1, "b", 1, 1));
    assert_int_equal(counter(b, SL, "a|1|exits"), 0);
    assert_int_equal(counter(b, SL, "b|1|exits"), 1);
    assert_string_equal(s->exit, "q3|b|1|" D1 "|self");
    free_batch(b);
}

/* A session continued from its stored state: the open was applied in an
 * earlier batch, completion comes now and counts once. */
static void test_continued_session(void **state)
{
    (void)state;
    batch *b = new_batch();
    sess *s = dp__rb_session(b, "s5");
    s->isnew = 0;
    s->presentation = "deck";
    s->prospect = "jane";
    s->account = "acme";
    s->mode = "self";
    s->slides = 2;
    s->maxidx = 0;
    s->seen = 1;
    s->lastseq = 2;
    s->last = "q3|intro|1|" D1 "|self";
    dp_entry v = view("s5", "jane", D1, "end", 1, 1);
    v.seq = 3; /* after the two applied before */
    apply(b, s, v);
    assert_int_equal(s->completed, 1);
    assert_int_equal(counter(b, PRES, "sessions"), 0); /* counted before */
    assert_int_equal(counter(b, PRES, "completed"), 1);
    assert_int_equal(counter(b, PD, "sessions"), 0);
    assert_int_equal(s->seen, 2);
    assert_string_equal(s->last, "q3|end|1|" D1 "|self");
    free_batch(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_session),  cmocka_unit_test(test_unplaced_view),
        cmocka_unit_test(test_earliest_day),      cmocka_unit_test(test_exit_moves),
        cmocka_unit_test(test_continued_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
