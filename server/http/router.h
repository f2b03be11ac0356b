/* Routes as a table: each feature adds its rows (method, path or prefix,
 * handler, name for the metrics, CORS preflight) through its registration
 * function, called only from the server's start-up. The transport hands
 * every complete request to dp_router_dispatch, which knows no route by
 * name: it answers 404 (no row for the path), 405 with Allow (no row for
 * the method) and OPTIONS (the row's preflight headers) itself. Also
 * counts the answers per route name and status (dp_http_requests_total). */
#ifndef DP_ROUTER_H
#define DP_ROUTER_H

#include <stdint.h>

#include "buf.h"
#include "req.h"

enum {
    DP_GET = 1, /* and HEAD */
    DP_POST = 2,
    DP_PUT = 4,
    DP_DELETE = 8,
};

enum {
    DP_ROUTE_PREFIX = 1,   /* path is a prefix: the rest (non-empty) is in r->rest */
    DP_ROUTE_CSV = 2,      /* ".csv" may end the path: taken off, r->csv set */
    DP_ROUTE_FALLBACK = 4, /* tried after every other row, only for its methods */
};

typedef struct dp_route {
    unsigned methods;
    const char *path;
    unsigned flags;
    dp_handler handler;
    void *ud;
    const char *name;      /* metrics label ("events", "report") */
    const char *preflight; /* header lines answering OPTIONS (CORS), or NULL: then
                            * no Access-Control-Allow-Origin either */
} dp_route;

#define DP_ROUTES_MAX      48
#define DP_ROUTE_NAMES_MAX 24
#define DP_STATUSES_MAX    20

typedef struct dp_router {
    dp_route routes[DP_ROUTES_MAX];
    int name_ix[DP_ROUTES_MAX];
    size_t n;
    const char *names[DP_ROUTE_NAMES_MAX]; /* "preflight" and "other" first */
    int nnames;
    int statuses[DP_STATUSES_MAX]; /* the status codes seen, in order of first use */
    int nstatuses;
    uint64_t requests[DP_ROUTE_NAMES_MAX][DP_STATUSES_MAX];
} dp_router;

#define DP_ROUTE_NAME_PREFLIGHT 0
#define DP_ROUTE_NAME_OTHER     1

void dp_router_init(dp_router *rt);
/* 0, or -E2BIG past DP_ROUTES_MAX rows or DP_ROUTE_NAMES_MAX names. */
int dp_router_add(dp_router *rt, const dp_route *row);
/* Finds the row for r->method and r->path, fills r->rest, r->csv, r->ud,
 * r->route and calls its handler; or answers 404, 405 or OPTIONS. */
void dp_router_dispatch(dp_router *rt, dp_req *r);
/* 1 if a row takes this method and path (no 404 or 405 for it). */
int dp_router_takes(const dp_router *rt, int method, const char *path, size_t n);
/* An answer with that status for the route name index. */
void dp_router_count(dp_router *rt, int name_ix, int status);
/* dp_http_requests_total: 0 or -E2BIG. */
int dp_router_render(const dp_router *rt, dp_buf *out);

#endif
