/* The `redis` setting: "redis://host[:port][/...]" (port 6379 by default)
 * or "unix:/path" ("unix:///path" too), or several seed nodes of a cluster. One parser for the server's async
 * client and the collector's blocking one. */
#ifndef DP_REDIS_URL_H
#define DP_REDIS_URL_H

#include <stddef.h>

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

/* Seed nodes of a cluster (issue 22): "redis://h1:p1,h2:p2" (each piece
 * may repeat "redis://") into out[0..*n), at most DP_REDIS_SEEDS_MAX. A
 * single URL is one seed. 0, or -EINVAL / -E2BIG with err. */
#define DP_REDIS_SEEDS_MAX 16
int dp_redis_seeds_parse(const char *list, dp_redis_url *out, size_t *n, dp_err *err);

#endif
