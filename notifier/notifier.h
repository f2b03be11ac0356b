/* deckpulse-notifier: delivers the collector's alerts to the webhooks
 * (PRODUCT.md, "Alerts and webhooks"; the registry: server/alerts/). One
 * libuv loop drives an async Redis connection and libcurl's multi interface
 * (curl_multi_socket_action, as libcurl's multi-uv.c example does):
 *
 *   read    each shard's alerts stream through the consumer group "notify"
 *           (its own pending entries first, after a restart)
 *   fan out each alert to every webhook it matches (event, owner, prospect;
 *           not muted, not ignored) as one delivery per webhook, in that
 *           webhook's queue (dp:{w}:q:<id>, by due time) — one script,
 *           idempotent (the delivery id is the alert's and the webhook's),
 *           and only then XACK: a kill -9 anywhere loses nothing
 *   send    per webhook at most webhook_concurrency at once, so one slow or
 *           dead endpoint never delays another; Standard Webhooks headers
 *           signed with the webhook's secret; connect 5 s, total 10 s, no
 *           redirects, response bodies read and dropped; every connection's
 *           address checked against the SSRF rule (netaddr.h)
 *   settle 2xx: done; else retried on the schedule (schedule.h), then
 *           dead-lettered; each attempt logged (dp:{w}:log:<id>) and counted
 *           (dp:{w}:stats)
 *
 * A delivery stays in Redis until its endpoint answered 2xx or it was given
 * up on: at least once. Receivers tell repeats by webhook-id. */
#ifndef DP_NOTIFIER_H
#define DP_NOTIFIER_H

#include <signal.h>

#include "deckpulse/config.h"
#include "deckpulse/error.h"

/* Runs until *stop; 0 or an error. */
int dp_notifier_run(const dp_config *cfg, volatile sig_atomic_t *stop, dp_err *err);

#endif
