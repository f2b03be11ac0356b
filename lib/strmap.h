/* A string-keyed hash map (open addressing, linear probing, FNV-1a): the
 * report code's accumulator index ("slide|version" -> row, prospect -> row)
 * and the report cache's index. Keys are copied; values are the caller's.
 * Grows by doubling up to DP_STRMAP_MAX entries, then refuses (-E2BIG). */
#ifndef DP_STRMAP_H
#define DP_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#define DP_STRMAP_MAX (1u << 24)

typedef struct dp_strmap_slot {
    char *key; /* NULL: empty; DP_STRMAP_GONE: deleted */
    size_t klen;
    uint32_t hash;
    void *value;
} dp_strmap_slot;

typedef struct dp_strmap {
    dp_strmap_slot *slots;
    size_t cap;  /* power of two, or 0 */
    size_t n;    /* live entries */
    size_t used; /* live + deleted slots */
} dp_strmap;

void dp_strmap_init(dp_strmap *m);
/* Frees the keys (not the values). */
void dp_strmap_free(dp_strmap *m);
/* dp_free()s every value (values the caller allocated with dp_malloc). */
void dp_strmap_free_values(dp_strmap *m);
/* The value, or NULL. */
void *dp_strmap_get(const dp_strmap *m, const char *key, size_t klen);
/* Sets key to value (replacing): 0 or -E2BIG. */
int dp_strmap_put(dp_strmap *m, const char *key, size_t klen, void *value);
/* Removes key; returns its value or NULL. */
void *dp_strmap_del(dp_strmap *m, const char *key, size_t klen);

#endif
