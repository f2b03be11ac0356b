/* POST /v1/links: minting link tokens. */
#ifndef DP_LINKS_H
#define DP_LINKS_H

#include "router.h"
#include "server.h"

int dp_links_register(dp_router *rt, dp_server *s);

#endif
