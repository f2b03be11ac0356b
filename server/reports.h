/* The reports: every report route, the catalog and the live viewers. */
#ifndef DP_REPORTS_H
#define DP_REPORTS_H

#include "router.h"
#include "server.h"

int dp_reports_register(dp_router *rt, dp_server *s);

#endif
