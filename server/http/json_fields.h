/* Typed field access on a parsed JSON object (jansson) with the error
 * convention of the API: the message names the field's path ("session",
 * "events[3].ms") and says what it must be. Shared by every handler that
 * takes a JSON body. */
#ifndef DP_JSON_FIELDS_H
#define DP_JSON_FIELDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"

/* Parses body after a depth pre-scan: 0 and *out, or -EINVAL with err
 * ("body: invalid JSON at line 1 column 5: ...", "body: must be a JSON
 * object"). Duplicate keys are refused. */
int dp_json_parse_object(const char *body, size_t len, size_t max_depth, json_t **out, dp_err *err);
/* -EINVAL naming the first key of obj not in names[0..n) ("prefix.key:
 * unknown field", or "key: unknown field" when prefix is ""). */
int dp_json_known_fields(json_t *obj, const char *const *names, size_t n, const char *prefix,
                         dp_err *err);
/* An identifier (1-64 of A-Z a-z 0-9 . _ : -). Absent or null: *out = NULL,
 * an error only if required. The string lives as long as obj. */
int dp_json_get_id(json_t *obj, const char *key, const char *where, int required, const char **out,
                   dp_err *err);
/* An integer in [min, max]; absent or null gives def unless required. */
int dp_json_get_int(json_t *obj, const char *key, const char *where, int required, int64_t min,
                    int64_t max, int64_t def, int64_t *out, dp_err *err);

#endif
