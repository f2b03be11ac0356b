/* The report routes, one table: /v1/materials, /v1/prospects, /v1/accounts,
 * /v1/presentations (each "/<id>" too, ".csv" for CSV, so an id that itself
 * ends in ".csv" is asked for with ?format=csv), the catalog, the erasure
 * of a prospect and the live viewers. */
#include "reports.h"

#include <errno.h>

#include "live.h"
#include "reports_routes.h"

int dp_reports_register(dp_router *rt, dp_server *s)
{
    const dp_route rows[] = {
        {DP_GET, "/v1/materials", DP_ROUTE_CSV, dp_route_materials, s, "report", NULL},
        {DP_GET, "/v1/materials/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_material_get, s,
         "report", NULL},
        {DP_PUT, "/v1/materials/", DP_ROUTE_PREFIX, dp_route_material_put, s, "catalog", NULL},
        {DP_POST, "/v1/catalog", 0, dp_route_catalog, s, "catalog", NULL},
        {DP_GET, "/v1/prospects", DP_ROUTE_CSV, dp_route_prospects, s, "report", NULL},
        {DP_GET, "/v1/prospects/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_prospect, s, "report",
         NULL},
        {DP_DELETE, "/v1/prospects/", DP_ROUTE_PREFIX, dp_route_prospect_delete, s, "report", NULL},
        {DP_GET, "/v1/accounts/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_account, s, "report",
         NULL},
        {DP_GET, "/v1/presentations/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_presentation, s,
         "report", NULL},
        {DP_GET, "/v1/live", 0, dp_route_live, s, "live", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (dp_router_add(rt, &rows[i]) != 0) return -E2BIG;
    return 0;
}
