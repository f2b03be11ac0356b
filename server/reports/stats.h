/* Reading aggregates back: dwell histograms (sum, count, 33 buckets) and
 * their quantiles, and the per-name action counts of a report row. */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "deckpulse/keys.h"

typedef struct dp_dwell {
    int64_t sum, n;
    int64_t hist[DP_DWELL_BUCKETS];
} dp_dwell;

/* Adds one hash field of a dwell aggregate ("dwell_sum", "dwell_n",
 * "h<bucket>"): 1 if it was one, 0 if not. */
int dp_dwell_field(dp_dwell *d, const char *f, size_t flen, int64_t v);
void dp_dwell_add(dp_dwell *d, const dp_dwell *o);
/* The q-quantile (0 < q < 1) in ms, or -1 when there is no dwell: the value
 * at rank q * count, linear within its bucket (bucket i spans bounds[i-1]
 * to bounds[i]; the first starts at 0, the last ends at twice the last
 * bound). So it is within one bucket's width of the exact quantile. */
int64_t dp_dwell_quantile(const dp_dwell *d, double q);

#define DP_ACTIONS_MAX 64 /* distinct action names kept per row */

typedef struct dp_actions {
    size_t n;
    struct {
        char *name;
        int64_t count;
    } * v;
} dp_actions;

void dp_actions_add(dp_actions *a, const char *name, size_t len, int64_t count);
void dp_actions_merge(dp_actions *a, const dp_actions *o);
int64_t dp_actions_total(const dp_actions *a);
/* {"name":count,...} sorted by name */
void dp_actions_json(dp_actions *a, dp_buf *out);
/* name:count;name:count sorted by name, for a CSV cell */
void dp_actions_text(dp_actions *a, dp_buf *out);
void dp_actions_free(dp_actions *a);

/* A decimal integer reply, or 0. */
int64_t dp_stat_int(const char *s, size_t n);

#endif
