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
/* "bot" for the user agent of an automaton that opens links by itself
 * (crawler, preview, mail scanner, headless browser); and, unless the
 * request carries a valid link token (with_token), for a missing or empty
 * one or a script's (curl, HTTP libraries). Else NULL. */
const char *dp_bot_agent(const char *ua, size_t n, int with_token);

#endif
