/* The dashboards: static files from dashboards_dir (index.html, *.js, *.css,
 * *.svg at its top level, and Chart.js from its node_modules at
 * /vendor/chart.umd.min.js), read once at start (at most DP_DASH_FILES
 * files of DP_DASH_FILE_MAX bytes) and served from memory with an ETag and
 * gzip. GET / is index.html; the pages talk to the report API. */
#ifndef DP_DASHBOARDS_H
#define DP_DASHBOARDS_H

#include "deckpulse/config.h"

/* Every dashboard file: its own scripts, styles and API only, never in a
 * frame, types as sent. */
#define DP_DASH_HEADERS                                                                            \
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; object-src 'none'; "       \
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"                              \
    "X-Frame-Options: DENY\r\n"                                                                    \
    "X-Content-Type-Options: nosniff\r\n"                                                          \
    "Referrer-Policy: same-origin\r\n"

#define DP_DASH_FILES    64
#define DP_DASH_FILE_MAX (4 << 20)

/* Loads the files; a missing directory only logs (the API still works). */
void dp_dashboards_load(const dp_config *cfg);
void dp_dashboards_free(void);

#endif
