#include "metrics.h"

#include "redis.h"

static const char *const reject_names[] = {"invalid",    "unauthorized", "origin",    "too_large",
                                           "media_type", "unavailable",  "rate_ip",   "rate_link",
                                           "bot",        "prefetch",     "spool_full"};
_Static_assert(sizeof(reject_names) / sizeof(reject_names[0]) == DP_REJECT__COUNT,
               "a name for every reason");
const char *const *const dp_reject_names = reject_names;

/* Upper bounds in microseconds. */
static const uint64_t bucket_us[DP_LATENCY_BUCKETS] = {100,    250,    500,     1000,      2500,
                                                       5000,   10000,  25000,   50000,     100000,
                                                       250000, 500000, 1000000, UINT64_MAX};

void dp_metrics_xadd_latency(void *ud, uint64_t usec)
{
    dp_metrics *m = ud;
    for (int i = 0; i < DP_LATENCY_BUCKETS; i++)
        if (usec <= bucket_us[i]) {
            m->xadd_buckets[i]++;
            break;
        }
    m->xadd_count++;
    m->xadd_sum_us += usec;
}

void dp_metrics_reject(dp_metrics *m, dp_reject why, uint64_t events)
{
    m->batches_rejected[why]++;
    m->events_rejected[why] += events;
}

int dp_metrics_render(const dp_metrics *m, const dp_metrics_gauges *g, dp_buf *o)
{
    int rc = 0;
    rc |=
        dp_buf_printf(o,
                      "# HELP dp_events_accepted_total Events made durable, in Redis or the "
                      "spool (202).\n"
                      "# TYPE dp_events_accepted_total counter\n"
                      "dp_events_accepted_total %llu\n"
                      "# HELP dp_events_spooled_total Of those, events written to the local "
                      "spool because Redis could not take them.\n"
                      "# TYPE dp_events_spooled_total counter\n"
                      "dp_events_spooled_total %llu\n"
                      "# HELP dp_batches_accepted_total Batches answered 202.\n"
                      "# TYPE dp_batches_accepted_total counter\n"
                      "dp_batches_accepted_total %llu\n",
                      (unsigned long long)m->events_accepted, (unsigned long long)m->events_spooled,
                      (unsigned long long)m->batches_accepted);
    rc |= dp_buf_printf(o,
                        "# HELP dp_events_clamped_total Events accepted with a value clamped: "
                        "at more than a day ahead, dwell over max_dwell_ms.\n"
                        "# TYPE dp_events_clamped_total counter\n"
                        "dp_events_clamped_total{field=\"at\"} %llu\n"
                        "dp_events_clamped_total{field=\"ms\"} %llu\n",
                        (unsigned long long)m->clamped_at, (unsigned long long)m->clamped_ms);
    rc |= dp_buf_puts(o, "# HELP dp_events_rejected_total Events of rejected batches, by reason "
                         "(when the batch could be decoded).\n"
                         "# TYPE dp_events_rejected_total counter\n");
    for (int i = 0; i < DP_REJECT__COUNT; i++)
        rc |= dp_buf_printf(o, "dp_events_rejected_total{reason=\"%s\"} %llu\n", dp_reject_names[i],
                            (unsigned long long)m->events_rejected[i]);
    rc |= dp_buf_puts(o, "# HELP dp_batches_rejected_total Ingest requests refused, by reason.\n"
                         "# TYPE dp_batches_rejected_total counter\n");
    for (int i = 0; i < DP_REJECT__COUNT; i++)
        rc |= dp_buf_printf(o, "dp_batches_rejected_total{reason=\"%s\"} %llu\n",
                            dp_reject_names[i], (unsigned long long)m->batches_rejected[i]);
    rc |= dp_buf_puts(o, "# HELP dp_redis_xadd_seconds Latency of XADD commands.\n"
                         "# TYPE dp_redis_xadd_seconds histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < DP_LATENCY_BUCKETS; i++) {
        cum += m->xadd_buckets[i];
        if (bucket_us[i] == UINT64_MAX)
            rc |= dp_buf_printf(o, "dp_redis_xadd_seconds_bucket{le=\"+Inf\"} %llu\n",
                                (unsigned long long)cum);
        else
            rc |= dp_buf_printf(o, "dp_redis_xadd_seconds_bucket{le=\"%g\"} %llu\n",
                                (double)bucket_us[i] / 1e6, (unsigned long long)cum);
    }
    rc |= dp_buf_printf(o,
                        "dp_redis_xadd_seconds_sum %.6f\n"
                        "dp_redis_xadd_seconds_count %llu\n",
                        (double)m->xadd_sum_us / 1e6, (unsigned long long)m->xadd_count);
    rc |= dp_buf_printf(
        o,
        "# HELP dp_redis_up 1 when the Redis connection is up.\n"
        "# TYPE dp_redis_up gauge\n"
        "dp_redis_up %d\n"
        "# HELP dp_redis_state Redis connection state.\n"
        "# TYPE dp_redis_state gauge\n"
        "dp_redis_state{state=\"down\"} %d\n"
        "dp_redis_state{state=\"connecting\"} %d\n"
        "dp_redis_state{state=\"up\"} %d\n"
        "# HELP dp_redis_pending_commands Commands sent to Redis and not yet answered.\n"
        "# TYPE dp_redis_pending_commands gauge\n"
        "dp_redis_pending_commands %llu\n"
        "# HELP dp_redis_connects_total Successful Redis connections.\n"
        "# TYPE dp_redis_connects_total counter\n"
        "dp_redis_connects_total %llu\n"
        "# HELP dp_redis_disconnects_total Redis connections lost.\n"
        "# TYPE dp_redis_disconnects_total counter\n"
        "dp_redis_disconnects_total %llu\n"
        "# HELP dp_redis_timeouts_total Redis connections dropped for unanswered commands.\n"
        "# TYPE dp_redis_timeouts_total counter\n"
        "dp_redis_timeouts_total %llu\n"
        "# HELP dp_redis_server_restarts_total Restarts of the private redis-server.\n"
        "# TYPE dp_redis_server_restarts_total counter\n"
        "dp_redis_server_restarts_total %llu\n",
        g->redis_state == DP_REDIS_UP, g->redis_state == DP_REDIS_DOWN,
        g->redis_state == DP_REDIS_CONNECTING, g->redis_state == DP_REDIS_UP,
        (unsigned long long)g->redis_pending, (unsigned long long)g->redis_connects,
        (unsigned long long)g->redis_disconnects, (unsigned long long)g->redis_timeouts,
        (unsigned long long)g->redis_restarts);
    return rc ? -E2BIG : 0;
}
