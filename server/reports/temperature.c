/* prospect.temperature (issue 21): every DP_TEMP_WATCH_MS, the prospects
 * seen since the last pass are scored as the hot list scores them (its
 * loader, the default range and mode), and each one's temperature is
 * compared with the one last recorded (dp:{0}:temp, with the alerts stream: one slot) in one script that
 * records the new ones and, for each that rose (cold -> warm, warm -> hot,
 * cold -> hot), appends a prospect.temperature alert to the alerts stream in
 * the collector's layout (collector/rollup_alerts.h). The compare-and-set is
 * atomic, so several servers alert a crossing once; a temperature that fell
 * is recorded silently, so the next rise alerts again. Unlike the other
 * alerts it is not written in the rollup's transaction: a server killed
 * between the scoring and the script misses nothing (the next pass scores
 * the prospect again) and alerts nothing twice (the script). */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "live.h"
#include "prospect_load.h"
#include "reports.h"
#include "rquery.h"

#define DP_TEMP_WATCH_MS 2000
#define DP_TEMP_MAX      5000 /* prospects scored a pass */

static const char temp_lua[] =
    /* KEYS: DP_KEY_TEMP, the alerts stream of shard 0 (one hash tag); ARGV: now,
     * then (prospect, temperature, score, account, campaign, owner) each */
    "local rank, lines = {cold = 0, warm = 1, hot = 2}, {}\n"
    "for i = 2, #ARGV, 6 do\n"
    "  local p, t = ARGV[i], ARGV[i + 1]\n"
    "  local old = redis.call('HGET', KEYS[1], p) or 'cold'\n"
    "  if old ~= t then redis.call('HSET', KEYS[1], p, t) end\n"
    "  if (rank[t] or 0) > (rank[old] or 0) then\n"
    "    lines[#lines + 1] = 'prospect.temperature\\t' .. ARGV[1] .. '\\t||' .. p .. '|' ..\n"
    "      ARGV[i + 3] .. '|' .. ARGV[i + 4] .. '|' .. ARGV[i + 5] ..\n"
    "      '\\t{\"temperature\":\"' .. t .. '\",\"from\":\"' .. old .. '\",\"score\":' ..\n"
    "      ARGV[i + 2] .. '}'\n"
    "  end\n"
    "end\n"
    "if #lines > 0 then\n"
    "  redis.call('XADD', KEYS[2], 'MAXLEN', '~', " DP_ALERTS_MAXLEN ", '*', 'n', #lines,\n"
    "             'a', table.concat(lines, '\\n') .. '\\n')\n"
    "end\n"
    "return #lines\n";

typedef struct twatch {
    dp_reports_ctx *srv;
    dp_pload load;
    int64_t started;
} twatch;

static void destroy(void *p)
{
    twatch *w = p;
    w->srv->temp_busy = 0;
    dp_pload_free(&w->load);
    dp_free(w);
}

static void finish(dp_rq *q)
{
    twatch *w = q->state;
    w->srv->temp_since = w->started; /* the next pass: prospects seen from then on */
    dp_buf none;
    dp_buf_init(&none, 0);
    dp_rq_finish(q, "text/plain", &none);
}

static void scored(dp_rq *q)
{
    twatch *w = q->state;
    if (w->load.n == 0) {
        finish(q);
        return;
    }
    const char **argv = dp_malloc((6 + 6 * w->load.n) * sizeof(char *));
    char(*nums)[24] = dp_malloc((w->load.n + 1) * sizeof(*nums));
    size_t argc = 0;
    char alerts[32];
    dp_key_alerts(alerts, sizeof(alerts), 0);
    argv[argc++] = "EVAL";
    argv[argc++] = temp_lua;
    argv[argc++] = "2";
    argv[argc++] = DP_KEY_TEMP;
    argv[argc++] = alerts;
    snprintf(nums[w->load.n], sizeof(nums[0]), "%lld", (long long)w->started);
    argv[argc++] = nums[w->load.n];
    for (size_t i = 0; i < w->load.n; i++) {
        const dp_prospect *p = &w->load.v[i];
        if (!p->found || p->score.temperature == NULL) continue;
        snprintf(nums[i], sizeof(nums[0]), "%.1f", p->score.score);
        argv[argc++] = p->id;
        argv[argc++] = p->score.temperature;
        argv[argc++] = nums[i];
        argv[argc++] = p->account;
        argv[argc++] = p->campaign;
        argv[argc++] = p->owner;
    }
    dp_rq_cmd(q, NULL, NULL, 0, argc, argv);
    dp_free(argv);
    dp_free(nums);
    dp_rq_run(q, finish);
}

static void on_seen(dp_rq *q, const redisReply *r, void *tag, size_t itag)
{
    twatch *w = q->state;
    (void)tag;
    (void)itag;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        dp_pload_add(&w->load, r->element[i]->str, r->element[i]->len);
}

static void load(dp_rq *q)
{
    twatch *w = q->state;
    dp_pload_run(q, &w->load, scored);
}

static void on_tick(uv_timer_t *t)
{
    dp_reports_ctx *s = t->data;
    if (s->temp_busy || (s->stopping && *s->stopping)) return;
    int64_t now = dp_now_ms();
    if (s->temp_since == 0) s->temp_since = now; /* from the server's start on */
    dp_rq *q = dp_rq_internal(s);
    if (q == NULL) return;
    twatch *w = dp_calloc(1, sizeof(*w));
    w->srv = s;
    w->started = now;
    dp_pload_init(&w->load, 0, DP_TEMP_MAX);
    q->state = w;
    q->destroy = destroy;
    s->temp_busy = 1;
    char since[24], lim[16];
    snprintf(since, sizeof(since), "%lld", (long long)s->temp_since);
    snprintf(lim, sizeof(lim), "%d", DP_TEMP_MAX);
    for (unsigned n = 0; n < q->shards; n++) {
        char key[32];
        dp_key_prospects(key, sizeof(key), n);
        const char *argv[] = {"ZRANGEBYSCORE", key, since, "+inf", "LIMIT", "0", lim};
        dp_rq_cmd(q, on_seen, NULL, 0, 7, argv);
    }
    dp_rq_run(q, load);
}

void dp_temp_watch_start(dp_reports_ctx *s)
{
    uv_timer_init(s->loop, &s->temp_timer);
    s->temp_timer.data = s;
    uv_timer_start(&s->temp_timer, on_tick, DP_TEMP_WATCH_MS, DP_TEMP_WATCH_MS);
}

void dp_temp_watch_stop(dp_reports_ctx *s)
{
    uv_timer_stop(&s->temp_timer);
    uv_close((uv_handle_t *)&s->temp_timer, NULL);
}
