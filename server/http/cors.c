#include "cors.h"

#include <string.h>
#include <strings.h>

int dp_origin_allowed(const char *list, const char *origin, size_t len)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        size_t n = (size_t)(t - p);
        if (n == 1 && *p == '*') return 1;
        if (n == len && n > 0 && strncasecmp(p, origin, n) == 0) return 1;
        p = e;
    }
    return 0;
}
