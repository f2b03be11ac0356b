#include "rollup_ops.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "resp.h"

#define BLK_SIZE (64 * 1024)
#define ARGS_MAX 1000 /* members per SADD / PFADD / ZADD command */

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

void dp_ops_free(dp_ops *o)
{
    dp_free(o->v);
    memset(o, 0, sizeof(*o));
}

/* FNV-1a, from the end: keys of a batch share long prefixes */
static uint32_t hash_of(const char *s)
{
    size_t n = strlen(s);
    uint32_t h = 2166136261u;
    while (n > 0) {
        h ^= (unsigned char)s[--n];
        h *= 16777619u;
    }
    return h;
}

void dp_ops_add(dp_ops *o, dp_op_kind kind, const char *key, const char *member, const char *score,
                int64_t n)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->v = dp_realloc(o->v, o->cap * sizeof(dp_op));
    }
    o->v[o->n++] = (dp_op){kind, key, member, score, n, hash_of(key), hash_of(member)};
}

/* Any order that puts equal (kind, key) together, and equal members of a
 * key together, will do: hashes first, the strings only when they tie. */
static int cmp_key(const dp_op *a, const dp_op *b)
{
    if (a->kind != b->kind) return (int)a->kind - (int)b->kind;
    if (a->kh != b->kh) return a->kh < b->kh ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int cmp_op(const void *pa, const void *pb)
{
    const dp_op *a = pa, *b = pb;
    int c = cmp_key(a, b);
    if (c) return c;
    if (a->mh != b->mh) return a->mh < b->mh ? -1 : 1;
    return strcmp(a->member, b->member);
}

static const char *const cmd_names[] = {"HINCRBY", "SADD", "PFADD", "ZADD"};

/* One command for ops[from..to) (same kind and key, distinct members). */
static int emit_group(const dp_op *ops, size_t from, size_t to, dp_buf *out)
{
    const dp_op *f = &ops[from];
    int per = f->kind == DP_OP_ZADD ? 2 : 1;
    int rc = dp_resp_array(out, 2 + (to - from) * (size_t)per);
    rc |= dp_resp_str(out, cmd_names[f->kind]);
    rc |= dp_resp_str(out, f->key);
    for (size_t i = from; i < to; i++) {
        if (per == 2) rc |= dp_resp_str(out, ops[i].score);
        rc |= dp_resp_str(out, ops[i].member);
    }
    return rc ? -E2BIG : 0;
}

int dp_ops_emit(dp_ops *o, dp_buf *out, size_t *ncmds)
{
    if (o->n == 0) return 0;
    qsort(o->v, o->n, sizeof(dp_op), cmp_op);
    const dp_op *v = o->v;
    size_t i = 0;
    while (i < o->n) {
        if (v[i].kind == DP_OP_HINCR) {
            int64_t sum = 0;
            size_t j = i;
            while (j < o->n && cmp_op(&v[i], &v[j]) == 0)
                sum += v[j++].n;
            if (sum != 0) {
                char num[24];
                size_t len;
                const char *s = dp_i64_to_str(sum, num, &len);
                int rc = dp_resp_array(out, 4);
                rc |= dp_resp_str(out, "HINCRBY");
                rc |= dp_resp_str(out, v[i].key);
                rc |= dp_resp_str(out, v[i].member);
                rc |= dp_resp_arg(out, s, len);
                if (rc) return -E2BIG;
                (*ncmds)++;
            }
            i = j;
            continue;
        }
        /* members of one key: duplicates dropped, at most ARGS_MAX a command */
        size_t j = i, w = i;
        while (j < o->n && cmp_key(&v[j], &v[i]) == 0) {
            if (j == i || cmp_op(&v[j], &v[w - 1]) != 0) o->v[w++] = v[j];
            j++;
        }
        for (size_t k = i; k < w; k += ARGS_MAX) {
            size_t end = k + ARGS_MAX < w ? k + ARGS_MAX : w;
            if (emit_group(v, k, end, out) != 0) return -E2BIG;
            (*ncmds)++;
        }
        i = j;
    }
    return 0;
}
