/* Comparing two slide versions: confidence.h. */
#include "confidence.h"

#include <math.h>

#define Z95 1.959963984540054

double dp_two_prop_p(int64_t x1, int64_t n1, int64_t x2, int64_t n2)
{
    if (n1 <= 0 || n2 <= 0) return 1.0;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double p = (double)(x1 + x2) / (double)(n1 + n2);
    double se = sqrt(p * (1.0 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
    if (se == 0) return 1.0;
    double z = (p1 - p2) / se;
    return erfc(fabs(z) / sqrt(2.0));
}

void dp_wilson(int64_t x, int64_t n, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double nn = (double)n, p = (double)x / nn, z2 = Z95 * Z95;
    double den = 1.0 + z2 / nn;
    double center = (p + z2 / (2.0 * nn)) / den;
    double half = Z95 * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / den;
    *lo = center - half < 0 ? 0 : center - half;
    *hi = center + half > 1 ? 1 : center + half;
}
