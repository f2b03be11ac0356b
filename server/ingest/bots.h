/* Requests that are not a person: crawlers, link previews, and the mail
 * security scanners that open every link and pixel of an email before the
 * prospect does. They are answered (so they do not retry) but not counted.
 * Also browser prefetches (Purpose / Sec-Purpose: prefetch). */
#ifndef DP_BOTS_H
#define DP_BOTS_H

#include "http_request.h"

/* A request is not a person's when either of these says so.
 *
 * "prefetch" when a Purpose or Sec-Purpose header says so, else NULL. */
const char *dp_bot_prefetch(const dp_http_req *r);
/* "bot" for a missing (ua NULL) or empty user agent or one of an
 * automaton's, else NULL. */
const char *dp_bot_agent(const char *ua, size_t n);

#endif
