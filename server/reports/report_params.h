/* The query parameters every report takes: from, to (YYYY-MM-DD, UTC,
 * inclusive; default the last 30 days), mode (self, live, all) and format
 * (json, csv; or Accept: text/csv). A bad one is refused naming it. */
#ifndef DP_REPORT_PARAMS_H
#define DP_REPORT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"

#define DP_REPORT_MAX_DAYS 731 /* two years in one report */

typedef enum dp_report_mode { DP_RMODE_ALL = 0, DP_RMODE_SELF, DP_RMODE_LIVE } dp_report_mode;
typedef enum dp_report_format { DP_FORMAT_JSON = 0, DP_FORMAT_CSV } dp_report_format;

typedef struct dp_report_params {
    int64_t from_day, to_day; /* days since 1970-01-01 */
    char from[11], to[11];    /* YYYY-MM-DD */
    dp_report_mode mode;
    dp_report_format format;
} dp_report_params;

/* Days since the epoch of "YYYY-MM-DD", or -1 if it is not a real date. */
int64_t dp_day_parse(const char *s, size_t n);
/* "YYYY-MM-DD" of days since the epoch into out[11]. */
void dp_day_format(int64_t day, char out[11]);

/* query: the raw query string; accept: the Accept header (or NULL);
 * today: days since the epoch. 0, or -EINVAL with err naming the parameter. */
int dp_report_params_parse(dp_report_params *p, const char *query, size_t qlen, const char *accept,
                           size_t alen, int64_t today, dp_err *err);

#endif
