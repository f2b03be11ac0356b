#include "stats.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int64_t dp_stat_int(const char *s, size_t n)
{
    int64_t v = 0;
    int neg = n > 0 && s[0] == '-';
    for (size_t i = (size_t)neg; i < n && i < 20; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    return neg ? -v : v;
}

int dp_dwell_field(dp_dwell *d, const char *f, size_t flen, int64_t v)
{
    if (flen == 9 && !memcmp(f, "dwell_sum", 9)) {
        d->sum += v;
        return 1;
    }
    if (flen == 7 && !memcmp(f, "dwell_n", 7)) {
        d->n += v;
        return 1;
    }
    if (flen >= 2 && flen <= 3 && f[0] == 'h') {
        int b = 0;
        for (size_t i = 1; i < flen; i++) {
            if (f[i] < '0' || f[i] > '9') return 0;
            b = b * 10 + (f[i] - '0');
        }
        if (b < DP_DWELL_BUCKETS) {
            d->hist[b] += v;
            return 1;
        }
    }
    return 0;
}

void dp_dwell_add(dp_dwell *d, const dp_dwell *o)
{
    d->sum += o->sum;
    d->n += o->n;
    for (int i = 0; i < DP_DWELL_BUCKETS; i++)
        d->hist[i] += o->hist[i];
}

int64_t dp_dwell_quantile(const dp_dwell *d, double q)
{
    int64_t total = 0;
    for (int i = 0; i < DP_DWELL_BUCKETS; i++)
        total += d->hist[i];
    if (total <= 0) return -1;
    double rank = q * (double)total, before = 0;
    for (int i = 0; i < DP_DWELL_BUCKETS; i++) {
        if (d->hist[i] <= 0) continue;
        if (before + (double)d->hist[i] >= rank) {
            double lo = i == 0 ? 0 : (double)dp_dwell_bounds[i - 1];
            double hi = i < DP_DWELL_BUCKETS - 1 ? (double)dp_dwell_bounds[i]
                                                 : 2.0 * (double)dp_dwell_bounds[i - 1];
            return (int64_t)(lo + (hi - lo) * (rank - before) / (double)d->hist[i] + 0.5);
        }
        before += (double)d->hist[i];
    }
    return -1;
}

void dp_actions_add(dp_actions *a, const char *name, size_t len, int64_t count)
{
    for (size_t i = 0; i < a->n; i++)
        if (strlen(a->v[i].name) == len && !memcmp(a->v[i].name, name, len)) {
            a->v[i].count += count;
            return;
        }
    if (a->n == DP_ACTIONS_MAX) return;
    a->v = dp_realloc(a->v, (a->n + 1) * sizeof(*a->v));
    a->v[a->n].name = dp_strndup(name, len);
    a->v[a->n].count = count;
    a->n++;
}

void dp_actions_merge(dp_actions *a, const dp_actions *o)
{
    for (size_t i = 0; i < o->n; i++)
        dp_actions_add(a, o->v[i].name, strlen(o->v[i].name), o->v[i].count);
}

int64_t dp_actions_total(const dp_actions *a)
{
    int64_t t = 0;
    for (size_t i = 0; i < a->n; i++)
        t += a->v[i].count;
    return t;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

void dp_actions_json(dp_actions *a, dp_buf *out)
{
    if (a->n) qsort(a->v, a->n, sizeof(*a->v), by_name);
    dp_buf_puts(out, "{");
    int first = 1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].count == 0) continue;
        /* names are ids: no escaping needed */
        dp_buf_printf(out, "%s\"%s\":%lld", first ? "" : ",", a->v[i].name,
                      (long long)a->v[i].count);
        first = 0;
    }
    dp_buf_puts(out, "}");
}

void dp_actions_text(dp_actions *a, dp_buf *out)
{
    if (a->n) qsort(a->v, a->n, sizeof(*a->v), by_name);
    int first = 1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].count == 0) continue;
        dp_buf_printf(out, "%s%s:%lld", first ? "" : ";", a->v[i].name, (long long)a->v[i].count);
        first = 0;
    }
}

void dp_actions_free(dp_actions *a)
{
    for (size_t i = 0; i < a->n; i++)
        dp_free(a->v[i].name);
    dp_free(a->v);
    memset(a, 0, sizeof(*a));
}
