#include "arena.h"

#include <stdarg.h>
#include <string.h>

#include "alloc.h"
#include "fmt.h"

#define BLK_SIZE (64 * 1024)

struct dp_arena_blk {
    dp_arena_blk *next;
    size_t used, cap;
    _Alignas(8) char data[];
};

void dp_arena_free(dp_arena *a)
{
    while (a->head) {
        dp_arena_blk *b = a->head;
        a->head = b->next;
        dp_free(b);
    }
}

void *dp_arena_alloc(dp_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7; /* every block of the arena stays 8-aligned */
    dp_arena_blk *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > BLK_SIZE ? n : BLK_SIZE;
        b = dp_malloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

char *dp_arena_strn(dp_arena *a, const char *s, size_t n)
{
    char *p = dp_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *dp_arena_cat(dp_arena *a, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        n += strlen(s);
    va_end(ap);
    char *p = dp_arena_alloc(a, n + 1), *w = p;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        size_t k = strlen(s);
        memcpy(w, s, k);
        w += k;
    }
    va_end(ap);
    *w = '\0';
    return p;
}

char *dp_arena_i64(dp_arena *a, int64_t v)
{
    char tmp[24];
    size_t n;
    const char *s = dp_i64_to_str(v, tmp, &n);
    return dp_arena_strn(a, s, n);
}
