/* Wall-clock time in epoch milliseconds (UTC): event receive times, token
 * expiry. Durations use uv_now() / uv_hrtime() instead. */
#ifndef DP_CLOCK_H
#define DP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t dp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "YYYY-MM-DD" (UTC) of an epoch-ms time into out[11]. Runs for every
 * ingest request: the date comes from the day number by arithmetic (the
 * proleptic Gregorian calendar, days to civil date), not gmtime and
 * strftime; times before 1970 or outside the years 1000-9999 go the slow
 * way. */
static inline void dp_day(int64_t ms, char out[11])
{
    int64_t days = ms / 86400000 - (ms % 86400000 < 0);
    int64_t z = days + 719468; /* from 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (ms < 0 || y < 1000 || y > 9999) {
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, 11, "%Y-%m-%d", &tm);
        return;
    }
    const char digits[] = "0123456789";
    out[0] = digits[y / 1000];
    out[1] = digits[y / 100 % 10];
    out[2] = digits[y / 10 % 10];
    out[3] = digits[y % 10];
    out[4] = '-';
    out[5] = digits[m / 10];
    out[6] = digits[m % 10];
    out[7] = '-';
    out[8] = digits[d / 10];
    out[9] = digits[d % 10];
    out[10] = '\0';
}

#endif
