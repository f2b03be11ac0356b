/* The report handlers (reports.c puts them in the route table). */
#ifndef DP_REPORTS_ROUTES_H
#define DP_REPORTS_ROUTES_H

#include "req.h"

void dp_route_materials(dp_req *req);
void dp_route_material_get(dp_req *req);
void dp_route_material_put(dp_req *req);
void dp_route_catalog(dp_req *req);
void dp_route_outcomes(dp_req *req);
void dp_route_campaigns(dp_req *req);
void dp_route_campaign(dp_req *req);
void dp_route_owners(dp_req *req);
void dp_route_owner(dp_req *req);
void dp_route_prospects(dp_req *req);
void dp_route_prospect(dp_req *req);
void dp_route_prospect_delete(dp_req *req);
void dp_route_account(dp_req *req);
void dp_route_presentation(dp_req *req);

#endif
