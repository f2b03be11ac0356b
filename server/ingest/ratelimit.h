/* Token buckets by key (a client address, a link): `rate` tokens a second
 * up to `burst`. At most DP_RATE_KEYS keys are tracked; when full, buckets
 * that have refilled (idle clients) are swept out first, and a key that
 * still finds no room is let through rather than refused (an attacker
 * cannot lock out everyone by filling the table). */
#ifndef DP_RATELIMIT_H
#define DP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

#define DP_RATE_KEYS 100000

typedef struct dp_ratelimit {
    double rate, burst; /* rate 0: off */
    dp_strmap buckets;  /* key -> dp_bucket* */
} dp_ratelimit;

void dp_ratelimit_init(dp_ratelimit *l, double rate, double burst);
void dp_ratelimit_free(dp_ratelimit *l);
/* 0 if a token was taken, else the milliseconds until one will be there. */
uint64_t dp_ratelimit_take(dp_ratelimit *l, const char *key, size_t klen, uint64_t now_ms);
/* The same for cost tokens at once (events of a batch; a cost above the
 * burst costs the burst, so it can pass once the bucket is full). */
uint64_t dp_ratelimit_take_n(dp_ratelimit *l, const char *key, size_t klen, uint64_t now_ms,
                             double cost);

#endif
