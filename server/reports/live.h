/* GET /v1/live: who is viewing which presentation right now, pushed over
 * Server-Sent Events. Once a second, while anyone listens, the server reads
 * the sessions the collectors keep open (dp:{N}:openl, those with a link
 * token, and dp:{N}:open, all; last event within DP_LIVE_WINDOW_MS) and
 * their state, and sends
 *
 *   event: viewers
 *   data: {"at": ms, "viewers": [{"session", "presentation", "prospect",
 *          "account", "mode", "material", "slide", "version", "slides",
 *          "seen", "last_seen"}]}
 *
 * (sessions with a link token first, then at most DP_LIVE_ANONYMOUS_MAX
 * anonymous ones, each newest first) to every listener when it changed (and to a new listener at once), with a
 * comment line every 15 s to keep proxies from closing the stream. Works the
 * same behind several servers: the state is in Redis. Role sales or admin;
 * the key in Authorization or, for EventSource, in ?key=. */
#ifndef DP_LIVE_H
#define DP_LIVE_H

#include <uv.h>

#include "req.h"

#define DP_LIVE_WINDOW_MS     120000 /* a session with no event this long is not live */
#define DP_LIVE_MAX           200    /* sessions shown */
#define DP_LIVE_ANONYMOUS_MAX 50     /* of them without a link token, after every one with */
#define DP_LIVE_LISTENERS     256    /* streams open at once */

typedef struct dp_reports_ctx dp_reports_ctx;

void dp_live_start(dp_reports_ctx *s);
/* Stops the timer; on_closed(ud) once it is closed. */
void dp_live_stop(dp_reports_ctx *s, void (*on_closed)(void *ud), void *ud);
void dp_route_live(dp_req *req);

#endif
