#include "report_params.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_request.h"

/* Days from civil date (Howard Hinnant's algorithm), proleptic Gregorian. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void dp_day_format(int64_t z, char out[11])
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02u", (long long)(y + (m <= 2)), m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

int64_t dp_day_parse(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1) return -1;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned max = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > max) return -1;
    return days_from_civil(y, m, d);
}

int dp_report_params_parse(dp_report_params *p, const char *query, size_t qlen, const char *accept,
                           size_t alen, int64_t today, dp_err *err)
{
    char v[64];
    int rc;
    memset(p, 0, sizeof(*p));
    p->to_day = today;
    p->from_day = today - 29;
    if ((rc = dp_http_query_get(query, qlen, "to", v, sizeof(v))) != -ENOENT) {
        if (rc != 0 || (p->to_day = dp_day_parse(v, strlen(v))) < 0)
            return dp_err_set(err, -EINVAL, "to: must be a date YYYY-MM-DD");
        p->from_day = p->to_day - 29;
    }
    if ((rc = dp_http_query_get(query, qlen, "from", v, sizeof(v))) != -ENOENT) {
        if (rc != 0 || (p->from_day = dp_day_parse(v, strlen(v))) < 0)
            return dp_err_set(err, -EINVAL, "from: must be a date YYYY-MM-DD");
    }
    if (p->from_day > p->to_day) return dp_err_set(err, -EINVAL, "from: must not be after to");
    if (p->to_day - p->from_day + 1 > DP_REPORT_MAX_DAYS)
        return dp_err_set(err, -EINVAL, "from: the range is longer than %d days",
                          DP_REPORT_MAX_DAYS);
    dp_day_format(p->from_day, p->from);
    dp_day_format(p->to_day, p->to);
    p->mode = DP_RMODE_ALL;
    if ((rc = dp_http_query_get(query, qlen, "mode", v, sizeof(v))) != -ENOENT) {
        if (rc == 0 && !strcmp(v, "self"))
            p->mode = DP_RMODE_SELF;
        else if (rc == 0 && !strcmp(v, "live"))
            p->mode = DP_RMODE_LIVE;
        else if (rc != 0 || strcmp(v, "all") != 0)
            return dp_err_set(err, -EINVAL, "mode: must be self, live or all");
    }
    p->format = DP_FORMAT_JSON;
    if (accept != NULL && alen >= 8) {
        for (size_t i = 0; i + 8 <= alen; i++)
            if (!strncasecmp(accept + i, "text/csv", 8)) p->format = DP_FORMAT_CSV;
    }
    if ((rc = dp_http_query_get(query, qlen, "format", v, sizeof(v))) != -ENOENT) {
        if (rc == 0 && !strcmp(v, "csv"))
            p->format = DP_FORMAT_CSV;
        else if (rc == 0 && !strcmp(v, "json"))
            p->format = DP_FORMAT_JSON;
        else
            return dp_err_set(err, -EINVAL, "format: must be json or csv");
    }
    return 0;
}
