#include "json_fields.h"

#include <string.h>

#include "json_scan.h"
#include "deckpulse/event.h"

int dp_json_parse_object(const char *body, size_t len, size_t max_depth, json_t **out, dp_err *err)
{
    *out = NULL;
    if (dp_json_depth_check(body, len, max_depth) != 0)
        return dp_err_set(err, -EINVAL, "body: JSON nested deeper than max_json_depth (%zu)",
                          max_depth);
    json_error_t je;
    /* jansson rejects NaN/Infinity, invalid UTF-8, lone surrogates, NUL in
     * strings, numbers out of range and trailing garbage; we add duplicates. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return dp_err_set(err, -EINVAL, "body: invalid JSON at line %d column %d: %s", je.line,
                          je.column, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return dp_err_set(err, -EINVAL, "body: must be a JSON object");
    }
    *out = root;
    return 0;
}

int dp_json_known_fields(json_t *obj, const char *const *names, size_t n, const char *prefix,
                         dp_err *err)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        size_t k;
        for (k = 0; k < n; k++)
            if (!strcmp(key, names[k])) break;
        if (k == n) /* a key that is not an identifier is not echoed back */
            return dp_err_set(err, -EINVAL, "%s%s%.64s: unknown field", prefix,
                              prefix[0] ? "." : "", dp_id_valid(key, strlen(key)) ? key : "?");
    }
    return 0;
}

int dp_json_get_id(json_t *obj, const char *key, const char *where, int required, const char **out,
                   dp_err *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) return dp_err_set(err, -EINVAL, "%s: required", where);
        return 0;
    }
    if (!json_is_string(v) || !dp_id_valid(json_string_value(v), json_string_length(v)))
        return dp_err_set(err, -EINVAL, "%s: must be 1-64 characters of A-Z a-z 0-9 . _ : -",
                          where);
    *out = json_string_value(v);
    return 0;
}

int dp_json_get_int(json_t *obj, const char *key, const char *where, int required, int64_t min,
                    int64_t max, int64_t def, int64_t *out, dp_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (required) return dp_err_set(err, -EINVAL, "%s: required", where);
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return dp_err_set(err, -EINVAL, "%s: must be an integer between %lld and %lld", where,
                          (long long)min, (long long)max);
    *out = json_integer_value(v);
    return 0;
}
