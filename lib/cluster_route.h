/* Which key routes a command in a Redis Cluster (issue 22): read from the
 * command's RESP (lib/resp.h), without copying it. The key is the one Redis
 * itself would check first — argv[1] for most commands; for EVAL/EVALSHA/
 * FCALL the first declared key, or, declaring none, the first argument that
 * names a deckpulse key ("dp:{"); for XREAD/XREADGROUP the first stream; for
 * XGROUP, XINFO, OBJECT and MEMORY the argument after the subcommand.
 * Commands about the connection or the server (PING, INFO, CONFIG, CLUSTER,
 * SCRIPT, WAIT, ASKING...) have no key; MULTI, EXEC and DISCARD open and
 * close a transaction, which the client keeps on one node. */
#ifndef DP_CLUSTER_ROUTE_H
#define DP_CLUSTER_ROUTE_H

#include <stddef.h>

typedef enum {
    DP_ROUTE_BAD = -1, /* not one RESP command */
    DP_ROUTE_KEYLESS = 0,
    DP_ROUTE_KEY,
    DP_ROUTE_MULTI,
    DP_ROUTE_END /* EXEC or DISCARD */
} dp_route_kind;

typedef struct dp_route {
    dp_route_kind kind;
    const char *key; /* DP_ROUTE_KEY: into the command */
    size_t keylen;
} dp_route;

/* The route of the first command in cmd[0..len). */
dp_route_kind dp_cluster_route(const char *cmd, size_t len, dp_route *out);

#endif
