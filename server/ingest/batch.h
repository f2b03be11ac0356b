/* Decoding and validating one POST /v1/events body (docs/wire-format.md,
 * "A batch"). JSON is parsed by yajl as a stream, after one pass that
 * checks the depth and what yajl lets through (batch.c); every field is
 * checked, and the first bad one is named in the error
 * ("events[2].ms: must be an integer between 0 and 86400000"). */
#ifndef DP_BATCH_H
#define DP_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

typedef struct dp_event {
    dp_event_type type;
    int64_t seq;
    int64_t at;
    int64_t slides;  /* open; 0 if absent */
    int64_t version; /* view, dwell, action; 1 if absent */
    int64_t index;   /* view */
    int64_t ms;      /* dwell */
    const char *material, *slide, *name;
} dp_event;

typedef struct dp_batch {
    const char *token; /* NULL if absent */
    const char *session;
    const char *presentation; /* NULL if absent */
    dp_mode mode;
    size_t nevents;
    dp_event *events;
    void *mem_; /* owns events and the strings above */
} dp_batch;

typedef struct dp_batch_limits {
    size_t max_events;
    size_t max_depth;
} dp_batch_limits;

/* 0; -EINVAL (answer 400) or -E2BIG (too many events: answer 413), with
 * err naming the field. On failure b holds nothing to free. */
int dp_batch_decode(dp_batch *b, const char *json, size_t len, const dp_batch_limits *lim,
                    dp_err *err);
void dp_batch_free(dp_batch *b);

#endif
