/* What one presentation may name (README, "What one link or page can do"):
 * at most max_slides_per_presentation distinct material/slide/version
 * triples and max_actions_per_presentation distinct action names, whoever
 * sends its events (a link token is in every deck URL; an anonymous page
 * is anyone's). The first ones named are kept; an event naming another is
 * not counted (it is marked applied, so never retried) and counted in the
 * collector's refused_slides / refused_actions.
 *
 * Each shard keeps the names its events brought (ptri:/pact:, keys.h); the
 * ceiling is checked against the sum over every shard, read with the
 * batch's state. Collectors applying batches of one presentation at the
 * same moment each see the other's names only once written, so together
 * they can pass the ceiling by the new names of one batch each. */
#ifndef DP_ROLLUP_CAPS_H
#define DP_ROLLUP_CAPS_H

#include "rollup_batch.h"

typedef enum dp_cap_verdict { DP_CAP_OK, DP_CAP_SLIDES, DP_CAP_ACTIONS } dp_cap_verdict;

/* Before the read: the names event e brings to its presentation. */
void dp__caps_note(batch *b, const dp_entry *e);
/* The read's commands for them, appended to q (*nq counts commands). */
void dp__caps_read(batch *b, dp_buf *q, size_t *nq);
/* Their replies, rs[*at...] in the same order; *at moves past them. */
void dp__caps_load(batch *b, redisReply *const *rs, size_t *at);
/* Whether e may be counted; a name admitted now is added to its shard's
 * set in the batch's writes. */
dp_cap_verdict dp__caps_admit(batch *b, const dp_entry *e);
void dp__caps_free(batch *b);

#endif
