#include "rollup_ops.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fmt.h"
#include "resp.h"

#define ARGS_MAX 1000 /* members per SADD / PFADD / ZADD command */

void dp_ops_free(dp_ops *o)
{
    dp_free(o->v);
    memset(o, 0, sizeof(*o));
}

/* FNV-1a, 64 bits, from the end: keys of a batch share long prefixes */
static uint64_t hash_of(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 14695981039346656037ull;
    while (n > 0) {
        h ^= (unsigned char)s[--n];
        h *= 1099511628211ull;
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

/* First the ops are made unique in a hash table (counter increments
 * summed, repeated members dropped): a batch repeats the same few counters
 * for every event. Then the sort sees only (kind, key hash, member hash)
 * and the op's place: equal keys end up together. Two different keys with
 * the same 64-bit hash (~n^2 / 2^64 in a batch) may interleave; the
 * strings of neighbours are compared when grouping, so that only splits a
 * command in two, which Redis adds up the same. */
typedef struct sort_rec {
    uint64_t kh, mh;
    uint32_t kind, idx;
} sort_rec;

static int cmp_rec(const void *pa, const void *pb)
{
    const sort_rec *a = pa, *b = pb;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->kh != b->kh) return a->kh < b->kh ? -1 : 1;
    if (a->mh != b->mh) return a->mh < b->mh ? -1 : 1;
    return 0;
}

static int same_key(const dp_op *a, const dp_op *b)
{
    return a->kind == b->kind && a->kh == b->kh && strcmp(a->key, b->key) == 0;
}

static int same_op(const dp_op *a, const dp_op *b)
{
    return same_key(a, b) && a->mh == b->mh && strcmp(a->member, b->member) == 0;
}

static const char *const cmd_names[] = {"HINCRBY", "SADD", "PFADD", "ZADD", "ZADD"};

/* One command for ops[from..to) (same kind and key, distinct members). */
static int emit_group(const dp_op *const *ops, size_t from, size_t to, dp_buf *out)
{
    const dp_op *f = ops[from];
    int per = f->kind == DP_OP_ZADD || f->kind == DP_OP_ZMIN ? 2 : 1;
    int lt = f->kind == DP_OP_ZMIN;
    int rc = dp_resp_array(out, 2 + (size_t)lt + (to - from) * (size_t)per);
    rc |= dp_resp_str(out, cmd_names[f->kind]);
    rc |= dp_resp_str(out, f->key);
    if (lt) rc |= dp_resp_str(out, "LT");
    for (size_t i = from; i < to; i++) {
        if (per == 2) rc |= dp_resp_str(out, ops[i]->score);
        rc |= dp_resp_str(out, ops[i]->member);
    }
    return rc ? -E2BIG : 0;
}

/* Decimal integers >= 0: a < b. */
static int score_less(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la < lb : strcmp(a, b) < 0;
}

/* The ops, each (kind, key, member) once: increments summed into the first
 * of each, the lowest score of a DP_OP_ZMIN kept; returns how many, their
 * places in *out (dp_free them). */
static size_t unique_ops(dp_ops *o, uint32_t **out)
{
    size_t cap = 16;
    while (cap < 2 * o->n)
        cap *= 2;
    uint32_t *slot = dp_malloc(cap * sizeof(uint32_t)); /* op index + 1; 0: empty */
    memset(slot, 0, cap * sizeof(uint32_t));
    uint32_t *u = dp_malloc(o->n * sizeof(uint32_t));
    size_t nu = 0;
    for (size_t i = 0; i < o->n; i++) {
        dp_op *op = &o->v[i];
        uint64_t h = op->kh ^ (op->mh * 0x9E3779B97F4A7C15ull) ^ (uint64_t)op->kind;
        size_t s = (size_t)(h ^ (h >> 29)) & (cap - 1);
        for (;; s = (s + 1) & (cap - 1)) {
            if (slot[s] == 0) {
                slot[s] = (uint32_t)i + 1;
                u[nu++] = (uint32_t)i;
                break;
            }
            dp_op *first = &o->v[slot[s] - 1];
            if (same_op(first, op)) {
                if (op->kind == DP_OP_HINCR) first->n += op->n;
                if (op->kind == DP_OP_ZMIN && score_less(op->score, first->score))
                    first->score = op->score;
                break;
            }
        }
    }
    dp_free(slot);
    *out = u;
    return nu;
}

/* Higher (score, member) first; scores are decimal integers >= 0. */
static int cmp_zadd(const void *pa, const void *pb)
{
    const dp_op *a = *(const dp_op *const *)pa, *b = *(const dp_op *const *)pb;
    size_t la = strlen(a->score), lb = strlen(b->score);
    if (la != lb) return la > lb ? -1 : 1;
    int c = strcmp(a->score, b->score);
    if (c == 0) c = strcmp(a->member, b->member);
    return c > 0 ? -1 : c < 0 ? 1 : 0;
}

static int emit_sorted(const dp_ops *o, const dp_op **v, size_t n, dp_buf *out, size_t *ncmds)
{
    size_t i = 0;
    while (i < n) {
        if (v[i]->kind == DP_OP_HINCR) {
            int64_t sum = 0;
            size_t j = i;
            while (j < n && same_op(v[i], v[j]))
                sum += v[j++]->n;
            if (sum != 0) {
                char num[24];
                size_t len;
                const char *s = dp_i64_to_str(sum, num, &len);
                int rc = dp_resp_array(out, 4);
                rc |= dp_resp_str(out, "HINCRBY");
                rc |= dp_resp_str(out, v[i]->key);
                rc |= dp_resp_str(out, v[i]->member);
                rc |= dp_resp_arg(out, s, len);
                if (rc) return -E2BIG;
                (*ncmds)++;
            }
            i = j;
            continue;
        }
        /* members of one key: duplicates dropped, at most ARGS_MAX a command */
        size_t j = i, w = i;
        while (j < n && same_key(v[j], v[i])) {
            if (j == i || !same_op(v[j], v[w - 1])) v[w++] = v[j];
            j++;
        }
        if (v[i]->kind == DP_OP_ZADD && o->zadd_keep && w - i > o->zadd_keep) {
            qsort(v + i, w - i, sizeof(*v), cmp_zadd); /* the ones that can stay */
            w = i + o->zadd_keep;
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

int dp_ops_emit(dp_ops *o, dp_buf *out, size_t *ncmds)
{
    if (o->n == 0) return 0;
    uint32_t *u;
    size_t n = unique_ops(o, &u);
    sort_rec *r = dp_malloc(n * sizeof(sort_rec));
    for (size_t i = 0; i < n; i++) {
        const dp_op *op = &o->v[u[i]];
        r[i] = (sort_rec){op->kh, op->mh, (uint32_t)op->kind, u[i]};
    }
    dp_free(u);
    qsort(r, n, sizeof(sort_rec), cmp_rec);
    const dp_op **v = dp_malloc(n * sizeof(dp_op *));
    for (size_t i = 0; i < n; i++)
        v[i] = &o->v[r[i].idx];
    dp_free(r);
    int rc = emit_sorted(o, v, n, out, ncmds);
    dp_free(v);
    return rc;
}
