#include "hll.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define HDR         16
#define BITS        6
#define REG_MAX     63
#define Q           50 /* 64 - 14 index bits */
#define DENSE_BYTES ((DP_HLL_REGISTERS * BITS + 7) / 8)
#define ALPHA_INF   0.721347520444481703680 /* 0.5 / ln 2 */

void dp_hll_init(dp_hll *h)
{
    memset(h->reg, 0, sizeof(h->reg));
}

static int merge_dense(uint8_t *out, const uint8_t *p, size_t n)
{
    if (n < DENSE_BYTES) return -EINVAL;
    for (unsigned i = 0; i < DP_HLL_REGISTERS; i++) {
        unsigned long byte = (unsigned long)i * BITS / 8, fb = (unsigned long)i * BITS & 7;
        unsigned long b0 = p[byte], b1 = byte + 1 < n ? p[byte + 1] : 0;
        uint8_t v = (uint8_t)(((b0 >> fb) | (b1 << (8 - fb))) & REG_MAX);
        if (v > out[i]) out[i] = v;
    }
    return 0;
}

/* Sparse: ZERO 00xxxxxx (x+1 zeros), XZERO 01xxxxxx yyyyyyyy (14-bit run
 * + 1), VAL 1vvvvvxx (x+1 registers of value v+1). */
static int merge_sparse(uint8_t *out, const uint8_t *p, size_t n)
{
    uint8_t tmp[DP_HLL_REGISTERS];
    unsigned idx = 0;
    memcpy(tmp, out, sizeof(tmp));
    for (size_t i = 0; i < n; i++) {
        uint8_t b = p[i];
        unsigned run;
        if ((b & 0xc0) == 0) {
            run = (b & 0x3fu) + 1;
        } else if ((b & 0xc0) == 0x40) {
            if (++i >= n) return -EINVAL;
            run = (((unsigned)b & 0x3f) << 8 | p[i]) + 1;
        } else {
            uint8_t v = (uint8_t)(((b >> 2) & 0x1f) + 1);
            run = (b & 0x3u) + 1;
            if (idx + run > DP_HLL_REGISTERS) return -EINVAL;
            for (unsigned k = 0; k < run; k++)
                if (v > tmp[idx + k]) tmp[idx + k] = v;
        }
        idx += run;
        if (idx > DP_HLL_REGISTERS) return -EINVAL;
    }
    if (idx != DP_HLL_REGISTERS) return -EINVAL;
    memcpy(out, tmp, sizeof(tmp));
    return 0;
}

int dp_hll_merge_raw(dp_hll *h, const char *raw, size_t len)
{
    const uint8_t *p = (const uint8_t *)raw;
    if (len < HDR || memcmp(raw, "HYLL", 4) != 0) return -EINVAL;
    if (p[4] == 0) return merge_dense(h->reg, p + HDR, len - HDR);
    if (p[4] == 1) return merge_sparse(h->reg, p + HDR, len - HDR);
    return -EINVAL;
}

static double sigma(double x)
{
    if (x == 1.) return INFINITY;
    double prev, y = 1, z = x;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double tau(double x)
{
    if (x == 0. || x == 1.) return 0.;
    double prev, y = 1.0, z = 1 - x;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

uint64_t dp_hll_count(const dp_hll *h)
{
    double m = DP_HLL_REGISTERS;
    int histo[64] = {0};
    for (unsigned i = 0; i < DP_HLL_REGISTERS; i++)
        histo[h->reg[i]]++;
    double z = m * tau((m - histo[Q + 1]) / m);
    for (int j = Q; j >= 1; --j) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * sigma(histo[0] / m);
    return (uint64_t)llroundl(ALPHA_INF * m * m / z);
}
