/* The `redis` setting: "redis://host[:port][/...]" (port 6379 by default)
 * or "unix:/path" ("unix:///path" too). One parser for the server's async
 * client and the collector's blocking one. */
#ifndef DP_REDIS_URL_H
#define DP_REDIS_URL_H

#include "deckpulse/error.h"

#define DP_REDIS_HOST_MAX 255
#define DP_REDIS_PATH_MAX 107 /* sockaddr_un.sun_path, with its NUL */

typedef struct dp_redis_url {
    char host[DP_REDIS_HOST_MAX + 1]; /* TCP; "" for a unix socket */
    int port;
    char path[DP_REDIS_PATH_MAX + 1]; /* unix socket; "" for TCP */
} dp_redis_url;

/* 0, or -EINVAL with err naming what is wrong (u then undefined). */
int dp_redis_url_parse(const char *url, dp_redis_url *u, dp_err *err);

#endif
