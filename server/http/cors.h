/* CORS: which origins may report events and read answers. */
#ifndef DP_CORS_H
#define DP_CORS_H

#include <stddef.h>

/* 1 if origin (not NUL-terminated) is in the comma-separated allow-list, or
 * the list contains "*". Comparison is exact, ignoring ASCII case. */
int dp_origin_allowed(const char *list, const char *origin, size_t len);

#endif
