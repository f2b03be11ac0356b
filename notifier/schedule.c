#include "schedule.h"

static const int64_t delays[] = {5000, 30000, 120000, 600000, 3600000, 21600000};
#define NDELAYS (sizeof(delays) / sizeof(delays[0]))

int64_t dp_wh_retry_delay(unsigned attempt, int64_t first_ms, int64_t now_ms)
{
    if (attempt < 2) return 0;
    int64_t d = attempt - 2 < NDELAYS ? delays[attempt - 2] : 86400000;
    if (now_ms + d - first_ms > DP_WH_GIVE_UP_MS) return -1;
    return d;
}

int64_t dp_wh_jitter(int64_t delay, double u)
{
    return (int64_t)((double)delay * (0.9 + 0.2 * u));
}
