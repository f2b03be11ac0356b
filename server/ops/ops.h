/* Operations: /healthz, /readyz, /metrics, the beacon script and the
 * dashboards' files. /metrics renders what the server's parts count
 * through a callback (the server wires them; ops knows none of them) and
 * adds the streams and collectors it reads from Redis. */
#ifndef DP_OPS_H
#define DP_OPS_H

#include "buf.h"
#include "deckpulse/config.h"
#include "redis.h"
#include "req.h"
#include "router.h"

typedef struct dp_ops_ctx {
    const dp_config *cfg;
    dp_redis *redis;                       /* the server's main connection, NULL if none */
    const int *stopping;                   /* the server's */
    void (*render)(void *ud, dp_buf *out); /* every part's counters */
    void *ud;
} dp_ops_ctx;

int dp_ops_register(dp_router *rt, dp_ops_ctx *o);
/* The beacon's version: 8 hex digits of its hash, for /beacon.<version>.js. */
const char *dp_beacon_version(void);

#endif
