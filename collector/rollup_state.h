/* Reading the state a batch depends on, under WATCH. */
#ifndef DP_ROLLUP_STATE_H
#define DP_ROLLUP_STATE_H

#include "rollup_batch.h"

/* Reads the state of b's sessions, seen ranges and
 * presentation viewers, under WATCH (and, through rollup_migrate.c, what
 * legacy sessions keep in keys of their own). 0, -EIO or -EINVAL. */
int dp__rollup_read_state(batch *b, redisContext *rc, dp_err *err);

#endif
