/* One stream entry, read back and checked field by field (event.h). An
 * entry that fails here is a poison entry: it is left pending and, on its
 * max_deliveries-th delivery, dead-lettered with this message. */
#ifndef DP_ENTRY_H
#define DP_ENTRY_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

#define DP_ENTRY_ID_MAX 48

typedef struct dp_entry {
    char id[DP_ENTRY_ID_MAX]; /* stream id, "" for replayed rows */
    const char *session, *mode, *presentation, *prospect, *account, *campaign, *owner, *viewer;
    const char *material, *slide, *name, *source;
    dp_event_type type;
    int64_t seq, at, received, slides, version, index, ms;
    char day[11];
    int bucket; /* dwell histogram bucket */
} dp_entry;

/* Fills e from the field/value pairs of fv[0..n) (strings point into
 * them). 0 or -EINVAL with err naming the field. */
int dp_entry_parse(dp_entry *e, const char *const *fv, size_t n, dp_err *err);
/* The same from a stream entry reply [id, [f, v, ...]]. */
int dp_entry_from_reply(dp_entry *e, const redisReply *r, dp_err *err);

#endif
