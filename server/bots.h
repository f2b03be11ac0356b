/* Requests that are not a person: crawlers, link previews, and the mail
 * security scanners that open every link and pixel of an email before the
 * prospect does. They are answered (so they do not retry) but not counted.
 * Also browser prefetches (Purpose / Sec-Purpose: prefetch). */
#ifndef DP_BOTS_H
#define DP_BOTS_H

#include "http_request.h"

/* "bot", "prefetch", or NULL for a person. */
const char *dp_bot_reason(const dp_http_req *r);

#endif
