/* GET /healthz, /readyz, /metrics. */
#include <stdio.h>
#include <string.h>

#include "router.h"

void dp_route_healthz(dp_conn *c)
{
    static const char body[] = "{\"status\":\"ok\"}";
    dp_conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body,
                    sizeof(body) - 1);
}

void dp_route_readyz(dp_conn *c)
{
    dp_redis_state st = c->srv->have_redis ? c->srv->redis.state : DP_REDIS_DOWN;
    if (st == DP_REDIS_UP && !c->srv->stopping) {
        static const char body[] = "{\"status\":\"ready\",\"redis\":\"up\"}";
        dp_conn_respond(c, 200, "application/json", "Cache-Control: no-store\r\n", body,
                        sizeof(body) - 1);
    } else {
        char body[96];
        int n = snprintf(body, sizeof(body), "{\"status\":\"not ready\",\"redis\":\"%s\"%s}",
                         dp_redis_state_name(st), c->srv->stopping ? ",\"stopping\":true" : "");
        char extra[64];
        snprintf(extra, sizeof(extra), "Retry-After: %lld\r\nCache-Control: no-store\r\n",
                 (long long)c->srv->cfg->retry_after_s);
        dp_conn_respond(c, 503, "application/json", extra, body, (size_t)n);
    }
}

void dp_route_metrics(dp_conn *c)
{
    dp_server *s = c->srv;
    dp_metrics_gauges g = {
        .open_connections = s->nconns,
        .redis_state = s->have_redis ? (int)s->redis.state : DP_REDIS_DOWN,
        .redis_connects = s->redis.connects,
        .redis_disconnects = s->redis.disconnects,
        .redis_timeouts = s->redis.timeouts,
        .redis_pending = s->redis.pending,
        .redis_restarts = s->have_redis_child ? s->redis_child.restarts : 0,
    };
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_metrics_render(&s->metrics, &g, &b);
    dp_conn_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8",
                    "Cache-Control: no-store\r\n", b.data, b.len);
    dp_buf_free(&b);
}
