#include "router.h"

#include <errno.h>
#include <string.h>

void dp_router_init(dp_router *rt)
{
    memset(rt, 0, sizeof(*rt));
    rt->names[DP_ROUTE_NAME_PREFLIGHT] = "preflight";
    rt->names[DP_ROUTE_NAME_OTHER] = "other";
    rt->nnames = 2;
}

int dp_router_add(dp_router *rt, const dp_route *row)
{
    if (rt->n == DP_ROUTES_MAX) return -E2BIG;
    int ix;
    for (ix = 0; ix < rt->nnames; ix++)
        if (strcmp(rt->names[ix], row->name) == 0) break;
    if (ix == rt->nnames) {
        if (rt->nnames == DP_ROUTE_NAMES_MAX) return -E2BIG;
        rt->names[rt->nnames++] = row->name;
    }
    rt->name_ix[rt->n] = ix;
    rt->routes[rt->n++] = *row;
    return 0;
}

static unsigned method_bit(int m)
{
    switch (m) {
    case HTTP_GET:
    case HTTP_HEAD:
        return DP_GET;
    case HTTP_POST:
        return DP_POST;
    case HTTP_PUT:
        return DP_PUT;
    case HTTP_DELETE:
        return DP_DELETE;
    default:
        return 0;
    }
}

/* Whether row takes this path; fills rest and csv. */
static int path_matches(const dp_route *row, const char *p, size_t n, const char **rest,
                        size_t *rest_len, int *csv)
{
    *csv = 0;
    if ((row->flags & DP_ROUTE_CSV) && n >= 4 && memcmp(p + n - 4, ".csv", 4) == 0) {
        n -= 4;
        *csv = 1;
    }
    size_t pl = strlen(row->path);
    if (row->flags & DP_ROUTE_PREFIX) {
        if (n <= pl || memcmp(p, row->path, pl) != 0) return 0;
        *rest = p + pl;
        *rest_len = n - pl;
        return 1;
    }
    *rest = p + n;
    *rest_len = 0;
    return n == pl && memcmp(p, row->path, pl) == 0;
}

static void not_allowed(dp_router *rt, dp_req *r, unsigned allowed, int preflight, int name_ix)
{
    static const struct {
        unsigned bit;
        const char *name;
    } m[] = {{DP_GET, "GET"}, {DP_POST, "POST"}, {DP_PUT, "PUT"}, {DP_DELETE, "DELETE"}};
    char allow[96] = "Allow: ", msg[64] = "use ";
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        if (!(allowed & m[i].bit)) continue;
        if (msg[4]) strcat(msg, " or ");
        strcat(msg, m[i].name);
        if (allow[7]) strcat(allow, ", ");
        strcat(allow, m[i].name);
        if (m[i].bit == DP_GET) strcat(allow, ", HEAD");
    }
    if (preflight) strcat(allow, ", OPTIONS");
    strcat(allow, "\r\n");
    r->route = rt->names[name_ix];
    r->route_ix = name_ix;
    /* the error body, with the Allow line */
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "{\"error\":\"");
    dp_buf_json_str(&b, msg, strlen(msg));
    dp_buf_puts(&b, "\"}");
    dp_req_respond(r, 405, "application/json", allow, b.data, b.len);
    dp_buf_free(&b);
}

static void call(dp_router *rt, size_t i, dp_req *r, const char *rest, size_t rest_len, int csv)
{
    r->rest = rest;
    r->rest_len = rest_len;
    r->csv = csv;
    r->ud = rt->routes[i].ud;
    r->route = rt->names[rt->name_ix[i]];
    r->route_ix = rt->name_ix[i];
    r->cors = rt->routes[i].preflight != NULL;
    rt->routes[i].handler(r);
}

void dp_router_dispatch(dp_router *rt, dp_req *r)
{
    unsigned bit = method_bit(r->method);
    unsigned allowed = 0;
    const char *preflight = NULL;
    int first = -1;
    for (size_t i = 0; i < rt->n; i++) {
        const dp_route *row = &rt->routes[i];
        const char *rest;
        size_t rest_len;
        int csv;
        if (row->flags & DP_ROUTE_FALLBACK) continue;
        if (!path_matches(row, r->path, r->path_len, &rest, &rest_len, &csv)) continue;
        if (row->methods & bit) {
            call(rt, i, r, rest, rest_len, csv);
            return;
        }
        allowed |= row->methods;
        if (row->preflight && preflight == NULL) preflight = row->preflight;
        if (first < 0) first = (int)i;
    }
    if (first >= 0) {
        r->cors = preflight != NULL;
        if (r->method == HTTP_OPTIONS && preflight) {
            r->route = rt->names[DP_ROUTE_NAME_PREFLIGHT];
            r->route_ix = DP_ROUTE_NAME_PREFLIGHT;
            size_t olen;
            if (dp_req_header(r, "origin", &olen) == NULL)
                dp_req_error(r, 400, "preflight without Origin");
            else /* Access-Control-Allow-Origin comes with every answer to an allowed origin */
                dp_req_respond(r, 204, NULL, preflight, "", 0);
            return;
        }
        not_allowed(rt, r, allowed, preflight != NULL, rt->name_ix[first]);
        return;
    }
    for (size_t i = 0; i < rt->n; i++) {
        const dp_route *row = &rt->routes[i];
        const char *rest;
        size_t rest_len;
        int csv;
        if ((row->flags & DP_ROUTE_FALLBACK) && (row->methods & bit) &&
            path_matches(row, r->path, r->path_len, &rest, &rest_len, &csv)) {
            call(rt, i, r, rest, rest_len, csv);
            return;
        }
    }
    r->route = rt->names[DP_ROUTE_NAME_OTHER];
    r->route_ix = DP_ROUTE_NAME_OTHER;
    dp_req_error(r, 404, "no such route");
}

int dp_router_takes(const dp_router *rt, int method, const char *path, size_t n)
{
    unsigned bit = method_bit(method);
    for (size_t i = 0; i < rt->n; i++) {
        const char *rest;
        size_t rest_len;
        int csv;
        if ((rt->routes[i].methods & bit) &&
            path_matches(&rt->routes[i], path, n, &rest, &rest_len, &csv))
            return 1;
    }
    return 0;
}

void dp_router_count(dp_router *rt, int name_ix, int status)
{
    int i;
    for (i = 0; i < rt->nstatuses; i++)
        if (rt->statuses[i] == status) break;
    if (i == rt->nstatuses) {
        if (rt->nstatuses == DP_STATUSES_MAX) return; /* cannot happen: we emit fewer */
        rt->statuses[rt->nstatuses++] = status;
    }
    rt->requests[name_ix][i]++;
}

int dp_router_render(const dp_router *rt, dp_buf *o)
{
    int rc = dp_buf_puts(o, "# HELP dp_http_requests_total HTTP requests by route and status.\n"
                            "# TYPE dp_http_requests_total counter\n");
    for (int r = 0; r < rt->nnames; r++)
        for (int s = 0; s < rt->nstatuses; s++)
            if (rt->requests[r][s])
                rc |= dp_buf_printf(o, "dp_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                                    rt->names[r], rt->statuses[s],
                                    (unsigned long long)rt->requests[r][s]);
    return rc ? -E2BIG : 0;
}
