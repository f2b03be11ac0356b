/* The webhooks' delivery metrics (alerts.h): read from Redis on a timer, so
 * rendering /metrics never waits for Redis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "deckpulse/keys.h"

/* per webhook: id, sent, failed, retried, dead, queue length, oldest due */
static const char stats_lua[] =
    "local out, now = {}, tonumber(ARGV[1])\n"
    "for _, id in ipairs(redis.call('HKEYS', 'dp:{w}:hooks')) do\n"
    "  local s = redis.call('HMGET', 'dp:{w}:stats', id .. '|sent', id .. '|failed',\n"
    "                       id .. '|retried', id .. '|dead')\n"
    "  local q = 'dp:{w}:q:' .. id\n"
    "  local first = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')\n"
    "  local age = 0\n"
    "  if first[2] and tonumber(first[2]) < now then age = now - tonumber(first[2]) end\n"
    "  out[#out + 1] = {id, s[1] or '0', s[2] or '0', s[3] or '0', s[4] or '0',\n"
    "                   redis.call('ZCARD', q), age}\n"
    "end\n"
    "return out\n";

static void on_stats(dp_redis *r, redisReply *reply, void *priv)
{
    dp_alerts *a = priv;
    (void)r;
    a->asking = 0;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) return;
    static const char *const names[] = {"sent", "failed", "retried", "dead_lettered"};
    dp_buf *o = &a->stats;
    dp_buf_reset(o);
    for (int k = 0; k < 4; k++) {
        dp_buf_printf(o, "# TYPE dp_webhook_deliveries_%s_total counter\n", names[k]);
        for (size_t i = 0; i < reply->elements; i++) {
            const redisReply *e = reply->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 7) continue;
            dp_buf_printf(o, "dp_webhook_deliveries_%s_total{webhook=\"%s\"} %s\n", names[k],
                          e->element[0]->str, e->element[1 + k]->str);
        }
    }
    dp_buf_puts(o, "# TYPE dp_webhook_queue_length gauge\n");
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type == REDIS_REPLY_ARRAY && e->elements == 7)
            dp_buf_printf(o, "dp_webhook_queue_length{webhook=\"%s\"} %lld\n", e->element[0]->str,
                          e->element[5]->integer);
    }
    dp_buf_puts(o, "# TYPE dp_webhook_queue_age_seconds gauge\n");
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (e->type == REDIS_REPLY_ARRAY && e->elements == 7)
            dp_buf_printf(o, "dp_webhook_queue_age_seconds{webhook=\"%s\"} %.3f\n",
                          e->element[0]->str, (double)e->element[6]->integer / 1000.0);
    }
}

static void on_timer(uv_timer_t *t)
{
    dp_alerts *a = t->data;
    dp_redis *r = a->stats_redis ? a->stats_redis : a->redis;
    if (a->asking || r == NULL || r->state != DP_REDIS_UP) return;
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)dp_now_ms());
    const char *argv[] = {"EVAL", stats_lua, "0", now};
    a->asking = 1;
    if (dp_redis_command_at(r, DP_KEY_MUTED, on_stats, a, 4, argv, NULL) != 0) a->asking = 0;
}

void dp_alerts_start(dp_alerts *a)
{
    dp_buf_init(&a->stats, 0);
    uv_timer_init(a->loop, &a->stats_timer);
    a->stats_timer.data = a;
    uv_timer_start(&a->stats_timer, on_timer, 200, DP_WH_STATS_MS);
    a->have_timer = 1;
}

void dp_alerts_close(dp_alerts *a)
{
    if (!a->have_timer) return;
    uv_timer_stop(&a->stats_timer);
    uv_close((uv_handle_t *)&a->stats_timer, NULL);
    a->have_timer = 0;
}

void dp_alerts_render_metrics(const dp_alerts *a, dp_buf *out)
{
    if (a->stats.len) dp_buf_append(out, a->stats.data, a->stats.len);
}
