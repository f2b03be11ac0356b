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
/* The events of a stream's entries, in order; version 2 and 3 entries hold many
 * (their strings point into copies kept in texts). */
typedef struct dp_entry_list {
    dp_entry *v;
    size_t n, cap;
    char **texts;
    size_t ntexts;
} dp_entry_list;

void dp_entry_list_free(dp_entry_list *l);
/* Appends the events of one stream entry reply [id, [f, v, ...]] to l
 * (strings point into the reply or into l's copies), its id into id. 0, or
 * -EINVAL with err naming what is wrong and l as it was. */
int dp_entry_read(const redisReply *r, dp_entry_list *l, char *id, size_t idsz, dp_err *err);

#endif
