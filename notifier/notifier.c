#include "notifier.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "log.h"
#include "netaddr.h"
#include "payload.h"
#include "redis.h"
#include "schedule.h"
#include "strmap.h"
#include "webhook_sign.h"

#define HOOKS_MAX       100   /* as the registry allows (server/alerts/alerts.h) */
#define READ_COUNT      "100" /* alerts read per shard and round */
#define TICK_MS         100
#define HOOKS_EVERY     20 /* ticks between reloads of the registry */
#define BODY_READ_MAX   65536
#define LOG_KEEP        "49" /* LTRIM 0 .. : the last 50 attempts */
#define DEAD_KEEP       "999"
#define DP_GROUP_NOTIFY "notify"

typedef struct hook {
    char id[32];
    char *url, *secret, *owner, *prospect;
    unsigned events; /* bit per event type */
    int slack;
    unsigned inflight;
    int asking; /* a ZRANGEBYSCORE of its queue in flight */
} hook;

static const char *const event_names[] = {"session.started",        "session.ended",
                                          "prospect.returned",      "prospect.temperature",
                                          "presentation.forwarded", "action"};
#define NEVENTS 6

typedef struct notifier notifier;

typedef struct transfer {
    notifier *n;
    struct transfer *prev, *next; /* in flight */
    CURL *easy;
    struct curl_slist *headers;
    char hook[32];
    char did[160];
    char *body;
    int64_t first, started;
    int64_t attempt;
    int refused; /* the address was not public */
    size_t read;
    char errbuf[CURL_ERROR_SIZE];
} transfer;

struct notifier {
    uv_loop_t loop;
    const dp_config *cfg;
    volatile sig_atomic_t *stop;
    dp_redis redis;
    CURLM *multi;
    uv_timer_t curl_timer, tick;
    hook hooks[HOOKS_MAX];
    size_t nhooks;
    unsigned ticks;
    int hooks_loaded;
    unsigned shards;
    int reading[DP_SHARDS_MAX];
    int pending_done[DP_SHARDS_MAX]; /* own pending entries read (after a restart) */
    int group_made[DP_SHARDS_MAX];
    dp_strmap inflight; /* delivery id -> 1 */
    char name[64];
    char base[1024]; /* the dashboards' URL, for links to the brief */
    char **ignore;
    size_t nignore;
    transfer *flying;
};

/* strings (owned or not) for a command's arguments */
typedef struct dp_strlist {
    const char **v;
    char **own;
    size_t n, cap, nown, owncap;
} dp_strlist;

static void dp_strlist_add(dp_strlist *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = dp_realloc(l->v, l->cap * sizeof(char *));
    }
    l->v[l->n++] = s;
}

static const char *dp_strlist_own(dp_strlist *l, const char *s)
{
    if (l->nown == l->owncap) {
        l->owncap = l->owncap ? l->owncap * 2 : 16;
        l->own = dp_realloc(l->own, l->owncap * sizeof(char *));
    }
    return l->own[l->nown++] = dp_strndup(s, strlen(s));
}

static void dp_strlist_free(dp_strlist *l)
{
    for (size_t i = 0; i < l->nown; i++)
        dp_free(l->own[i]);
    dp_free(l->own);
    dp_free(l->v);
}

static void dispatch_hook(notifier *n, hook *h);
static void read_alerts(notifier *n);

/* ---- the registry ---- */

static hook *find_hook(notifier *n, const char *id)
{
    for (size_t i = 0; i < n->nhooks; i++)
        if (!strcmp(n->hooks[i].id, id)) return &n->hooks[i];
    return NULL;
}

static void free_hook(hook *h)
{
    dp_free(h->url);
    dp_free(h->secret);
    dp_free(h->owner);
    dp_free(h->prospect);
}

static char *dup_or_null(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v && *v ? dp_strndup(v, strlen(v)) : NULL;
}

static void on_hooks(dp_redis *r, redisReply *reply, void *priv)
{
    notifier *n = priv;
    (void)r;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) return;
    hook next[HOOKS_MAX];
    size_t nn = 0;
    for (size_t i = 0; i + 1 < reply->elements && nn < HOOKS_MAX; i += 2) {
        json_t *o = json_loadb(reply->element[i + 1]->str, reply->element[i + 1]->len, 0, NULL);
        if (o == NULL) continue;
        hook *h = &next[nn];
        memset(h, 0, sizeof(*h));
        snprintf(h->id, sizeof(h->id), "%s", reply->element[i]->str);
        h->url = dup_or_null(o, "url");
        h->secret = dup_or_null(o, "secret");
        h->owner = dup_or_null(o, "owner");
        h->prospect = dup_or_null(o, "prospect");
        const char *fmt = json_string_value(json_object_get(o, "format"));
        h->slack = fmt && !strcmp(fmt, "slack");
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(o, "events"), k, e)
        {
            for (int t = 0; t < NEVENTS; t++)
                if (json_string_value(e) && !strcmp(json_string_value(e), event_names[t]))
                    h->events |= 1u << t;
        }
        json_decref(o);
        if (h->url == NULL || h->secret == NULL) {
            free_hook(h);
            continue;
        }
        const hook *old = find_hook(n, h->id);
        if (old) {
            h->inflight = old->inflight;
            h->asking = old->asking;
        }
        nn++;
    }
    for (size_t i = 0; i < n->nhooks; i++)
        free_hook(&n->hooks[i]);
    memcpy(n->hooks, next, nn * sizeof(hook));
    n->nhooks = nn;
    n->hooks_loaded = 1;
}

/* ---- fan-out ---- */

static const char fanout_lua[] =
    /* ARGV: now, then (delivery, hook, type, body, presentation) each */
    "local made = 0\n"
    "for i = 2, #ARGV, 5 do\n"
    "  local d = 'dp:{w}:d:' .. ARGV[i]\n"
    "  if redis.call('EXISTS', d) == 0 and\n"
    "     redis.call('SISMEMBER', 'dp:{w}:muted', ARGV[i + 4]) == 0 then\n"
    "    redis.call('HSET', d, 'hook', ARGV[i + 1], 'type', ARGV[i + 2], 'body', ARGV[i + 3],\n"
    "               'attempt', 0, 'first', 0)\n"
    "    redis.call('ZADD', 'dp:{w}:q:' .. ARGV[i + 1], ARGV[1], ARGV[i])\n"
    "    made = made + 1\n"
    "  end\n"
    "end\n"
    "return made\n";

static int ignored(const notifier *n, const char *id)
{
    for (size_t i = 0; id && *id && i < n->nignore; i++) {
        const char *p = n->ignore[i];
        if (p[0] == '*') {
            size_t pl = strlen(p + 1), il = strlen(id);
            if (il >= pl && !strcmp(id + il - pl, p + 1)) return 1;
        } else if (!strcmp(p, id)) {
            return 1;
        }
    }
    return 0;
}

typedef struct ack_op {
    notifier *n;
    unsigned shard;
    char **ids;
    size_t nids;
} ack_op;

static void ack_free(ack_op *a)
{
    for (size_t i = 0; i < a->nids; i++)
        dp_free(a->ids[i]);
    dp_free(a->ids);
    dp_free(a);
}

static void on_fanned(dp_redis *r, redisReply *reply, void *priv)
{
    ack_op *a = priv;
    /* the deliveries exist: now the alerts may be acknowledged */
    if (reply && reply->type == REDIS_REPLY_INTEGER && a->nids) {
        char key[32];
        dp_key_alerts(key, sizeof(key), a->shard);
        const char **argv = dp_malloc((3 + a->nids) * sizeof(char *));
        argv[0] = "XACK";
        argv[1] = key;
        argv[2] = DP_GROUP_NOTIFY;
        for (size_t i = 0; i < a->nids; i++)
            argv[3 + i] = a->ids[i];
        dp_redis_command(r, NULL, NULL, (int)(3 + a->nids), argv, NULL);
        dp_free(argv);
    }
    ack_free(a);
}

static const char *field(const redisReply *f, const char *name)
{
    for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
        if (!strcmp(f->element[i]->str, name)) return f->element[i + 1]->str;
    return "";
}

/* The deliveries one alert makes: for each webhook it matches, its body,
 * appended to the fan-out script's arguments (owned strings in *own). */
static void match(notifier *n, const dp_alert *a, const char *did0, dp_strlist *own,
                  dp_strlist *args)
{
    int t = 0;
    while (t < NEVENTS && strcmp(a->type, event_names[t]))
        t++;
    if (t == NEVENTS || ignored(n, a->prospect) || ignored(n, a->account)) return;
    for (size_t i = 0; i < n->nhooks; i++) {
        const hook *h = &n->hooks[i];
        if (!(h->events & (1u << t))) continue;
        if (h->owner && strcmp(h->owner, a->owner)) continue;
        if (h->prospect && strcmp(h->prospect, a->prospect)) continue;
        char did[200], id[210];
        snprintf(did, sizeof(did), "%s-%s", did0, h->id);
        snprintf(id, sizeof(id), "msg_%s", did);
        dp_buf body;
        dp_buf_init(&body, 0);
        if (dp_payload(a, id, n->base, h->slack, &body) == 0) {
            dp_buf_append(&body, "", 1);
            const char *v[5] = {dp_strlist_own(own, did), h->id, a->type,
                                dp_strlist_own(own, body.data), a->presentation};
            for (int k = 0; k < 5; k++)
                dp_strlist_add(args, v[k]);
        }
        dp_buf_free(&body);
    }
}

/* One line of an alerts entry, split in place: "type TAB at TAB
 * session|presentation|prospect|account|campaign|owner TAB data" (keys.h).
 * 0, or -1 (a's fields empty) when it is not one. */
static int parse_line(char *line, dp_alert *a)
{
    static char empty[] = "";
    char *col[4] = {line, NULL, NULL, NULL};
    for (int k = 1; k < 4 && col[k - 1]; k++) {
        char *tab = strchr(col[k - 1], '\t');
        if (tab) *tab = '\0';
        col[k] = tab ? tab + 1 : NULL;
    }
    const char *part[6];
    char *p = col[3] ? col[2] : NULL;
    for (int k = 0; k < 6; k++) {
        char *bar = p ? strchr(p, '|') : NULL;
        part[k] = p ? p : empty;
        if (bar) *bar = '\0';
        p = bar ? bar + 1 : NULL;
    }
    *a = (dp_alert){col[3] ? col[0] : empty,
                    part[0],
                    part[1],
                    part[2],
                    part[3],
                    part[4],
                    part[5],
                    col[3] ? col[3] : empty,
                    col[1] ? strtoll(col[1], NULL, 10) : 0,
                    NULL};
    return col[3] ? 0 : -1;
}

/* One entry of the alerts stream (a batch's alerts, one line each: keys.h):
 * their deliveries (one fan-out script), then its XACK. */
static void fan_out(notifier *n, unsigned shard, const char *eid, const char *lines,
                    const redisReply *extras)
{
    dp_strlist own = {0}, args = {0};
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)dp_now_ms());
    const char *head[] = {"EVAL", fanout_lua, "0", now};
    for (int k = 0; k < 4; k++)
        dp_strlist_add(&args, head[k]);
    char *copy = dp_strndup(lines, strlen(lines));
    size_t j = 0;
    for (char *line = copy, *nl; line && *line; line = nl ? nl + 1 : NULL, j++) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        dp_alert a;
        if (parse_line(line, &a) != 0) continue;
        if (extras && extras->type == REDIS_REPLY_ARRAY && j < extras->elements &&
            extras->element[j]->type == REDIS_REPLY_STRING)
            a.extra = extras->element[j]->str;
        char did0[120];
        snprintf(did0, sizeof(did0), "%u-%s-%zu", shard, eid, j);
        match(n, &a, did0, &own, &args);
    }
    ack_op *ack = dp_calloc(1, sizeof(*ack));
    ack->n = n;
    ack->shard = shard;
    ack->ids = dp_malloc(sizeof(char *));
    ack->ids[0] = dp_strndup(eid, strlen(eid));
    ack->nids = 1;
    if (dp_redis_command_at(&n->redis, DP_KEY_MUTED, on_fanned, ack, (int)args.n, args.v, NULL) !=
        0)
        ack_free(ack);
    dp_strlist_free(&own);
    dp_free(args.v);
}

/* What session.ended says besides the session's own numbers: the
 * material's catalog title and the slide it spent most on (from the
 * prospect's timeline on the shard: its last DP_TIMELINE_MAX events), with
 * that slide's title — one script per stream entry, a JSON object a line
 * ("{}" for the other types), before its fan-out. */
/* Enrichment in two scripts, each on its own keys (in a cluster the shard's
 * and the catalog's are on different nodes): first the slide each ended
 * session read longest, from the prospect's timeline on the shard; then
 * the titles, from the catalog. */
static const char top_lua[] =
    /* ARGV: the shard's key prefix, then (type, session, prospect) each;
     * answers "material|slide|version|ms" or "" each */
    "local out = {}\n"
    "for i = 2, #ARGV, 3 do\n"
    "  local top = ''\n"
    "  if ARGV[i] == 'session.ended' then\n"
    "    local sid, pr = ARGV[i + 1], ARGV[i + 2]\n"
    "    local best, most, sums = nil, 0, {}\n"
    "    for _, e in ipairs(redis.call('ZRANGE', ARGV[1] .. 'ptl:' .. pr, 0, -1)) do\n"
    "      local s, typ, mat, sl, ver, val = string.match(e,\n"
    "        '^[^|]*|([^|]*)|[^|]*|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')\n"
    "      if s == sid and typ == 'dwell' then\n"
    "        local k = mat .. '|' .. sl .. '|' .. ver\n"
    "        sums[k] = (sums[k] or 0) + (tonumber(val) or 0)\n"
    "        if sums[k] > most then most = sums[k]; best = k end\n"
    "      end\n"
    "    end\n"
    "    if best then top = best .. '|' .. most end\n"
    "  end\n"
    "  out[#out + 1] = top\n"
    "end\n"
    "return out\n";

static const char enrich_lua[] =
    /* ARGV: (type, material, top: "material|slide|version|ms" or "") each;
     * the catalog's keys only */
    "local out = {}\n"
    "for i = 1, #ARGV, 3 do\n"
    "  local o = {}\n"
    "  if ARGV[i] == 'session.ended' then\n"
    "    local m = ARGV[i + 1]\n"
    "    local bm, bs, bv, most = string.match(ARGV[i + 2], '^([^|]*)|([^|]*)|([^|]*)|(.*)$')\n"
    "    local title = redis.call('HGET', 'dp:{c}:material:' .. m, 'title')\n"
    "    if title then o.material_title = title end\n"
    "    if bm then\n"
    "      local best = {bm, bs, bv}\n"
    "      o.top_slide, o.top_version, o.top_dwell_ms = bs, tonumber(bv), tonumber(most)\n"
    "      local sj = redis.call('HGET', 'dp:{c}:material:' .. best[1], 'slides')\n"
    "      local ok, list = pcall(cjson.decode, sj or '[]')\n"
    "      if ok and type(list) == 'table' then\n"
    "        for _, x in ipairs(list) do\n"
    "          if type(x) == 'table' and x.slide == best[2] and type(x.title) == 'string' then\n"
    "            o.top_slide_title = x.title\n"
    "          end\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  out[#out + 1] = next(o) and cjson.encode(o) or '{}'\n"
    "end\n"
    "return out\n";

typedef struct enrich_op {
    notifier *n;
    unsigned shard;
    char *eid, *lines;
    dp_strlist types, mats; /* each line's */
} enrich_op;

static void enrich_free(enrich_op *op)
{
    dp_free(op->eid);
    dp_free(op->lines);
    dp_strlist_free(&op->types);
    dp_strlist_free(&op->mats);
    dp_free(op);
}

static void on_enriched(dp_redis *r, redisReply *reply, void *priv)
{
    enrich_op *op = priv;
    (void)r;
    /* without its extras (an error) the alerts still go, plainer */
    fan_out(op->n, op->shard, op->eid, op->lines,
            reply && reply->type == REDIS_REPLY_ARRAY ? reply : NULL);
    enrich_free(op);
}

/* The top slides are known: the titles from the catalog. */
static void on_top(dp_redis *r, redisReply *reply, void *priv)
{
    enrich_op *op = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != op->types.n) {
        on_enriched(r, NULL, op);
        return;
    }
    dp_strlist args = {0};
    const char *head[] = {"EVAL", enrich_lua, "0"};
    for (int k = 0; k < 3; k++)
        dp_strlist_add(&args, head[k]);
    for (size_t i = 0; i < op->types.n; i++) {
        dp_strlist_add(&args, op->types.v[i]);
        dp_strlist_add(&args, op->mats.v[i]);
        dp_strlist_add(&args,
                       reply->element[i]->type == REDIS_REPLY_STRING ? reply->element[i]->str : "");
    }
    if (dp_redis_command_at(r, DP_KEY_CATALOG, on_enriched, op, (int)args.n, args.v, NULL) != 0)
        enrich_free(op); /* left pending: read again */
    dp_strlist_free(&args);
}

/* An entry of the alerts stream: enriched if it ends a session, then fanned out. */
static void take_entry(notifier *n, unsigned shard, const redisReply *entry)
{
    const char *eid = entry->element[0]->str;
    const char *lines = field(entry->element[1], "a");
    if (strstr(lines, "session.ended\t") == NULL) {
        fan_out(n, shard, eid, lines, NULL);
        return;
    }
    enrich_op *op = dp_calloc(1, sizeof(*op));
    op->n = n;
    op->shard = shard;
    op->eid = dp_strndup(eid, strlen(eid));
    op->lines = dp_strndup(lines, strlen(lines));
    dp_strlist args = {0}, own = {0};
    char prefix[32];
    dp_key_prefix(prefix, sizeof(prefix), shard);
    const char *head[] = {"EVAL", top_lua, "0", prefix};
    for (int k = 0; k < 4; k++)
        dp_strlist_add(&args, head[k]);
    char *copy = dp_strndup(lines, strlen(lines));
    for (char *line = copy, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        dp_alert a;
        parse_line(line, &a); /* a malformed line keeps its place: empty arguments */
        /* the material, from the data: {"material":"...",...} */
        const char *mat = "";
        char *mp = strstr(a.data, "\"material\":\"");
        if (mp) {
            mp += 12;
            char *q = strchr(mp, '"');
            if (q) *q = '\0';
            mat = mp;
        }
        const char *v[3] = {a.type, a.session, a.prospect};
        for (int k = 0; k < 3; k++)
            dp_strlist_add(&args, dp_strlist_own(&own, v[k] ? v[k] : ""));
        dp_strlist_add(&op->types, dp_strlist_own(&op->types, a.type ? a.type : ""));
        dp_strlist_add(&op->mats, dp_strlist_own(&op->mats, mat));
    }
    dp_free(copy);
    if (dp_redis_command(&n->redis, on_top, op, (int)args.n, args.v, NULL) != 0) enrich_free(op);
    dp_strlist_free(&own);
}

typedef struct read_op {
    notifier *n;
    unsigned shard;
} read_op;

static void on_read(dp_redis *r, redisReply *reply, void *priv)
{
    read_op *op = priv;
    notifier *n = op->n;
    (void)r;
    n->reading[op->shard] = 0;
    size_t got = 0;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        for (size_t s = 0; s < reply->elements; s++) {
            const redisReply *st = reply->element[s];
            if (st->type != REDIS_REPLY_ARRAY || st->elements < 2) continue;
            const redisReply *entries = st->element[1];
            for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
                const redisReply *e = entries->element[i];
                if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
                    e->element[1]->type == REDIS_REPLY_ARRAY) {
                    take_entry(n, op->shard, e);
                    got++;
                }
            }
        }
    } else if (reply && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "NOGROUP")) {
        n->group_made[op->shard] = 0;
    }
    if (reply && reply->type != REDIS_REPLY_ERROR && got == 0) n->pending_done[op->shard] = 1;
    dp_free(op);
    if (got == (size_t)atoi(READ_COUNT) && !*n->stop) read_alerts(n); /* more waiting */
}

static void on_group(dp_redis *r, redisReply *reply, void *priv)
{
    notifier *n = ((read_op *)priv)->n;
    unsigned shard = ((read_op *)priv)->shard;
    (void)r;
    if (reply && (reply->type != REDIS_REPLY_ERROR || strstr(reply->str, "BUSYGROUP")))
        n->group_made[shard] = 1;
    dp_free(priv);
}

static void read_alerts(notifier *n)
{
    for (unsigned s = 0; s < n->shards; s++) {
        if (n->reading[s]) continue;
        char key[32];
        dp_key_alerts(key, sizeof(key), s);
        read_op *op = dp_malloc(sizeof(*op));
        op->n = n;
        op->shard = s;
        if (!n->group_made[s]) {
            /* from the start of the stream: alerts emitted before the first
             * notifier ran are delivered too (to the webhooks of then) */
            const char *argv[] = {"XGROUP", "CREATE", key, DP_GROUP_NOTIFY, "0", "MKSTREAM"};
            if (dp_redis_command(&n->redis, on_group, op, 6, argv, NULL) != 0) dp_free(op);
            continue;
        }
        const char *argv[] = {"XREADGROUP", "GROUP", DP_GROUP_NOTIFY,
                              n->name,      "COUNT", READ_COUNT,
                              "STREAMS",    key,     n->pending_done[s] ? ">" : "0"};
        n->reading[s] = 1;
        if (dp_redis_command(&n->redis, on_read, op, 9, argv, NULL) != 0) {
            n->reading[s] = 0;
            dp_free(op);
        }
    }
}

/* ---- sending ---- */

static const char settle_lua[] =
    /* ARGV: hook, delivery, outcome (ok|retry|dead), next due, attempt, error, log entry */
    "local h, d = ARGV[1], ARGV[2]\n"
    "redis.call('LPUSH', 'dp:{w}:log:' .. h, ARGV[7])\n"
    "redis.call('LTRIM', 'dp:{w}:log:' .. h, 0, " LOG_KEEP ")\n"
    "if ARGV[3] == 'ok' then\n"
    "  redis.call('DEL', 'dp:{w}:d:' .. d)\n"
    "  redis.call('ZREM', 'dp:{w}:q:' .. h, d)\n"
    "  redis.call('HINCRBY', 'dp:{w}:stats', h .. '|sent', 1)\n"
    "elseif ARGV[3] == 'dead' then\n"
    "  redis.call('LPUSH', 'dp:{w}:dead:' .. h, ARGV[7])\n"
    "  redis.call('LTRIM', 'dp:{w}:dead:' .. h, 0, " DEAD_KEEP ")\n"
    "  redis.call('DEL', 'dp:{w}:d:' .. d)\n"
    "  redis.call('ZREM', 'dp:{w}:q:' .. h, d)\n"
    "  redis.call('HINCRBY', 'dp:{w}:stats', h .. '|failed', 1)\n"
    "  redis.call('HINCRBY', 'dp:{w}:stats', h .. '|dead', 1)\n"
    "else\n"
    "  if redis.call('EXISTS', 'dp:{w}:d:' .. d) == 1 then\n"
    "    redis.call('HSET', 'dp:{w}:d:' .. d, 'attempt', ARGV[5], 'error', ARGV[6])\n"
    "    redis.call('ZADD', 'dp:{w}:q:' .. h, 'XX', ARGV[4], d)\n"
    "  end\n"
    "  redis.call('HINCRBY', 'dp:{w}:stats', h .. '|failed', 1)\n"
    "  redis.call('HINCRBY', 'dp:{w}:stats', h .. '|retried', 1)\n"
    "end\n"
    "return 1\n";

static void transfer_free(transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else if (t->n->flying == t)
        t->n->flying = t->next;
    if (t->next) t->next->prev = t->prev;
    if (t->easy) curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    dp_free(t->body);
    dp_free(t);
}

static void settle(transfer *t, long status, const char *error)
{
    notifier *n = t->n;
    int64_t now = dp_now_ms();
    int ok = status >= 200 && status < 300;
    int64_t delay = ok ? 0 : dp_wh_retry_delay((unsigned)t->attempt + 1, t->first, now);
    const char *outcome = ok ? "ok" : delay < 0 ? "dead" : "retry";
    char next[24], attempt[24], entry[600];
    snprintf(
        next, sizeof(next), "%lld",
        (long long)(now + (delay > 0 ? dp_wh_jitter(delay, randombytes_uniform(1000000) / 1000000.0)
                                     : 0)));
    snprintf(attempt, sizeof(attempt), "%lld", (long long)t->attempt);
    json_t *log = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:s?}", "delivery", t->did, "at",
                            (json_int_t)t->started, "attempt", (json_int_t)t->attempt, "status",
                            (json_int_t)status, "latency_ms", (json_int_t)(now - t->started),
                            "outcome", outcome, "error", error && *error ? error : NULL);
    char *txt = json_dumps(log, JSON_COMPACT | JSON_PRESERVE_ORDER);
    snprintf(entry, sizeof(entry), "%s", txt);
    free(txt);
    json_decref(log);
    const char *argv[] = {"EVAL",  settle_lua,         "0",  t->hook, t->did, outcome, next,
                          attempt, error ? error : "", entry};
    /* the webhooks' keys are all under {w} */
    dp_redis_command_at(&n->redis, DP_KEY_MUTED, NULL, NULL, 10, argv, NULL);
    hook *h = find_hook(n, t->hook);
    if (h && h->inflight) h->inflight--;
    dp_strmap_del(&n->inflight, t->did, strlen(t->did));
    if (h && !*n->stop) dispatch_hook(n, h);
    if (!ok)
        dp_info("webhook %s: delivery %s attempt %lld: %s", t->hook, t->did, (long long)t->attempt,
                error && *error ? error : "not 2xx");
}

static void check_done(notifier *n)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        transfer *t;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        long status = 0;
        char error[CURL_ERROR_SIZE + 64] = "";
        if (m->data.result == CURLE_OK) {
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            if (status < 200 || status >= 300) snprintf(error, sizeof(error), "HTTP %ld", status);
        } else if (t->refused) {
            snprintf(error, sizeof(error),
                     "refused: the address is not public (webhook_allow_private)");
        } else {
            snprintf(error, sizeof(error), "%s",
                     *t->errbuf ? t->errbuf : curl_easy_strerror(m->data.result));
        }
        curl_multi_remove_handle(n->multi, m->easy_handle);
        settle(t, status, error);
        transfer_free(t);
    }
}

/* libcurl's sockets on the libuv loop (the multi-uv.c pattern) */
typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    notifier *n;
} sock_ctx;

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx *c = p->data;
    int flags = 0, running;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->n->multi, c->fd, flags, &running);
    check_done(c->n);
}

static void on_sock_closed(uv_handle_t *h)
{
    dp_free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp)
{
    notifier *n = userp;
    sock_ctx *c = socketp;
    (void)easy;
    if (action == CURL_POLL_REMOVE) {
        if (c) {
            uv_poll_stop(&c->poll);
            uv_close((uv_handle_t *)&c->poll, on_sock_closed);
            curl_multi_assign(n->multi, s, NULL);
        }
        return 0;
    }
    if (c == NULL) {
        c = dp_calloc(1, sizeof(*c));
        c->fd = s;
        c->n = n;
        uv_poll_init_socket(&n->loop, &c->poll, s);
        c->poll.data = c;
        curl_multi_assign(n->multi, s, c);
    }
    int ev = (action & CURL_POLL_IN ? UV_READABLE : 0) | (action & CURL_POLL_OUT ? UV_WRITABLE : 0);
    uv_poll_start(&c->poll, ev, on_poll);
    return 0;
}

static void on_curl_timer(uv_timer_t *t)
{
    notifier *n = t->data;
    int running;
    curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(n);
}

static int on_timeout(CURLM *m, long ms, void *userp)
{
    notifier *n = userp;
    (void)m;
    if (ms < 0)
        uv_timer_stop(&n->curl_timer);
    else
        uv_timer_start(&n->curl_timer, on_curl_timer, ms == 0 ? 1 : (uint64_t)ms, 0);
    return 0;
}

/* every connection: its address must be public (unless allowed) — the
 * check a DNS answer changed since registration cannot get round */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
    transfer *t = clientp;
    (void)purpose;
    if (!t->n->cfg->webhook_allow_private && dp_addr_is_private(&a->addr)) {
        t->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static size_t drop_body(char *p, size_t size, size_t nmemb, void *ud)
{
    transfer *t = ud;
    (void)p;
    t->read += size * nmemb;
    return t->read > BODY_READ_MAX ? 0 : size * nmemb; /* past the cap: abort */
}

static void start(notifier *n, hook *h, const char *did, const redisReply *d)
{
    const char *body = field(d, "body");
    if (!*body) { /* gone meanwhile (the webhook deleted) */
        h->inflight--;
        dp_strmap_del(&n->inflight, did, strlen(did));
        return;
    }
    transfer *t = dp_calloc(1, sizeof(*t));
    t->n = n;
    snprintf(t->hook, sizeof(t->hook), "%s", h->id);
    snprintf(t->did, sizeof(t->did), "%s", did);
    t->body = dp_strndup(body, strlen(body));
    t->started = dp_now_ms();
    t->attempt = strtoll(field(d, "attempt"), NULL, 10) + 1;
    t->first = strtoll(field(d, "first"), NULL, 10);
    if (t->first == 0) {
        t->first = t->started;
        char first[24];
        snprintf(first, sizeof(first), "%lld", (long long)t->first);
        char key[200];
        snprintf(key, sizeof(key), "dp:{w}:d:%s", did);
        const char *argv[] = {"HSET", key, "first", first};
        dp_redis_command(&n->redis, NULL, NULL, 4, argv, NULL);
    }
    char id[200], ts[64], sig[DP_WH_SIG_MAX + 32], sigv[DP_WH_SIG_MAX];
    snprintf(id, sizeof(id), "webhook-id: msg_%s", did);
    int64_t secs = t->started / 1000;
    snprintf(ts, sizeof(ts), "webhook-timestamp: %lld", (long long)secs);
    dp_err err;
    if (dp_wh_sign(h->secret, id + 12, secs, t->body, strlen(t->body), sigv, &err) != 0) {
        settle(t, 0, err.msg);
        transfer_free(t);
        return;
    }
    snprintf(sig, sizeof(sig), "webhook-signature: %s", sigv);
    t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
    t->headers = curl_slist_append(t->headers, id);
    t->headers = curl_slist_append(t->headers, ts);
    t->headers = curl_slist_append(t->headers, sig);
    t->headers = curl_slist_append(t->headers, "User-Agent: deckpulse-notifier");
    t->headers = curl_slist_append(t->headers, "Expect:");
    CURL *e = t->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(t->body));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    t->next = n->flying;
    if (n->flying) n->flying->prev = t;
    n->flying = t;
    curl_multi_add_handle(n->multi, e);
}

typedef struct fetch_op {
    notifier *n;
    char hook[32];
    char did[160];
} fetch_op;

static void on_delivery(dp_redis *r, redisReply *reply, void *priv)
{
    fetch_op *op = priv;
    (void)r;
    hook *h = find_hook(op->n, op->hook);
    if (h == NULL || reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (h && h->inflight) h->inflight--;
        dp_strmap_del(&op->n->inflight, op->did, strlen(op->did));
    } else {
        start(op->n, h, op->did, reply);
    }
    dp_free(op);
}

static void on_due(dp_redis *r, redisReply *reply, void *priv)
{
    fetch_op *q = priv;
    notifier *n = q->n;
    hook *h = find_hook(n, q->hook);
    (void)r;
    if (h) h->asking = 0;
    for (size_t i = 0; h && reply && reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
        const char *did = reply->element[i]->str;
        size_t dl = reply->element[i]->len;
        if (dl >= sizeof(q->did) || dp_strmap_get(&n->inflight, did, dl)) continue;
        if (h->inflight >= (unsigned)n->cfg->webhook_concurrency) break;
        dp_strmap_put(&n->inflight, did, dl, (void *)1);
        h->inflight++;
        fetch_op *op = dp_calloc(1, sizeof(*op));
        op->n = n;
        snprintf(op->hook, sizeof(op->hook), "%s", h->id);
        memcpy(op->did, did, dl);
        char key[200];
        snprintf(key, sizeof(key), "dp:{w}:d:%s", op->did);
        const char *argv[] = {"HGETALL", key};
        if (dp_redis_command(&n->redis, on_delivery, op, 2, argv, NULL) != 0) {
            h->inflight--;
            dp_strmap_del(&n->inflight, did, dl);
            dp_free(op);
        }
    }
    dp_free(q);
}

/* a webhook's due deliveries, up to its free places: on every tick, and
 * as soon as one of its deliveries settled (so a fast endpoint is kept busy) */
static void dispatch_hook(notifier *n, hook *h)
{
    char now[24];
    snprintf(now, sizeof(now), "%lld", (long long)dp_now_ms());
    {
        if (h->asking || h->inflight >= (unsigned)n->cfg->webhook_concurrency) return;
        char key[64], lim[16];
        snprintf(key, sizeof(key), "dp:{w}:q:%s", h->id);
        snprintf(lim, sizeof(lim), "%u", /* its in-flight ones are still queued: past them */
                 (unsigned)n->cfg->webhook_concurrency + 8);
        fetch_op *q = dp_calloc(1, sizeof(*q));
        q->n = n;
        snprintf(q->hook, sizeof(q->hook), "%s", h->id);
        const char *argv[] = {"ZRANGEBYSCORE", key, "-inf", now, "LIMIT", "0", lim};
        h->asking = 1;
        if (dp_redis_command(&n->redis, on_due, q, 7, argv, NULL) != 0) {
            h->asking = 0;
            dp_free(q);
        }
    }
}

static void dispatch(notifier *n)
{
    for (size_t i = 0; i < n->nhooks; i++)
        dispatch_hook(n, &n->hooks[i]);
}

/* ---- the loop ---- */

static void on_tick(uv_timer_t *t)
{
    notifier *n = t->data;
    if (*n->stop) {
        uv_stop(&n->loop);
        return;
    }
    if (n->redis.state != DP_REDIS_UP) return;
    if (n->ticks++ % HOOKS_EVERY == 0) {
        const char *argv[] = {"HGETALL", "dp:{w}:hooks"};
        dp_redis_command(&n->redis, on_hooks, n, 2, argv, NULL);
    }
    if (!n->hooks_loaded) return;
    read_alerts(n);
    dispatch(n);
}

static void split_ignore(notifier *n, const char *list)
{
    const char *p = list;
    while (p && *p) {
        size_t l = strcspn(p, ",");
        while (l && (*p == ' '))
            p++, l--;
        if (l) {
            n->ignore = dp_realloc(n->ignore, (n->nignore + 1) * sizeof(char *));
            n->ignore[n->nignore++] = dp_strndup(p, l);
        }
        p += l;
        if (*p == ',') p++;
    }
}

int dp_notifier_run(const dp_config *cfg, volatile sig_atomic_t *stop, dp_err *err)
{
    if (sodium_init() < 0) return dp_err_set(err, -EIO, "libsodium failed to initialise");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return dp_err_set(err, -EIO, "libcurl failed to initialise");
    notifier *n = dp_calloc(1, sizeof(*n));
    n->cfg = cfg;
    n->stop = stop;
    n->shards = cfg->shards > 0 && cfg->shards <= DP_SHARDS_MAX ? (unsigned)cfg->shards : 1;
    snprintf(n->name, sizeof(n->name), "%s", "notifier");
    if (*cfg->public_url)
        snprintf(n->base, sizeof(n->base), "%s", cfg->public_url);
    else
        snprintf(n->base, sizeof(n->base), "http://%s", cfg->listen);
    split_ignore(n, cfg->alert_ignore_prospects);
    dp_strmap_init(&n->inflight);
    uv_loop_init(&n->loop);
    int rc = dp_redis_init(&n->redis, &n->loop, cfg->redis, (uint64_t)cfg->redis_timeout_ms, err);
    if (rc == 0) {
        dp_redis_start(&n->redis);
        n->multi = curl_multi_init();
        curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
        curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
        curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
        curl_multi_setopt(n->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
        uv_timer_init(&n->loop, &n->curl_timer);
        n->curl_timer.data = n;
        uv_timer_init(&n->loop, &n->tick);
        n->tick.data = n;
        uv_timer_start(&n->tick, on_tick, TICK_MS, TICK_MS);
        dp_info("deckpulse-notifier: delivering alerts of %u shard(s)", n->shards);
        uv_run(&n->loop, UV_RUN_DEFAULT);
        /* what is in flight stays queued in Redis: sent again at the next start */
        while (n->flying) {
            curl_multi_remove_handle(n->multi, n->flying->easy);
            transfer_free(n->flying);
        }
        curl_multi_cleanup(n->multi);
        uv_close((uv_handle_t *)&n->tick, NULL);
        uv_close((uv_handle_t *)&n->curl_timer, NULL);
        dp_redis_close(&n->redis, 1, NULL, NULL);
        uv_run(&n->loop, UV_RUN_DEFAULT);
        uv_loop_close(&n->loop);
    }
    for (size_t i = 0; i < n->nhooks; i++)
        free_hook(&n->hooks[i]);
    for (size_t i = 0; i < n->nignore; i++)
        dp_free(n->ignore[i]);
    dp_free(n->ignore);
    dp_strmap_free(&n->inflight);
    curl_global_cleanup();
    dp_free(n);
    return rc;
}
