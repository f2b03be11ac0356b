/* A chunked string arena: many small strings of one job (a rollup batch's
 * keys and fields), freed at once. */
#ifndef DP_ARENA_H
#define DP_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* Pointers stay valid until dp_arena_free. */
typedef struct dp_arena_blk dp_arena_blk;
typedef struct dp_arena {
    dp_arena_blk *head;
} dp_arena;

void dp_arena_free(dp_arena *a);
/* n bytes, 8-aligned, uninitialised. */
void *dp_arena_alloc(dp_arena *a, size_t n);
/* A copy of s[0..n) with a NUL after it. */
char *dp_arena_strn(dp_arena *a, const char *s, size_t n);
/* The concatenation of the strings before the terminating NULL. */
char *dp_arena_cat(dp_arena *a, ...);
/* v in decimal. */
char *dp_arena_i64(dp_arena *a, int64_t v);

#endif
