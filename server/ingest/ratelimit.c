#include "ratelimit.h"

#include <math.h>

#include "alloc.h"

typedef struct bucket {
    double tokens;
    uint64_t at; /* ms of the last refill */
} bucket;

void dp_ratelimit_init(dp_ratelimit *l, double rate, double burst)
{
    l->rate = rate;
    l->burst = burst < 1 ? 1 : burst;
    dp_strmap_init(&l->buckets);
}

void dp_ratelimit_free(dp_ratelimit *l)
{
    for (size_t i = 0; i < l->buckets.cap; i++) {
        dp_strmap_slot *s = &l->buckets.slots[i];
        if (s->value) dp_free(s->value);
    }
    dp_strmap_free(&l->buckets);
}

static void refill(const dp_ratelimit *l, bucket *b, uint64_t now)
{
    if (now > b->at) {
        b->tokens = fmin(l->burst, b->tokens + (double)(now - b->at) * l->rate / 1000.0);
        b->at = now;
    }
}

/* Removes the buckets that are full again: their clients went quiet. */
static void sweep(dp_ratelimit *l, uint64_t now)
{
    for (size_t i = 0; i < l->buckets.cap; i++) {
        dp_strmap_slot *s = &l->buckets.slots[i];
        bucket *b = s->value;
        if (b == NULL) continue;
        refill(l, b, now);
        if (b->tokens >= l->burst) {
            dp_strmap_del(&l->buckets, s->key, s->klen);
            dp_free(b);
        }
    }
}

uint64_t dp_ratelimit_take(dp_ratelimit *l, const char *key, size_t klen, uint64_t now_ms)
{
    return dp_ratelimit_take_n(l, key, klen, now_ms, 1);
}

uint64_t dp_ratelimit_take_n(dp_ratelimit *l, const char *key, size_t klen, uint64_t now_ms,
                             double cost)
{
    if (l->rate <= 0) return 0;
    if (cost > l->burst) cost = l->burst; /* else it could never pass */
    bucket *b = dp_strmap_get(&l->buckets, key, klen);
    if (b == NULL) {
        if (l->buckets.n >= DP_RATE_KEYS) sweep(l, now_ms);
        if (l->buckets.n >= DP_RATE_KEYS) return 0;
        b = dp_malloc(sizeof(*b));
        b->tokens = l->burst;
        b->at = now_ms;
        if (dp_strmap_put(&l->buckets, key, klen, b) != 0) {
            dp_free(b);
            return 0;
        }
    }
    refill(l, b, now_ms);
    if (b->tokens >= cost) {
        b->tokens -= cost;
        return 0;
    }
    return (uint64_t)ceil((cost - b->tokens) * 1000.0 / l->rate);
}
