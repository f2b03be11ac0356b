/* The rules: a session's state and one event in, the writes out; no Redis. */
#ifndef DP_ROLLUP_RULES_H
#define DP_ROLLUP_RULES_H

#include "rollup_batch.h"

/* Applies event e (not a duplicate) to session s: the
 * counters, sets and timelines it changes go to b->ops, the commands of its
 * own to b->out; s is updated. No Redis. */
void dp__rollup_apply_event(batch *b, sess *s, const dp_entry *e);

#endif
