/* The webhook registry (alerts.h). POST /v1/webhooks {"url", "events",
 * "owner", "prospect", "format"} -> 201 {"id", "secret", ...}: the URL's
 * host is resolved first and refused when any of its addresses is not public
 * (unless webhook_allow_private; the notifier checks again at every
 * connection). GET lists them (without their secrets) with what is pending;
 * DELETE removes one with its queue; GET /v1/webhooks/{id}/deliveries shows
 * its last attempts and what was given up on. */
#include <http_parser.h>
#include <jansson.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "alloc.h"
#include "deckpulse/keys.h"
#include "auth.h"
#include "clock.h"
#include "deckpulse/event.h"
#include "json_fields.h"
#include "netaddr.h"
#include "webhook_sign.h"

static const char *const event_names[] = {"session.started",        "session.ended",
                                          "prospect.returned",      "prospect.temperature",
                                          "presentation.forwarded", "action"};
#define NEVENTS (sizeof(event_names) / sizeof(*event_names))

int dp_wh_url_parse(const char *url, char host[256], int *port, int *https, dp_err *err)
{
    size_t n = strlen(url);
    if (n == 0 || n > DP_WH_URL_MAX)
        return dp_err_set(err, -EINVAL, "url: must be an http or https URL of 1 to %d characters",
                          DP_WH_URL_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return dp_err_set(err, -EINVAL, "url: spaces and control characters are not allowed");
    const char *p;
    if (!strncmp(url, "https://", 8))
        *https = 1, p = url + 8;
    else if (!strncmp(url, "http://", 7))
        *https = 0, p = url + 7;
    else
        return dp_err_set(err, -EINVAL, "url: must start with http:// or https://");
    size_t alen = strcspn(p, "/?#");
    if (memchr(p, '@', alen)) return dp_err_set(err, -EINVAL, "url: no user:password@ allowed");
    const char *h = p, *colon;
    size_t hlen;
    if (*p == '[') { /* an IPv6 literal */
        const char *close = memchr(p, ']', alen);
        if (close == NULL) return dp_err_set(err, -EINVAL, "url: unclosed [ in the host");
        h = p + 1;
        hlen = (size_t)(close - h);
        colon = close + 1 < p + alen && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
    }
    if (hlen == 0 || hlen > 255) return dp_err_set(err, -EINVAL, "url: no host");
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = *https ? 443 : 80;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (end != p + alen || v < 1 || v > 65535)
            return dp_err_set(err, -EINVAL, "url: the port must be 1 to 65535");
        *port = (int)v;
    }
    return 0;
}

/* ---- POST ---- */

typedef struct add_op {
    dp_req *req;
    dp_alerts *a;
    uv_getaddrinfo_t gai;
    json_t *hook; /* the webhook to store */
    int detached;
} add_op;

static void add_detach(void *p)
{
    add_op *op = p;
    op->req = NULL;
}

static void add_free(add_op *op)
{
    if (op->hook) json_decref(op->hook);
    dp_free(op);
}

/* one script: at most DP_WEBHOOKS_MAX */
static const char add_lua[] =
    "if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "return 1\n";

static void on_stored(dp_redis *r, redisReply *reply, void *priv)
{
    add_op *op = priv;
    (void)r;
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
            dp_req_error(req, 503, "the webhook could not be stored; retry later");
        } else if (reply->integer == 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "webhooks: at most %d; delete one first", DP_WEBHOOKS_MAX);
            dp_req_error(req, 409, msg);
        } else {
            char *body = json_dumps(op->hook, JSON_COMPACT | JSON_PRESERVE_ORDER);
            dp_req_respond(req, 201, "application/json", "Cache-Control: no-store\r\n", body,
                           strlen(body));
            free(body);
        }
    }
    add_free(op);
}

static void store(add_op *op)
{
    char *json = json_dumps(op->hook, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char max[16];
    snprintf(max, sizeof(max), "%d", DP_WEBHOOKS_MAX);
    const char *argv[] = {
        "EVAL", add_lua, "1", "dp:{w}:hooks", json_string_value(json_object_get(op->hook, "id")),
        json,   max};
    int rc =
        op->a->redis == NULL ? -1 : dp_redis_command(op->a->redis, on_stored, op, 7, argv, NULL);
    free(json);
    if (rc != 0) {
        if (op->req) {
            dp_req_on_abort(op->req, NULL, NULL);
            dp_req_error(op->req, 503, "webhooks cannot be stored now: Redis is not reachable");
        }
        add_free(op);
    }
}

static void on_resolved(uv_getaddrinfo_t *gai, int status, struct addrinfo *res)
{
    add_op *op = gai->data;
    char why[200] = "";
    if (status != 0) {
        snprintf(why, sizeof(why), "url: cannot resolve the host (%s)", uv_strerror(status));
    } else if (!op->a->cfg->webhook_allow_private) {
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
            if (dp_addr_is_private(ai->ai_addr)) {
                char text[64] = "";
                if (ai->ai_family == AF_INET)
                    uv_ip4_name((struct sockaddr_in *)(void *)ai->ai_addr, text, sizeof(text));
                else
                    uv_ip6_name((struct sockaddr_in6 *)(void *)ai->ai_addr, text, sizeof(text));
                snprintf(why, sizeof(why),
                         "url: resolves to a private address (%s); refused unless "
                         "webhook_allow_private",
                         text);
                break;
            }
    }
    if (res) uv_freeaddrinfo(res);
    if (op->req == NULL) {
        add_free(op);
        return;
    }
    if (*why) {
        dp_req_on_abort(op->req, NULL, NULL);
        dp_req_error(op->req, 400, why);
        add_free(op);
        return;
    }
    store(op);
}

static int parse_hook(json_t *root, json_t **out, char host[256], dp_err *err)
{
    static const char *const fields[] = {"url", "events", "owner", "prospect", "format"};
    int rc = dp_json_known_fields(root, fields, 5, "", err);
    if (rc != 0) return rc;
    const char *url = json_string_value(json_object_get(root, "url"));
    if (url == NULL) return dp_err_set(err, -EINVAL, "url: required");
    int port, https;
    if ((rc = dp_wh_url_parse(url, host, &port, &https, err)) != 0) return rc;
    json_t *events = json_object_get(root, "events"), *list = json_array();
    if (events == NULL) { /* every event */
        for (size_t i = 0; i < NEVENTS; i++)
            json_array_append_new(list, json_string(event_names[i]));
    } else if (!json_is_array(events) || json_array_size(events) == 0 ||
               json_array_size(events) > NEVENTS) {
        json_decref(list);
        return dp_err_set(err, -EINVAL, "events: must be a non-empty array of event names");
    } else {
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            const char *name = json_string_value(e);
            size_t k = 0;
            while (name && k < NEVENTS && strcmp(name, event_names[k]))
                k++;
            if (name == NULL || k == NEVENTS) {
                json_decref(list);
                return dp_err_set(err, -EINVAL,
                                  "events[%zu]: must be one of session.started, session.ended, "
                                  "prospect.returned, prospect.temperature, "
                                  "presentation.forwarded, action",
                                  i);
            }
            json_array_append_new(list, json_string(name));
        }
    }
    const char *owner = NULL, *prospect = NULL;
    if ((rc = dp_json_get_id(root, "owner", "owner", 0, &owner, err)) != 0 ||
        (rc = dp_json_get_id(root, "prospect", "prospect", 0, &prospect, err)) != 0) {
        json_decref(list);
        return rc;
    }
    const char *format = json_string_value(json_object_get(root, "format"));
    if (json_object_get(root, "format") &&
        (format == NULL || (strcmp(format, "standard") && strcmp(format, "slack")))) {
        json_decref(list);
        return dp_err_set(err, -EINVAL, "format: must be standard or slack");
    }
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    char id[20], secret[DP_WH_SECRET_MAX];
    snprintf(id, sizeof(id), "wh_%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
             rnd[4], rnd[5], rnd[6], rnd[7]);
    dp_wh_secret_new(secret);
    *out = json_pack("{s:s, s:s, s:o, s:s?, s:s?, s:s, s:s, s:I}", "id", id, "url", url, "events",
                     list, "owner", owner, "prospect", prospect, "format",
                     format ? format : "standard", "secret", secret, "created",
                     (json_int_t)dp_now_ms());
    return 0;
}

static void add(dp_req *req, dp_alerts *a)
{
    dp_err err;
    const dp_buf *body = &req->http->body;
    json_t *root = NULL;
    if (dp_json_parse_object(body->data ? body->data : "", body->len,
                             (size_t)a->cfg->max_json_depth, &root, &err) != 0) {
        dp_req_error(req, 400, err.msg);
        return;
    }
    add_op *op = dp_calloc(1, sizeof(*op));
    op->req = req;
    op->a = a;
    char host[256];
    int rc = parse_hook(root, &op->hook, host, &err);
    json_decref(root);
    if (rc != 0) {
        dp_req_error(req, 400, err.msg);
        add_free(op);
        return;
    }
    op->gai.data = op;
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    dp_req_on_abort(req, add_detach, op);
    if (uv_getaddrinfo(a->loop, &op->gai, on_resolved, host, NULL, &hints) != 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_req_error(req, 400, "url: cannot resolve the host");
        add_free(op);
    }
}

/* ---- GET, DELETE, deliveries ---- */

typedef struct q_op {
    dp_req *req;
    int kind; /* 0 list, 1 delete, 2 deliveries */
    char id[DP_ID_MAX + 1];
} q_op;

static void q_detach(void *p)
{
    ((q_op *)p)->req = NULL;
}

static const char list_lua[] = "local out, h = {}, redis.call('HGETALL', 'dp:{w}:hooks')\n"
                               "for i = 1, #h, 2 do\n"
                               "  out[#out + 1] = h[i + 1]\n"
                               "  out[#out + 1] = redis.call('ZCARD', 'dp:{w}:q:' .. h[i])\n"
                               "  out[#out + 1] = redis.call('LLEN', 'dp:{w}:dead:' .. h[i])\n"
                               "end\n"
                               "return out\n";

static const char delete_lua[] =
    "if redis.call('HDEL', 'dp:{w}:hooks', ARGV[1]) == 0 then return 0 end\n"
    "local q = 'dp:{w}:q:' .. ARGV[1]\n"
    "for _, d in ipairs(redis.call('ZRANGE', q, 0, -1)) do redis.call('DEL', 'dp:{w}:d:' .. d) "
    "end\n"
    "redis.call('DEL', q, 'dp:{w}:log:' .. ARGV[1], 'dp:{w}:dead:' .. ARGV[1])\n"
    "return 1\n";

static const char deliveries_lua[] =
    "if redis.call('HEXISTS', 'dp:{w}:hooks', ARGV[1]) == 0 then return 0 end\n"
    "return {redis.call('LRANGE', 'dp:{w}:log:' .. ARGV[1], 0, tonumber(ARGV[2]) - 1),\n"
    "        redis.call('ZCARD', 'dp:{w}:q:' .. ARGV[1]),\n"
    "        redis.call('LRANGE', 'dp:{w}:dead:' .. ARGV[1], 0, tonumber(ARGV[2]) - 1),\n"
    "        redis.call('LLEN', 'dp:{w}:dead:' .. ARGV[1])}\n";

static void append_items(dp_buf *out, const redisReply *r)
{
    dp_buf_puts(out, "[");
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        dp_buf_printf(out, "%s%.*s", i ? "," : "", (int)r->element[i]->len, r->element[i]->str);
    dp_buf_puts(out, "]");
}

static void on_query(dp_redis *r, redisReply *reply, void *priv)
{
    q_op *op = priv;
    (void)r;
    if (op->req) {
        dp_req *req = op->req;
        dp_req_on_abort(req, NULL, NULL);
        dp_buf out;
        dp_buf_init(&out, 0);
        if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
            dp_req_error(req, 503, "webhooks cannot be read now (Redis); retry later");
        } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
            dp_req_error(req, 404, "no such webhook");
        } else if (op->kind == 1) {
            dp_buf_printf(&out, "{\"deleted\":\"%s\"}", op->id);
            dp_req_respond(req, 200, "application/json", NULL, out.data, out.len);
        } else if (op->kind == 2 && reply->type == REDIS_REPLY_ARRAY && reply->elements == 4) {
            dp_buf_printf(&out, "{\"webhook\":\"%s\",\"pending\":%lld,\"deliveries\":", op->id,
                          reply->element[1]->integer);
            append_items(&out, reply->element[0]);
            dp_buf_printf(&out, ",\"dead_total\":%lld,\"dead\":", reply->element[3]->integer);
            append_items(&out, reply->element[2]);
            dp_buf_puts(&out, "}");
            dp_req_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", out.data,
                           out.len);
        } else {
            dp_buf_puts(&out, "{\"webhooks\":[");
            for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 2 < reply->elements;
                 i += 3) {
                json_t *h = json_loadb(reply->element[i]->str, reply->element[i]->len, 0, NULL);
                if (h == NULL) continue;
                json_object_del(h, "secret"); /* shown once, at creation */
                json_object_set_new(h, "pending", json_integer(reply->element[i + 1]->integer));
                json_object_set_new(h, "dead", json_integer(reply->element[i + 2]->integer));
                char *txt = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
                dp_buf_printf(&out, "%s%s", i ? "," : "", txt);
                free(txt);
                json_decref(h);
            }
            dp_buf_puts(&out, "]}");
            dp_req_respond(req, 200, "application/json", "Cache-Control: no-store\r\n", out.data,
                           out.len);
        }
        dp_buf_free(&out);
    }
    dp_free(op);
}

static void query(dp_req *req, dp_alerts *a, int kind, const char *id, size_t idlen)
{
    q_op *op = dp_calloc(1, sizeof(*op));
    op->req = req;
    op->kind = kind;
    memcpy(op->id, id, idlen);
    char n[8];
    snprintf(n, sizeof(n), "%d", DP_WH_LOG);
    const char *argv[] = {"EVAL",
                          kind == 0   ? list_lua
                          : kind == 1 ? delete_lua
                                      : deliveries_lua,
                          "0", op->id, n};
    dp_req_on_abort(req, q_detach, op);
    if (a->redis == NULL ||
        dp_redis_command_at(a->redis, DP_KEY_MUTED, on_query, op, kind ? 5 : 3, argv, NULL) != 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_free(op);
        dp_req_error(req, 503, "webhooks cannot be read now: Redis is not reachable");
    }
}

static void route(dp_req *req)
{
    dp_alerts *a = req->ud;
    if (dp_req_authorize(req, a->keys, 0, 0, "manage webhooks") == DP_ROLE_NONE) return;
    const char *rest = req->rest ? req->rest : "";
    size_t rl = req->rest ? req->rest_len : 0;
    int get = req->method == HTTP_GET || req->method == HTTP_HEAD, del = req->method == HTTP_DELETE;
    if (rl == 0) {
        if (get)
            query(req, a, 0, "", 0);
        else if (req->method == HTTP_POST)
            add(req, a);
        else
            dp_req_error(req, 405, "method not allowed");
        return;
    }
    const char *slash = memchr(rest, '/', rl);
    size_t idlen = slash ? (size_t)(slash - rest) : rl;
    if (!dp_id_valid(rest, idlen)) {
        dp_req_error(req, 400, "webhook: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    if (slash && get && (size_t)(rest + rl - slash) == 11 && !memcmp(slash, "/deliveries", 11))
        query(req, a, 2, rest, idlen);
    else if (!slash && del)
        query(req, a, 1, rest, idlen);
    else
        dp_req_error(req, 404, "no such route");
}

int dp_alerts_register(dp_router *rt, dp_alerts *a)
{
    const dp_route rows[] = {
        {DP_GET | DP_POST, "/v1/webhooks", 0, route, a, "webhooks", NULL},
        {DP_GET | DP_DELETE, "/v1/webhooks/", DP_ROUTE_PREFIX, route, a, "webhooks", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (dp_router_add(rt, &rows[i]) != 0) return -E2BIG;
    return 0;
}
