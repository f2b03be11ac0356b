/* When a failed delivery is tried again (PRODUCT.md, "Alerts and
 * webhooks"): 5 s, 30 s, 2 min, 10 min, 1 h, 6 h after the attempts that
 * failed, then daily until three days have passed since the first; then it
 * is dead-lettered. Each delay gets up to ±10 % of jitter so that endpoints
 * that came back do not get every retry at the same instant. */
#ifndef DP_SCHEDULE_H
#define DP_SCHEDULE_H

#include <stdint.h>

#define DP_WH_GIVE_UP_MS (3 * 86400000LL) /* after the first attempt */

/* The delay before attempt `attempt` (2 for the first retry), in ms,
 * before jitter; -1 when there is none (dead letter). first_ms: the first
 * attempt's time, now_ms: now. */
int64_t dp_wh_retry_delay(unsigned attempt, int64_t first_ms, int64_t now_ms);
/* delay with jitter: delay * (0.9 + 0.2 * u), u in [0, 1). */
int64_t dp_wh_jitter(int64_t delay, double u);

#endif
