/* The async client: redis.h. Its own connection (redis_conn.c) goes to the
 * seeds; what INFO cluster answers there decides between sending on it
 * (one Redis) and routing by slot (redis_cluster.c). */
#include "redis.h"
#include "redis_cluster.h"
#include "redis_conn.h"
#include "redis_url.h"

#include <string.h>

#include "alloc.h"
#include "log.h"

static void on_slots(dp_redis *r, redisReply *reply, void *priv)
{
    (void)priv;
    if (reply == NULL) return; /* the connection went: it reconnects, and asks again */
    dp_err err;
    if (dp__cluster_load(r, reply, &err) != 0) {
        dp_warn("redis: %s", err.msg);
        dp__conn_drop(r, "no usable slot map");
    }
}

/* INFO cluster, on every new connection to the seeds: one Redis, or a
 * cluster (then its slot map, again after each reconnection). */
static void on_probe(dp_redis *r, redisReply *reply, void *priv)
{
    (void)priv;
    if (reply == NULL) return;
    r->probed = 1;
    int cluster = reply->type == REDIS_REPLY_STRING && strstr(reply->str, "cluster_enabled:1");
    if (!cluster) {
        if (r->cl)
            dp_warn("redis: %s:%d is not in cluster mode", r->host, r->port);
        else
            dp__conn_up(r);
        return;
    }
    static const char slots[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
    dp__conn_send(r, on_slots, NULL, slots, sizeof(slots) - 1);
}

static void on_connected(dp_redis *r)
{
    static const char info[] = "*2\r\n$4\r\nINFO\r\n$7\r\ncluster\r\n";
    r->probed = 0;
    dp__conn_send(r, on_probe, NULL, info, sizeof(info) - 1);
}

int dp_redis_init(dp_redis *r, uv_loop_t *loop, const char *url, uint64_t timeout_ms, dp_err *err)
{
    dp_redis_url seeds[DP_REDIS_SEEDS_MAX];
    size_t n;
    int rc = dp_redis_seeds_parse(url, seeds, &n, err);
    if (rc != 0) return rc;
    dp__conn_init(r, loop, timeout_ms);
    r->on_connected = on_connected;
    r->seeds = dp_malloc(n * sizeof(*seeds));
    memcpy(r->seeds, seeds, n * sizeof(*seeds));
    r->nseeds = n;
    if (seeds[0].path[0]) {
        r->path = dp_strdup(seeds[0].path);
    } else {
        r->host = dp_strdup(seeds[0].host);
        r->port = seeds[0].port;
    }
    return 0;
}

void dp_redis_start(dp_redis *r)
{
    dp__conn_start(r);
}

int dp_redis_command(dp_redis *r, dp_redis_cb cb, void *priv, int argc, const char **argv,
                     const size_t *argvlen)
{
    if (r->state != DP_REDIS_UP || r->closing) return -EAGAIN;
    char *cmd = NULL;
    long long len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) return -ENOMEM;
    int rc = dp_redis_formatted(r, cb, priv, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return rc;
}

int dp_redis_command_at(dp_redis *r, const char *key, dp_redis_cb cb, void *priv, int argc,
                        const char **argv, const size_t *argvlen)
{
    if (r->state != DP_REDIS_UP || r->closing) return -EAGAIN;
    char *cmd = NULL;
    long long len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) return -ENOMEM;
    int rc = dp_redis_formatted_at(r, key, strlen(key), cb, priv, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return rc;
}

int dp_redis_formatted(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len)
{
    if (r->state != DP_REDIS_UP || r->closing) return -EAGAIN;
    if (r->cl == NULL) return dp__conn_send(r, cb, priv, cmd, len);
    int s = dp__cluster_scatter(r, cb, priv, cmd, len);
    return s != 1 ? s : dp__cluster_send(r, NULL, 0, cb, priv, cmd, len);
}

int dp_redis_formatted_at(dp_redis *r, const char *key, size_t keylen, dp_redis_cb cb, void *priv,
                          const char *cmd, size_t len)
{
    if (r->state != DP_REDIS_UP || r->closing) return -EAGAIN;
    if (r->cl) return dp__cluster_send(r, key, keylen, cb, priv, cmd, len);
    return dp__conn_send(r, cb, priv, cmd, len);
}

int dp_redis_each_primary(dp_redis *r, dp_redis_cb cb, void *priv, int argc, const char **argv)
{
    if (r->state != DP_REDIS_UP || r->closing) return 0;
    char *cmd = NULL;
    long long len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0) return 0;
    int n = r->cl ? dp__cluster_each(r, cb, priv, cmd, (size_t)len)
                  : dp__conn_send(r, cb, priv, cmd, (size_t)len) == 0;
    redisFreeCommand(cmd);
    return n;
}

int dp_redis_is_cluster(const dp_redis *r)
{
    return r->cl != NULL;
}

void dp_redis_close(dp_redis *r, int force, void (*on_closed)(void *), void *ud)
{
    if (r->closing) return;
    dp__conn_close(r, force, on_closed, ud); /* done once the cluster's handles are too */
    if (r->cl) dp__cluster_close(r, force);
}
