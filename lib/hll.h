/* Redis's HyperLogLog, read on our side (issue 22): in a cluster a
 * PFCOUNT over keys of several slots cannot run on any one node, so the
 * client GETs each key's raw HLL (Redis's documented format: a 16-byte
 * "HYLL" header, then 16384 6-bit registers, dense or run-length
 * "sparse"), keeps the largest value of each register, and estimates the
 * union's cardinality the way PFCOUNT does (Ertl's improved estimator,
 * Redis 5 and later) — the same number a PFCOUNT of those keys on one
 * Redis answers. */
#ifndef DP_HLL_H
#define DP_HLL_H

#include <stddef.h>
#include <stdint.h>

#define DP_HLL_REGISTERS 16384

typedef struct dp_hll {
    uint8_t reg[DP_HLL_REGISTERS];
} dp_hll;

void dp_hll_init(dp_hll *h);
/* Merges one raw HLL (a GET's value) into h: 0, or -EINVAL when raw is
 * not one (h then unchanged). */
int dp_hll_merge_raw(dp_hll *h, const char *raw, size_t len);
/* The estimated number of distinct elements. */
uint64_t dp_hll_count(const dp_hll *h);

#endif
