#include "router.h"

#include <string.h>

#include "dashboards.h"
#include "live.h"

static int path_is(const char *p, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

static void preflight(dp_conn *c, const char *headers)
{
    size_t olen;
    const char *origin = dp_http_req_header(&c->req, "origin", &olen);
    c->route = DP_ROUTE_PREFLIGHT;
    if (origin == NULL) {
        dp_conn_error(c, 400, "preflight without Origin");
        return;
    }
    /* dp_conn_respond adds Access-Control-Allow-Origin for allowed origins. */
    dp_conn_respond(c, 204, NULL, headers, "", 0);
}

/* The report routes: "/v1/<collection>" or "/v1/<collection>/<id>", either
 * with an optional ".csv" for CSV (so an id that itself ends in ".csv" is
 * asked for with ?format=csv instead). */
static int report(dp_conn *c, const char *path, size_t n, int get)
{
    static const struct {
        const char *prefix;
        void (*list)(dp_conn *);
        void (*one)(dp_conn *, const char *, size_t);
    } routes[] = {
        {"/v1/materials", dp_route_materials, dp_route_material_get},
        {"/v1/prospects", dp_route_prospects, dp_route_prospect},
        {"/v1/accounts", NULL, dp_route_account},
        {"/v1/presentations", NULL, dp_route_presentation},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t pl = strlen(routes[i].prefix);
        if (n < pl || memcmp(path, routes[i].prefix, pl) != 0) continue;
        const char *rest = path + pl;
        size_t rn = n - pl;
        int csv = rn >= 4 && !memcmp(rest + rn - 4, ".csv", 4);
        if (csv) rn -= 4;
        if (rn == 0 && routes[i].list == NULL) continue;
        if (rn > 0 && (rest[0] != '/' || rn == 1)) continue;
        c->route = DP_ROUTE_REPORT;
        if (!get) {
            dp_conn_error(c, 405, "use GET");
            return 1;
        }
        c->want_csv = csv;
        if (rn == 0)
            routes[i].list(c);
        else
            routes[i].one(c, rest + 1, rn - 1);
        return 1;
    }
    return 0;
}

void dp_route_request(dp_conn *c)
{
    const char *path, *q;
    size_t n, qn;
    dp_http_req_path(&c->req, &path, &n, &q, &qn);
    int m = c->req.method;
    int get = m == HTTP_GET || m == HTTP_HEAD;

    if (path_is(path, n, "/v1/events")) {
        c->route = DP_ROUTE_EVENTS;
        if (m == HTTP_POST)
            dp_route_events(c);
        else if (m == HTTP_OPTIONS)
            preflight(c, "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
                         "Access-Control-Allow-Headers: Content-Type, Content-Encoding\r\n"
                         "Access-Control-Max-Age: 86400\r\n");
        else
            dp_conn_error(c, 405, "use POST");
    } else if (path_is(path, n, "/v1/pixel.gif")) {
        c->route = DP_ROUTE_PIXEL;
        if (get)
            dp_route_pixel(c);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (path_is(path, n, "/v1/links")) {
        c->route = DP_ROUTE_LINKS;
        if (m == HTTP_POST)
            dp_route_links(c);
        else if (m == HTTP_OPTIONS)
            preflight(c, "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
                         "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
                         "Access-Control-Max-Age: 86400\r\n");
        else
            dp_conn_error(c, 405, "use POST");
    } else if (n > 14 && !memcmp(path, "/v1/prospects/", 14) && m == HTTP_DELETE) {
        c->route = DP_ROUTE_REPORT;
        dp_route_prospect_delete(c, path + 14, n - 14);
    } else if (n > 14 && !memcmp(path, "/v1/materials/", 14) && m == HTTP_PUT) {
        c->route = DP_ROUTE_CATALOG;
        dp_route_material_put(c, path + 14, n - 14);
    } else if (path_is(path, n, "/v1/live")) {
        c->route = DP_ROUTE_LIVE;
        if (get)
            dp_route_live(c);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (report(c, path, n, get)) {
        /* answered */
    } else if (path_is(path, n, "/v1/catalog")) {
        c->route = DP_ROUTE_CATALOG;
        if (m == HTTP_POST)
            dp_route_catalog(c);
        else
            dp_conn_error(c, 405, "use POST");
    } else if (path_is(path, n, "/beacon.js") ||
               (n == 19 && !memcmp(path, "/beacon.", 8) && !memcmp(path + 16, ".js", 3))) {
        c->route = DP_ROUTE_BEACON;
        if (get)
            dp_route_beacon(c, path, n);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (path_is(path, n, "/healthz")) {
        c->route = DP_ROUTE_HEALTHZ;
        if (get)
            dp_route_healthz(c);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (path_is(path, n, "/readyz")) {
        c->route = DP_ROUTE_READYZ;
        if (get)
            dp_route_readyz(c);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (path_is(path, n, "/metrics")) {
        c->route = DP_ROUTE_METRICS;
        if (get)
            dp_route_metrics(c);
        else
            dp_conn_error(c, 405, "use GET");
    } else if (get && dp_dashboards_route(c, path, n)) {
        /* a dashboard file */
    } else {
        c->route = DP_ROUTE_OTHER;
        dp_conn_error(c, 404, "no such route");
    }
}
