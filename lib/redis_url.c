#include "redis_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dp_redis_url_parse(const char *url, dp_redis_url *u, dp_err *err)
{
    memset(u, 0, sizeof(*u));
    if (!strncmp(url, "unix:", 5)) {
        const char *p = url + 5;
        if (!strncmp(p, "//", 2)) p += 2; /* unix:///path */
        size_t n = strlen(p);
        if (n == 0) return dp_err_set(err, -EINVAL, "redis: empty unix socket path");
        if (n > DP_REDIS_PATH_MAX)
            return dp_err_set(err, -EINVAL, "redis: unix socket path longer than %d bytes",
                              DP_REDIS_PATH_MAX);
        memcpy(u->path, p, n + 1);
        return 0;
    }
    if (strncmp(url, "redis://", 8) != 0)
        return dp_err_set(err, -EINVAL, "redis: must be redis://host:port or unix:/path");
    const char *hp = url + 8;
    size_t span = strcspn(hp, "/"); /* host[:port], before any path */
    const char *colon = memchr(hp, ':', span);
    size_t hn = colon ? (size_t)(colon - hp) : span;
    u->port = 6379;
    if (colon) {
        char *end;
        errno = 0;
        long port = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || end != hp + span || errno || port < 1 || port > 65535)
            return dp_err_set(err, -EINVAL, "redis: bad port in '%.64s'", url);
        u->port = (int)port;
    }
    if (hn == 0) return dp_err_set(err, -EINVAL, "redis: no host in '%.64s'", url);
    if (hn > DP_REDIS_HOST_MAX)
        return dp_err_set(err, -EINVAL, "redis: host longer than %d characters", DP_REDIS_HOST_MAX);
    memcpy(u->host, hp, hn);
    u->host[hn] = '\0';
    return 0;
}

int dp_redis_seeds_parse(const char *list, dp_redis_url *out, size_t *n, dp_err *err)
{
    *n = 0;
    if (strncmp(list, "unix:", 5) == 0) {
        *n = 1;
        return dp_redis_url_parse(list, &out[0], err);
    }
    const char *p = list;
    for (;;) {
        size_t span = strcspn(p, ",");
        char one[8 + DP_REDIS_HOST_MAX + 16];
        const char *piece = p;
        if (span >= 8 && !strncmp(piece, "redis://", 8)) piece += 8, span -= 8;
        if (span == 0) return dp_err_set(err, -EINVAL, "redis: an empty seed in '%.64s'", list);
        if (span > DP_REDIS_HOST_MAX + 8)
            return dp_err_set(err, -EINVAL, "redis: seed longer than %d characters",
                              DP_REDIS_HOST_MAX + 8);
        if (*n == DP_REDIS_SEEDS_MAX)
            return dp_err_set(err, -E2BIG, "redis: more than %d seed nodes", DP_REDIS_SEEDS_MAX);
        snprintf(one, sizeof(one), "redis://%.*s", (int)span, piece);
        int rc = dp_redis_url_parse(one, &out[*n], err);
        if (rc != 0) return rc;
        (*n)++;
        p = piece + span;
        if (*p == '\0') return 0;
        p++;
    }
}
