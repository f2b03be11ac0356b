/* deckpulse — the event model and the stream entry layout (in words:
 * docs/wire-format.md).
 *
 * This is the contract between deckpulse-server (which writes the batches
 * it accepts to Redis streams) and deckpulse-collector (which reads them).
 * A batch is one request's events: one session, one token. The server
 * writes one entry per shard stream per loop iteration holding every batch
 * accepted in it (version 3); the collector also reads the one-batch
 * (version 2) and one-event (version 1) entries of earlier servers, so old
 * streams and spools stay valid.
 *
 * Version 3: four fields, all values strings.
 *
 *   v         "3"
 *   k         number of batches, 1..DP_ENTRY_BATCHES_MAX
 *   n         number of events in all of them
 *   batches   the batches one after the other, one line each for a batch's
 *             head and then for each of its events ("\n" between lines, none
 *             at the end). A head is eleven values separated by one space,
 *             an absent one empty:
 *                received source session mode presentation viewer
 *                prospect account campaign owner n
 *             and is followed by its n event lines (as "events" below).
 *
 * Version 2: one batch, a flat list of field/value pairs:
 *
 *   field          present          value
 *   v              always           entry schema version, "2"
 *   received       always           server receive time, epoch ms (UTC)
 *   source         always           "beacon" (POST /v1/events) or "pixel"
 *   session        always           session id (the beacon's, or "px-..." for pixels)
 *   mode           always           self | live
 *   presentation   always           the token's presentation (or the batch's, anonymous)
 *   prospect       token            the token's prospect
 *   account        token, if set    the token's account
 *   campaign       token, if set    the token's campaign
 *   owner          token, if set    the token's owner
 *   viewer         always           keyed hash of (IP, user agent, presentation) under a daily
 *                                   salt: one browser, for one day (anonymous viewers, forwarding)
 *   n              always           number of events, 1..DP_ENTRY_EVENTS_MAX
 *   events         always           the events, one line each ("\n" between lines), fields
 *                                   separated by one space:
 *        seq type at                            open (no slides announced), close
 *        seq open at slides                     slides: number of slides in the presentation
 *        seq view at material slide version index     index: 0-based position
 *        seq dwell at material slide version ms       ms: milliseconds on screen
 *        seq action at material slide version name
 *     seq: integer, unique within the session; at: client time, epoch ms;
 *     version: integer >= 1 (1 when the beacon sent none).
 *
 * Version "1" entries (one event each, the per-event fields above as fields
 * of their own) are still read, so streams and spools written before stay
 * valid. (session, seq) identifies an event: the collector counts each pair
 * once. Identifiers are 1-64 characters of A-Z a-z 0-9 . _ : - */
#ifndef DECKPULSE_EVENT_H
#define DECKPULSE_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Entries go to the stream of the sessions' shard, "dp:{N}:events"
 * (keys.h). */
#define DP_ENTRY_VERSION     "3"
#define DP_ENTRY_VERSION_V2  "2"
#define DP_ENTRY_VERSION_V1  "1"
#define DP_ENTRY_EVENTS_MAX  100000 /* events in one batch: the max_events ceiling */
#define DP_ENTRY_BATCHES_MAX 128    /* batches in one version 3 entry */

#define DP_ID_MAX       64
#define DP_SEQ_MAX      9007199254740991LL /* 2^53 - 1: exact in JavaScript */
#define DP_DWELL_MS_MAX 86400000LL         /* one day */
#define DP_SLIDES_MAX   10000
#define DP_VERSION_MAX  1000000
#define DP_AT_MIN       946684800000LL  /* 2000-01-01 */
#define DP_AT_MAX       4102444800000LL /* 2100-01-01 */
#define DP_AT_AHEAD_MAX 86400000LL      /* later than receive time + this: clamped to it */

typedef enum dp_event_type {
    DP_EV_OPEN = 0,
    DP_EV_VIEW,
    DP_EV_DWELL,
    DP_EV_ACTION,
    DP_EV_CLOSE,
    DP_EV__COUNT
} dp_event_type;

typedef enum dp_mode { DP_MODE_SELF = 0, DP_MODE_LIVE } dp_mode;

extern const char *const dp_event_type_names[DP_EV__COUNT];
extern const char *const dp_mode_names[2];

/* 1 if s[0..n) is a valid identifier: 1-64 of A-Z a-z 0-9 . _ : - */
int dp_id_valid(const char *s, size_t n);

#endif
