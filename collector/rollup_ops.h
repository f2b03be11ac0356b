/* What one rollup batch writes, gathered before anything is sent: counter
 * increments summed per (key, field), members added to sets and
 * HyperLogLogs once per (key, member), timeline entries, and the strings
 * they point to, all in one per-batch arena. dp_ops_emit sorts them by
 * 64-bit hashes of key and member (no string compared while sorting),
 * compares the strings of neighbours only, and writes one command per key
 * (one HINCRBY per field) in RESP. */
#ifndef DP_ROLLUP_OPS_H
#define DP_ROLLUP_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

/* DP_OP_ZMIN: ZADD LT, a member's score is the lowest ever given (the
 * earliest view of a material by a prospect: the same whatever the order
 * events arrive in, and a batch applied twice changes nothing). */
typedef enum { DP_OP_HINCR, DP_OP_SADD, DP_OP_PFADD, DP_OP_ZADD, DP_OP_ZMIN } dp_op_kind;

typedef struct dp_op {
    dp_op_kind kind;
    const char *key;
    const char *member; /* the field for DP_OP_HINCR */
    const char *score;  /* DP_OP_ZADD, DP_OP_ZMIN */
    int64_t n;          /* DP_OP_HINCR */
    uint64_t kh, mh;    /* hashes of key and member: what the sort compares */
} dp_op;

typedef struct dp_ops {
    dp_op *v;
    size_t n, cap;
    /* ZADD keys are capped sorted sets keeping their zadd_keep highest
     * (score, member), trimmed after the batch: so of a batch's members of
     * one key only its zadd_keep highest can stay, and only they are sent
     * (0: all). Scores are non-negative integers in decimal. */
    size_t zadd_keep;
} dp_ops;

void dp_ops_free(dp_ops *o);
/* key and member (and score) must outlive o (the batch's arena). */
void dp_ops_add(dp_ops *o, dp_op_kind kind, const char *key, const char *member, const char *score,
                int64_t n);
/* Appends the commands to out; *ncmds counts them. 0 or -E2BIG. */
int dp_ops_emit(dp_ops *o, dp_buf *out, size_t *ncmds);

#endif
