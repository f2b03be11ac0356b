/* The engagement score: the documented formula with configured weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "deckpulse/config.h"
#include "score.h"

static void test_formula(void **state)
{
    (void)state;
    dp_config cfg;
    dp_config_init(&cfg);
    dp_score s;
    /* defaults: 2/min dwell, 10/completion, 5/revisit, 15/forward, 8/action, 14 days */
    dp_score_input in = {.dwell_ms = 90000,
                         .completions = 1,
                         .sessions = 3,
                         .forwarded = 1,
                         .actions = 2,
                         .age_days = 0};
    dp_score_compute(&cfg, &in, &s);
    assert_true(fabs(s.points - (3 + 10 + 10 + 15 + 16)) < 1e-9);
    assert_true(fabs(s.score - 54.0) < 1e-9);
    assert_string_equal(s.temperature, "hot");
    in.age_days = 14; /* one half-life */
    dp_score_compute(&cfg, &in, &s);
    assert_true(fabs(s.score - 27.0) < 1e-9);
    assert_string_equal(s.temperature, "warm");
    in.age_days = 28;
    dp_score_compute(&cfg, &in, &s);
    assert_true(fabs(s.score - 13.5) < 1e-9);
    assert_string_equal(s.temperature, "cold");
    /* the weights are configuration */
    dp_err err;
    assert_int_equal(dp_config_set(&cfg, "score_action", "0", "test", &err), 0);
    assert_int_equal(dp_config_set(&cfg, "score_half_life_days", "7", "test", &err), 0);
    in.age_days = 7;
    dp_score_compute(&cfg, &in, &s);
    assert_true(fabs(s.score - 19.0) < 1e-9);
    /* one session is no revisit; nothing scores 0 */
    dp_score_input none = {.sessions = 1};
    dp_score_compute(&cfg, &none, &s);
    assert_true(s.score == 0);
    assert_string_equal(s.temperature, "cold");
    dp_score_compute(&cfg, &in, &s);
    dp_buf out;
    dp_buf_init(&out, 0);
    dp_score_json(&cfg, &in, &s, &out);
    assert_non_null(strstr(out.data, "{\"part\":\"revisits\",\"value\":2.000,\"weight\":5,"
                                     "\"points\":10.000}"));
    assert_non_null(strstr(out.data, "\"age_days\":7,\"half_life_days\":7,\"decay\":0.5000"));
    dp_buf_free(&out);
    dp_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_formula)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
