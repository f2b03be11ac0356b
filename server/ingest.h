/* Ingest: POST /v1/events and GET /v1/pixel.gif, from the request to a
 * durable 202 (Redis, or the spool while Redis cannot take it). */
#ifndef DP_INGEST_H
#define DP_INGEST_H

#include "router.h"
#include "server.h"

int dp_ingest_register(dp_router *rt, dp_server *s);
/* A batch's answer from its XADD group (dp_xgroup_cb). */
void dp__ingest_stored(void *member, int status, const char *text, size_t len);

#endif
