/* An answer's body shared by reference: the report cache, the dashboards'
 * files and the answers computed once for many waiting clients hand the
 * same bytes to every connection writing them, each holding a reference
 * until its write is done, so 2 000 clients that never read one cached
 * 4 MB answer hold one copy of it, not 2 000 (they did: 773 MB). */
#ifndef DP_BODY_H
#define DP_BODY_H

#include <stddef.h>

typedef struct dp_body {
    size_t refs;
    size_t len;
    char data[];
} dp_body;

/* A copy of data[0..len), one reference held by the caller. */
dp_body *dp_body_new(const char *data, size_t len);
static inline dp_body *dp_body_ref(dp_body *b)
{
    if (b) b->refs++;
    return b;
}
/* Drops a reference; the last one frees it. NULL does nothing. */
void dp_body_unref(dp_body *b);

#endif
