/* Allocation wrappers. Out-of-memory policy: every buffer on the request
 * path is bounded by a configured ceiling, so running out of memory means the
 * host is overcommitted; like Redis's zmalloc we log and abort rather than
 * limp on with half-built state. */
#ifndef DP_ALLOC_H
#define DP_ALLOC_H

#include <stddef.h>

void *dp_malloc(size_t n);
void *dp_calloc(size_t n, size_t size);
void *dp_realloc(void *p, size_t n);
char *dp_strdup(const char *s);
char *dp_strndup(const char *s, size_t n);
void dp_free(void *p);

#endif
