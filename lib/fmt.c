#include "fmt.h"

const char *dp_i64_to_str(int64_t v, char *buf, size_t *len)
{
    char *end = buf + 23;
    *end = '\0';
    char *p = dp_fmt_digits(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    *len = (size_t)(end - p);
    return p;
}
