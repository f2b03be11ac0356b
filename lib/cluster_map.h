/* Redis Cluster routing, the pure part (issue 22): which primary serves a
 * slot (from CLUSTER SLOTS, which Redis 7.0 and later answer), and what a
 * MOVED or ASK error says. The clients (the server's async one, the
 * collector's) keep one connection per primary and route each command by
 * its key's slot (keyslot.h); on MOVED they reload the map, on ASK they
 * send ASKING and the command to the node named, once. */
#ifndef DP_CLUSTER_MAP_H
#define DP_CLUSTER_MAP_H

#include <hiredis/hiredis.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "keyslot.h"

#define DP_CLUSTER_NODES_MAX 128

typedef struct dp_cluster_node {
    char host[64];
    int port;
} dp_cluster_node;

typedef struct dp_cluster_map {
    dp_cluster_node nodes[DP_CLUSTER_NODES_MAX]; /* the primaries */
    size_t nnodes;
    int16_t slot_node[DP_CLUSTER_SLOTS]; /* node index, -1: no primary serves it */
} dp_cluster_map;

/* The map from a CLUSTER SLOTS reply: 0, or -EINVAL with err when the reply
 * is not one. Slots no range names are left without a node. */
int dp_cluster_map_load(dp_cluster_map *m, const redisReply *r, dp_err *err);
/* The primary of a slot, or NULL. */
const dp_cluster_node *dp_cluster_map_node(const dp_cluster_map *m, unsigned slot);

typedef enum { DP_REDIRECT_NONE = 0, DP_REDIRECT_MOVED, DP_REDIRECT_ASK } dp_redirect_kind;

/* What an error reply says: "MOVED 3999 127.0.0.1:6381" or "ASK 3999
 * 127.0.0.1:6381" into *slot and *to (an empty host: the node that answered
 * it); anything else is DP_REDIRECT_NONE. */
dp_redirect_kind dp_cluster_redirect(const char *msg, unsigned *slot, dp_cluster_node *to);

#endif
