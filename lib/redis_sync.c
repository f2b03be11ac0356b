#include "redis_sync.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "keyslot.h"
#include "log.h"

#define RETRY_NODE_MS 1000 /* an unreachable primary is tried again after this */

static redisContext *open_one(const char *host, int port, const char *path,
                              const struct timeval *ctv, const struct timeval *tv, dp_err *err)
{
    redisContext *rc = path && path[0] ? redisConnectUnixWithTimeout(path, *ctv)
                                       : redisConnectWithTimeout(host, port, *ctv);
    if (rc == NULL || rc->err) {
        if (path && path[0])
            dp_err_set(err, -EIO, "redis: cannot connect to unix:%s: %s", path,
                       rc ? rc->errstr : "oom");
        else
            dp_err_set(err, -EIO, "redis: cannot connect to %s:%d: %s", host, port,
                       rc ? rc->errstr : "oom");
        if (rc) redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, *tv);
    return rc;
}

static struct timeval ms_tv(int ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

static void close_nodes(dp_sync *s)
{
    for (size_t i = 0; i < DP_CLUSTER_NODES_MAX; i++)
        if (s->node[i]) redisFree(s->node[i]);
    memset(s->node, 0, sizeof(s->node));
}

/* The slot map from the control connection; the nodes' connections are
 * opened again as needed (the primaries may have changed). */
static int load_map(dp_sync *s, dp_err *err)
{
    redisReply *r = redisCommand(s->ctl, "CLUSTER SLOTS");
    dp_cluster_map *m = dp_malloc(sizeof(*m));
    int rc = r == NULL ? dp_err_set(err, -EIO, "redis: %s", s->ctl->errstr)
                       : dp_cluster_map_load(m, r, err);
    if (r) freeReplyObject(r);
    if (rc == 0 && m->nnodes == 0) rc = dp_err_set(err, -EIO, "cluster: no slot is served");
    if (rc == 0) {
        /* an empty host: the seed's */
        for (size_t i = 0; i < m->nnodes; i++)
            if (!m->nodes[i].host[0])
                snprintf(m->nodes[i].host, sizeof(m->nodes[i].host), "%s",
                         s->ctl->tcp.host ? s->ctl->tcp.host : "127.0.0.1");
        close_nodes(s);
        memset(s->failed_ms, 0, sizeof(s->failed_ms));
        s->map = *m;
        s->stale = 0;
        s->loaded_ms = dp_now_ms();
    }
    dp_free(m);
    return rc == 0 ? 0 : -EIO;
}

int dp_sync_connect(dp_sync *s, const char *url, int connect_ms, int command_ms, dp_err *err)
{
    memset(s, 0, sizeof(*s));
    s->connect_tv = ms_tv(connect_ms);
    s->command_tv = ms_tv(command_ms);
    dp_redis_url seeds[DP_REDIS_SEEDS_MAX];
    size_t n;
    if (dp_redis_seeds_parse(url, seeds, &n, err) != 0) return -EINVAL;
    for (size_t i = 0; i < n && s->ctl == NULL; i++)
        s->ctl = open_one(seeds[i].host, seeds[i].port, seeds[i].path, &s->connect_tv,
                          &s->command_tv, err);
    if (s->ctl == NULL) return -EIO;
    redisReply *r = redisCommand(s->ctl, "INFO cluster");
    if (r == NULL) {
        dp_err_set(err, -EIO, "redis: %s", s->ctl->errstr);
        dp_sync_close(s);
        return -EIO;
    }
    s->cluster = r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_enabled:1") != NULL;
    freeReplyObject(r);
    if (!s->cluster) return 0;
    if (load_map(s, err) != 0) {
        dp_sync_close(s);
        return -EIO;
    }
    return 0;
}

redisContext *dp_sync_for(dp_sync *s, const char *key, dp_err *err)
{
    if (!s->cluster) return s->ctl;
    int64_t now = dp_now_ms();
    if (s->stale && now - s->loaded_ms >= RETRY_NODE_MS && load_map(s, err) != 0) return NULL;
    unsigned slot = dp_key_slot(key, strlen(key));
    int ix = s->map.slot_node[slot];
    if (ix < 0) {
        dp_err_set(err, -EIO, "cluster: no primary serves slot %u (%s)", slot, key);
        return NULL;
    }
    if (s->node[ix] == NULL) {
        const dp_cluster_node *n = &s->map.nodes[ix];
        if (s->failed_ms[ix] && now - s->failed_ms[ix] < RETRY_NODE_MS) {
            dp_err_set(err, -EIO, "cluster: %s:%d unreachable (slot %u)", n->host, n->port, slot);
            return NULL;
        }
        s->node[ix] = open_one(n->host, n->port, NULL, &s->connect_tv, &s->command_tv, err);
        if (s->node[ix] == NULL) {
            s->failed_ms[ix] = now;
            s->stale = 1; /* a replica may take over: the map again soon */
        }
    }
    return s->node[ix];
}

void dp_sync_failed(dp_sync *s, redisContext *c)
{
    if (!s->cluster || c == NULL || c == s->ctl) return;
    for (size_t i = 0; i < DP_CLUSTER_NODES_MAX; i++)
        if (s->node[i] == c) {
            redisFree(c);
            s->node[i] = NULL;
            s->failed_ms[i] = dp_now_ms();
            s->stale = 1;
        }
}

void dp_sync_close(dp_sync *s)
{
    close_nodes(s);
    if (s->ctl) redisFree(s->ctl);
    s->ctl = NULL;
}

int dp_redis_err_transient(const char *msg)
{
    static const char *const kinds[] = {"MOVED ",  "ASK ",     "TRYAGAIN",  "CLUSTERDOWN",
                                        "LOADING", "READONLY", "MASTERDOWN"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strncmp(msg, kinds[i], strlen(kinds[i]))) return 1;
    return 0;
}

redisContext *dp_sync_for_shard(void *ud, unsigned shard, dp_err *err)
{
    char prefix[24];
    dp_key_prefix(prefix, sizeof(prefix), shard);
    return dp_sync_for(ud, prefix, err);
}
