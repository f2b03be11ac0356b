/* --replay DIR: rebuild every aggregate from the raw archive into the
 * configured (empty) Redis, through the same rollup code the live
 * collector uses, so replay and live counting cannot disagree. */
#ifndef DP_REPLAY_H
#define DP_REPLAY_H

#include "deckpulse/config.h"
#include "deckpulse/error.h"

int dp_replay(const dp_config *cfg, const char *dir, dp_err *err);

#endif
