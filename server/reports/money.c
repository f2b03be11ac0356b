#include "money.h"

dp_money dp_money_parse(const char *s, size_t n)
{
    dp_money v = 0;
    size_t i = 0;
    int frac = -1;
    for (; i < n; i++) {
        if (s[i] == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') return 0;
        if (frac >= 0 && ++frac > 6) return 0;
        v = v * 10 + (s[i] - '0');
    }
    for (int k = frac < 0 ? 0 : frac; k < 6; k++)
        v *= 10;
    return v;
}

void dp_money_append(dp_buf *out, dp_money a)
{
    char d[48];
    size_t n = 0;
    int neg = a < 0;
    if (neg) a = -a;
    do {
        d[n++] = (char)('0' + (int)(a % 10));
        a /= 10;
    } while (a != 0 || n < 7);
    /* d[0..5] are the millionths (least first), d[6..n) the whole part */
    size_t keep = 0; /* decimals shown */
    for (size_t k = 0; k < 6; k++)
        if (d[k] != '0') {
            keep = 6 - k;
            break;
        }
    char s[56];
    size_t len = 0;
    if (neg) s[len++] = '-';
    for (size_t k = n; k > 6; k--)
        s[len++] = d[k - 1];
    if (keep) {
        s[len++] = '.';
        for (size_t k = 0; k < keep; k++)
            s[len++] = d[5 - k];
    }
    dp_buf_append(out, s, len);
}
