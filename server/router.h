/* Routing a complete request to its handler. Handlers answer with
 * dp_conn_respond()/dp_conn_error(), at once or later (ingest waits for
 * Redis). */
#ifndef DP_ROUTER_H
#define DP_ROUTER_H

#include "conn.h"

void dp_route_request(dp_conn *c);

/* handlers */
void dp_route_events(dp_conn *c);
void dp_route_pixel(dp_conn *c);
void dp_route_links(dp_conn *c);
void dp_route_healthz(dp_conn *c);
void dp_route_readyz(dp_conn *c);
void dp_route_metrics(dp_conn *c);
void dp_route_material_put(dp_conn *c, const char *id, size_t idlen);
void dp_route_catalog(dp_conn *c);
void dp_route_materials(dp_conn *c);
void dp_route_material_get(dp_conn *c, const char *id, size_t idlen);
void dp_route_prospects(dp_conn *c);
void dp_route_prospect(dp_conn *c, const char *id, size_t idlen);
void dp_route_account(dp_conn *c, const char *id, size_t idlen);
void dp_route_presentation(dp_conn *c, const char *id, size_t idlen);
void dp_route_prospect_delete(dp_conn *c, const char *id, size_t idlen);
void dp_route_beacon(dp_conn *c, const char *path, size_t n);
/* The beacon's version: 8 hex digits of its hash, for /beacon.<version>.js. */
const char *dp_beacon_version(void);

/* Called when a connection closes during shutdown. */
void dp__server_check_stopped(dp_server *s);

#endif
