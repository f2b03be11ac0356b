/* The rest of a batch's MULTI block. */
#ifndef DP_ROLLUP_WRITE_H
#define DP_ROLLUP_WRITE_H

#include "rollup_batch.h"

/* The sessions' state, their (session, seq) marks and
 * ttl, the counters gathered, first/last seen, the hot-list ranks and
 * timelines' trims, forwarding, generations and the XACK of acks[0..nacks)
 * in group: the rest of b's MULTI block, EXEC included. */
void dp__rollup_write_back(batch *b, const char *ttl, const char *stream, const char *group,
                           const char **acks, size_t nacks);

#endif
