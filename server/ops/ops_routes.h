/* The ops handlers (route_ops.c puts them in the route table). */
#ifndef DP_OPS_ROUTES_H
#define DP_OPS_ROUTES_H

#include "req.h"

void dp_route_beacon(dp_req *req);
void dp_dashboards_route(dp_req *req);

#endif
