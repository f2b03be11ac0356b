/* JSON text checks before a parser: how deep it nests, and what yajl lets
 * through but JSON text must not hold. Linear, no recursion, no memory. */
#ifndef DP_JSON_SCAN_H
#define DP_JSON_SCAN_H

#include <stddef.h>

typedef struct dp_json_fault {
    size_t off; /* where; SIZE_MAX: none */
    const char *msg;
} dp_json_fault;

/* One pass: how deep the text nests (-E2BIG past max_depth, whatever else
 * is wrong), and the first thing inside a string that yajl lets through
 * but JSON text must not hold (RFC 8259 and what jansson refused): \u0000,
 * a lone or mismatched surrogate escape, malformed UTF-8; and, outside
 * strings, a form feed or vertical tab, which yajl takes for whitespace. */
int dp_json_prescan(const char *t, size_t len, size_t max_depth, dp_json_fault *f);
/* 0 if the JSON text nests no deeper than max_depth (strings skipped),
 * -E2BIG otherwise. Checked before jansson parses the other JSON bodies
 * (json_fields.h). */
int dp_json_depth_check(const char *json, size_t len, size_t max_depth);

#endif
