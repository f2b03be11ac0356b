/* Sessions written by an earlier collector: their state in keys of their own, moved. */
#ifndef DP_ROLLUP_MIGRATE_H
#define DP_ROLLUP_MIGRATE_H

#include "rollup_batch.h"

/* The session hash says s is legacy (no "f" field): its
 * smat/ssv/sseen keys are read (dirty, to be moved into the hash) ... */
int dp__rollup_read_legacy(batch *b, redisContext *rc, dp_err *err);
/* ... and deleted once the hash holds them (a command of b's MULTI block). */
void dp__rollup_drop_legacy(batch *b, sess *s);

#endif
