/* Amounts of deals, exact: a decimal with at most 15 digits before the point
 * and 6 after (outcome.h) is held in millionths in a 128-bit integer, so
 * any sum of them is exact; a share (an amount split evenly among n) is
 * rounded to the millionth, half up. */
#ifndef DP_MONEY_H
#define DP_MONEY_H

#include <stddef.h>

#include "buf.h"

typedef __int128 dp_money;

/* "1234.5" -> 1234500000; "" or anything else -> 0. */
dp_money dp_money_parse(const char *s, size_t n);
/* a / n rounded to the millionth, half up (n >= 1). */
static inline dp_money dp_money_share(dp_money a, size_t n)
{
    return (2 * a + (dp_money)n) / (2 * (dp_money)n);
}
/* Appends a as a JSON number: digits, and a point with the decimals that
 * are not zero ("1234.5", "0", "0.000001"). */
void dp_money_append(dp_buf *out, dp_money a);

#endif
