/* Comparing two slide versions with confidence: the two-proportion z-test
 * of their drop-off rates (exits of sessions) and Wilson 95 % intervals.
 * A difference is called significant when p < 0.05 and each version has
 * at least DP_CONFIDENCE_MIN_SESSIONS sessions. */
#ifndef DP_CONFIDENCE_H
#define DP_CONFIDENCE_H

#include <stdint.h>

#define DP_CONFIDENCE_MIN_SESSIONS 30

/* Two-sided p-value of the pooled two-proportion z-test of x1/n1 against
 * x2/n2 (1 when there is no variance, or n1 or n2 is 0). */
double dp_two_prop_p(int64_t x1, int64_t n1, int64_t x2, int64_t n2);
/* Wilson score interval of x/n at 95 % (z = 1.959964): [*lo, *hi]; [0, 1]
 * when n is 0. */
void dp_wilson(int64_t x, int64_t n, double *lo, double *hi);

#endif
