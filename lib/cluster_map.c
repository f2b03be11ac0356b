#include "cluster_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int node_index(dp_cluster_map *m, const char *host, size_t hl, int port)
{
    for (size_t i = 0; i < m->nnodes; i++)
        if (m->nodes[i].port == port && strlen(m->nodes[i].host) == hl &&
            !memcmp(m->nodes[i].host, host, hl))
            return (int)i;
    if (m->nnodes == DP_CLUSTER_NODES_MAX || hl >= sizeof(m->nodes[0].host)) return -1;
    dp_cluster_node *n = &m->nodes[m->nnodes];
    memcpy(n->host, host, hl);
    n->host[hl] = '\0';
    n->port = port;
    return (int)m->nnodes++;
}

int dp_cluster_map_load(dp_cluster_map *m, const redisReply *r, dp_err *err)
{
    m->nnodes = 0;
    for (unsigned s = 0; s < DP_CLUSTER_SLOTS; s++)
        m->slot_node[s] = -1;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return dp_err_set(err, -EINVAL, "cluster: CLUSTER SLOTS did not answer a list");
    /* each: [first, last, [host, port, id, ...] (the primary), replicas...] */
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER ||
            e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 2)
            return dp_err_set(err, -EINVAL, "cluster: CLUSTER SLOTS entry %zu is malformed", i);
        long long lo = e->element[0]->integer, hi = e->element[1]->integer;
        const redisReply *h = e->element[2]->element[0], *p = e->element[2]->element[1];
        if (lo < 0 || hi >= DP_CLUSTER_SLOTS || lo > hi || h->type != REDIS_REPLY_STRING ||
            p->type != REDIS_REPLY_INTEGER)
            return dp_err_set(err, -EINVAL, "cluster: CLUSTER SLOTS entry %zu is malformed", i);
        int ix = node_index(m, h->str, h->len, (int)p->integer);
        if (ix < 0)
            return dp_err_set(err, -E2BIG, "cluster: more than %d primaries", DP_CLUSTER_NODES_MAX);
        for (long long s = lo; s <= hi; s++)
            m->slot_node[s] = (int16_t)ix;
    }
    return 0;
}

const dp_cluster_node *dp_cluster_map_node(const dp_cluster_map *m, unsigned slot)
{
    if (slot >= DP_CLUSTER_SLOTS || m->slot_node[slot] < 0) return NULL;
    return &m->nodes[m->slot_node[slot]];
}

dp_redirect_kind dp_cluster_redirect(const char *msg, unsigned *slot, dp_cluster_node *to)
{
    dp_redirect_kind k;
    const char *p;
    if (!strncmp(msg, "MOVED ", 6))
        k = DP_REDIRECT_MOVED, p = msg + 6;
    else if (!strncmp(msg, "ASK ", 4))
        k = DP_REDIRECT_ASK, p = msg + 4;
    else
        return DP_REDIRECT_NONE;
    char *end;
    unsigned long s = strtoul(p, &end, 10);
    if (end == p || *end != ' ' || s >= DP_CLUSTER_SLOTS) return DP_REDIRECT_NONE;
    const char *addr = end + 1, *colon = strrchr(addr, ':');
    /* an empty host ("MOVED 3999 :6380"): the one the error came from (Redis 7) */
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(to->host)) return DP_REDIRECT_NONE;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) return DP_REDIRECT_NONE;
    memcpy(to->host, addr, (size_t)(colon - addr));
    to->host[colon - addr] = '\0';
    to->port = (int)port;
    *slot = (unsigned)s;
    return k;
}
