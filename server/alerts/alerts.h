/* Alerts and webhooks, the server's side (issue 21): the webhook registry
 * (POST/GET/DELETE /v1/webhooks, GET /v1/webhooks/{id}/deliveries, admin
 * only). The collector emits the alerts into each shard's alerts stream in
 * the rollup's transaction; deckpulse-notifier delivers them (notifier/).
 *
 * Under the hash tag {w} (include/deckpulse/keys.h):
 *   dp:{w}:hooks              HASH  id -> the webhook as JSON (with its secret)
 *   dp:{w}:q:<id>             ZSET  its pending deliveries by when they are due
 *   dp:{w}:d:<delivery>       HASH  a delivery: hook type body attempt first next error
 *   dp:{w}:log:<id>           LIST  its last DP_WH_LOG attempts (JSON), newest first
 *   dp:{w}:dead:<id>          LIST  deliveries given up on (JSON), newest first
 *   dp:{w}:muted              SET   presentations whose links were minted muted */
#ifndef DP_ALERTS_H
#define DP_ALERTS_H

#include <uv.h>

#include "apikey.h"
#include "deckpulse/config.h"
#include "redis.h"
#include "router.h"

#define DP_WEBHOOKS_MAX 100  /* webhooks registered at once */
#define DP_WH_URL_MAX   2048 /* characters of a webhook's URL */
#define DP_WH_LOG       50   /* attempts kept per webhook */

typedef struct dp_alerts {
    uv_loop_t *loop;
    const dp_config *cfg;
    const dp_apikeys *keys;
    dp_redis *redis;        /* the registry's writes and reads */
    dp_redis *stats_redis;  /* the metrics' reads: the reports' connection, never ingest's */
    uv_timer_t stats_timer; /* refreshes stats every DP_WH_STATS_MS */
    int have_timer, asking;
    dp_buf stats; /* the webhooks' metrics, Prometheus text, as last read */
} dp_alerts;

#define DP_WH_STATS_MS 2000

int dp_alerts_register(dp_router *rt, dp_alerts *a);
/* Starts reading the deliveries' counters from Redis every DP_WH_STATS_MS
 * (the notifier writes them: dp:{w}:stats, the queues). */
void dp_alerts_start(dp_alerts *a);
void dp_alerts_close(dp_alerts *a);
/* The webhooks' series for /metrics, as last read: per webhook, deliveries
 * sent, failed, retried, dead-lettered, queue length and the age of the
 * oldest due delivery. */
void dp_alerts_render_metrics(const dp_alerts *a, dp_buf *out);

/* The host and port of an http(s) URL, checked: 0, or -EINVAL with err
 * naming what is wrong ("url: …"). host gets at most 255 characters. */
int dp_wh_url_parse(const char *url, char host[256], int *port, int *https, dp_err *err);

#endif
