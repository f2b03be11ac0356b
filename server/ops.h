/* Operations: /healthz, /readyz, /metrics, the beacon script and the
 * dashboards' files. */
#ifndef DP_OPS_H
#define DP_OPS_H

#include "router.h"
#include "server.h"

int dp_ops_register(dp_router *rt, dp_server *s);
/* The beacon's version: 8 hex digits of its hash, for /beacon.<version>.js. */
const char *dp_beacon_version(void);

void dp_route_beacon(dp_req *req);

#endif
