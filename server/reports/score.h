/* The engagement score: one formula, its weights and half-life from the
 * configuration (score_* settings, deckpulse.conf.sample):
 *
 *   points = score_dwell * minutes of dwell + score_completion * materials
 *            completed + score_revisit * (sessions - 1) + score_forward *
 *            presentations forwarded + score_action * actions
 *   score  = points * 0.5 ^ (days since last seen / score_half_life_days)
 *
 * rounded to one decimal; hot at score_hot, warm at score_warm, else cold.
 * Sessions and actions count at most score_sessions_per_day and
 * score_actions_per_day a day (prospect_load.c applies the caps), so one link
 * opened twenty times in an afternoon, or a button pressed in a loop, does
 * not make a prospect hot.
 * Days since last seen are whole UTC days, so a score is stable within a
 * day and anyone can recompute it from the brief. */
#ifndef DP_SCORE_H
#define DP_SCORE_H

#include <stdint.h>

#include "buf.h"
#include "deckpulse/config.h"

typedef struct dp_score_input {
    int64_t dwell_ms;
    int64_t completions;
    int64_t sessions; /* each day's up to score_sessions_per_day */
    int64_t forwarded;
    int64_t actions;  /* each day's up to score_actions_per_day */
    int64_t age_days; /* today - the day of last seen, >= 0 */
} dp_score_input;

typedef struct dp_score {
    double parts[5]; /* points of dwell, completion, revisits, forwarding, actions */
    double points;
    double decay;
    double score;
    const char *temperature; /* "hot", "warm", "cold" */
} dp_score;

void dp_score_compute(const dp_config *cfg, const dp_score_input *in, dp_score *out);
/* The brief's explanation: {"formula", "parts": [{"part","value","weight",
 * "points"}], "points", "age_days", "half_life_days", "decay"}. */
void dp_score_json(const dp_config *cfg, const dp_score_input *in, const dp_score *s, dp_buf *out);

#endif
