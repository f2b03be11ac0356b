#include "score.h"

#include <math.h>

static double round1(double v)
{
    return floor(v * 10.0 + 0.5) / 10.0;
}

static void weights(const dp_config *cfg, int64_t w[5])
{
    w[0] = cfg->score_dwell;
    w[1] = cfg->score_completion;
    w[2] = cfg->score_revisit;
    w[3] = cfg->score_forward;
    w[4] = cfg->score_action;
}

static void values(const dp_score_input *in, double v[5])
{
    v[0] = (double)in->dwell_ms / 60000.0;
    v[1] = (double)in->completions;
    v[2] = in->sessions > 1 ? (double)(in->sessions - 1) : 0;
    v[3] = (double)in->forwarded;
    v[4] = (double)in->actions;
}

void dp_score_compute(const dp_config *cfg, const dp_score_input *in, dp_score *out)
{
    int64_t w[5];
    double v[5];
    weights(cfg, w);
    values(in, v);
    out->points = 0;
    for (int i = 0; i < 5; i++) {
        out->parts[i] = (double)w[i] * v[i];
        out->points += out->parts[i];
    }
    int64_t age = in->age_days > 0 ? in->age_days : 0;
    out->decay = pow(0.5, (double)age / (double)cfg->score_half_life_days);
    out->score = round1(out->points * out->decay);
    out->temperature = out->score >= (double)cfg->score_hot    ? "hot"
                       : out->score >= (double)cfg->score_warm ? "warm"
                                                               : "cold";
}

void dp_score_json(const dp_config *cfg, const dp_score_input *in, const dp_score *s, dp_buf *out)
{
    static const char *const names[5] = {"dwell_minutes", "completions", "revisits", "forwarded",
                                         "actions"};
    int64_t w[5];
    double v[5];
    weights(cfg, w);
    values(in, v);
    dp_buf_puts(out, "{\"formula\":\"(score_dwell*dwell_minutes + score_completion*completions"
                     " + score_revisit*revisits + score_forward*forwarded + score_action*actions)"
                     " * 0.5^(age_days/score_half_life_days)\",\"parts\":[");
    for (int i = 0; i < 5; i++)
        dp_buf_printf(out, "%s{\"part\":\"%s\",\"value\":%.3f,\"weight\":%lld,\"points\":%.3f}",
                      i ? "," : "", names[i], v[i], (long long)w[i], s->parts[i]);
    dp_buf_printf(out,
                  "],\"points\":%.3f,\"age_days\":%lld,\"half_life_days\":%lld,\"decay\":%.4f,"
                  "\"warm_at\":%lld,\"hot_at\":%lld,\"sessions_per_day_max\":%lld,"
                  "\"actions_per_day_max\":%lld}",
                  s->points, (long long)(in->age_days > 0 ? in->age_days : 0),
                  (long long)cfg->score_half_life_days, s->decay, (long long)cfg->score_warm,
                  (long long)cfg->score_hot, (long long)cfg->score_sessions_per_day,
                  (long long)cfg->score_actions_per_day);
}
