/* /metrics: every part renders its own counters; the server adds the
 * state of its Redis connection and of the private redis-server. */
#include "server.h"

static void render_redis(const dp_server *s, dp_buf *o)
{
    int state = s->have_redis ? (int)s->redis.state : DP_REDIS_DOWN;
    uint64_t restarts = s->have_redis_child ? s->redis_child.restarts : 0;
    dp_buf_printf(
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
        "dp_redis_server_restarts_total %llu\n"
        "# HELP dp_redis_cluster 1 when Redis is a cluster (detected: cluster_enabled:1).\n"
        "# TYPE dp_redis_cluster gauge\n"
        "dp_redis_cluster %d\n"
        "# HELP dp_redis_redirections_total Cluster MOVED, ASK and TRYAGAIN answers followed "
        "(ingest and reports).\n"
        "# TYPE dp_redis_redirections_total counter\n"
        "dp_redis_redirections_total %llu\n",
        state == DP_REDIS_UP, state == DP_REDIS_DOWN, state == DP_REDIS_CONNECTING,
        state == DP_REDIS_UP, (unsigned long long)s->redis.pending,
        (unsigned long long)s->redis.connects, (unsigned long long)s->redis.disconnects,
        (unsigned long long)s->redis.timeouts, (unsigned long long)restarts,
        s->have_redis && dp_redis_is_cluster(&s->redis),
        (unsigned long long)(s->redis.redirects +
                             (s->reports.have_rredis ? s->reports.rredis.redirects : 0)));
}

static void render_durable(const dp_server *s, dp_buf *o)
{
    dp_buf_printf(o,
                  "# HELP dp_redis_durable 1 when Redis runs appendonly yes and appendfsync always "
                  "(a 202 survives a power loss), 0 when it does not, -1 when unknown.\n"
                  "# TYPE dp_redis_durable gauge\n"
                  "dp_redis_durable %d\n",
                  s->redis_durable);
}

void dp__server_render_metrics(void *ud, dp_buf *out)
{
    dp_server *s = ud;
    dp_http_render_metrics(&s->http, out);
    dp_ingest_render_metrics(&s->ingest, out);
    render_redis(s, out);
    render_durable(s, out);
    dp_reports_render_metrics(&s->reports, out);
    dp_alerts_render_metrics(&s->alerts, out);
}
