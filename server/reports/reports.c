/* The report routes, one table: /v1/materials, /v1/prospects, /v1/accounts,
 * /v1/campaigns, /v1/owners,
 * /v1/presentations (each "/<id>" too, ".csv" for CSV, so an id that itself
 * ends in ".csv" is asked for with ?format=csv), the catalog, the erasure
 * of a prospect and the live viewers. */
#include "reports.h"

#include <errno.h>

#include "live.h"
#include "reports_routes.h"

int dp_reports_register(dp_router *rt, dp_reports_ctx *s)
{
    const dp_route rows[] = {
        {DP_GET, "/v1/materials", DP_ROUTE_CSV, dp_route_materials, s, "report", NULL},
        {DP_GET, "/v1/materials/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_material_get, s,
         "report", NULL},
        {DP_PUT, "/v1/materials/", DP_ROUTE_PREFIX, dp_route_material_put, s, "catalog", NULL},
        {DP_POST, "/v1/catalog", 0, dp_route_catalog, s, "catalog", NULL},
        {DP_POST, "/v1/outcomes", 0, dp_route_outcomes, s, "outcomes", NULL},
        {DP_GET, "/v1/campaigns", DP_ROUTE_CSV, dp_route_campaigns, s, "report", NULL},
        {DP_GET, "/v1/campaigns/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_campaign, s, "report",
         NULL},
        {DP_GET, "/v1/owners", DP_ROUTE_CSV, dp_route_owners, s, "report", NULL},
        {DP_GET, "/v1/owners/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, dp_route_owner, s, "report", NULL},
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

void dp_reports_init(dp_reports_ctx *r, uv_loop_t *loop, const dp_config *cfg,
                     const dp_apikeys *keys, const int *stopping)
{
    r->loop = loop;
    r->cfg = cfg;
    r->keys = keys;
    r->stopping = stopping;
    dp_rcache_init(&r->rcache, (size_t)cfg->report_cache_mb << 20);
    dp_strmap_init(&r->flights);
}

void dp_reports_free(dp_reports_ctx *r)
{
    dp_rcache_free(&r->rcache);
    dp_strmap_free(&r->flights);
}

int dp_reports_render_metrics(const dp_reports_ctx *r, dp_buf *b)
{
    return dp_buf_printf(
        b,
        "# HELP dp_report_cache_hits_total Report answers served from the cache.\n"
        "# TYPE dp_report_cache_hits_total counter\n"
        "dp_report_cache_hits_total %llu\n"
        "# HELP dp_report_cache_misses_total Report answers computed from Redis.\n"
        "# TYPE dp_report_cache_misses_total counter\n"
        "dp_report_cache_misses_total %llu\n"
        "# HELP dp_report_cache_refreshes_total Older answers served while refreshed.\n"
        "# TYPE dp_report_cache_refreshes_total counter\n"
        "dp_report_cache_refreshes_total %llu\n"
        "# HELP dp_report_cache_bytes Memory held by cached report answers.\n"
        "# TYPE dp_report_cache_bytes gauge\n"
        "dp_report_cache_bytes %llu\n"
        "# HELP dp_reports_computed_total Report computations started.\n"
        "# TYPE dp_reports_computed_total counter\n"
        "dp_reports_computed_total %llu\n"
        "# HELP dp_reports_running Report computations in progress.\n"
        "# TYPE dp_reports_running gauge\n"
        "dp_reports_running %u\n",
        (unsigned long long)r->rcache.hits, (unsigned long long)r->rcache.misses,
        (unsigned long long)r->rcache.refreshes, (unsigned long long)r->rcache.bytes,
        (unsigned long long)r->reports_computed, r->reports_running);
}
