/* Cluster mode of the async client: redis.h, redis_cluster.h. */
#include "redis_cluster.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cluster_map.h"
#include "cluster_route.h"
#include "keyslot.h"
#include "log.h"

#define TICK_MS          20     /* retries and map refreshes are looked at this often */
#define REFRESH_EVERY_MS 500    /* while a primary is not connected */
#define REDIRECTS_MAX    8      /* MOVED/ASK followed per command, at most */
#define RETRIES_MAX      100000 /* commands waiting for a redirection or a retry, at most */

typedef struct cl_cmd {
    dp_redis *r;
    dp_redis_cb cb;
    void *priv;
    char *cmd; /* a copy, to send again; NULL inside a transaction */
    size_t len;
    unsigned slot;
    int keyless;
    int ask; /* send ASKING first, to ask_to */
    dp_cluster_node ask_to;
    int redirects;
    uint64_t deadline; /* uv_now; 0: fail it at the next tick */
    struct cl_cmd *next;
} cl_cmd;

struct dp_redis_cluster {
    dp_redis *owner;
    dp_redis *conn[DP_CLUSTER_NODES_MAX]; /* the primaries' connections */
    size_t nconn;
    int16_t slot_conn[DP_CLUSTER_SLOTS]; /* index in conn, -1: none */
    uv_timer_t tick;
    int refreshing, want_refresh;
    uint64_t last_refresh;
    cl_cmd *retry_head, *retry_tail;
    size_t nretry;
    /* a transaction: MULTI held until the first keyed command says where */
    int multi_held;
    dp_redis_cb multi_cb;
    void *multi_priv;
    dp_redis *txn; /* the node of the open transaction */
    uint64_t born; /* uv_now at cluster mode */
};

static int conn_up(const dp_redis *c)
{
    return c && c->conn_state == DP_REDIS_UP && !c->closing;
}

static void on_node_up(dp_redis *c, void *ud);
static void on_node_down(dp_redis *c, void *ud);

static void on_node_closed(void *ud)
{
    dp_redis *c = ud;
    dp_redis *owner = c->up_ud;
    dp_free(c);
    dp__conn_handle_closed(owner);
}

/* The connection to host:port, opened if new. */
static int conn_for(dp_redis_cluster *cl, const char *host, int port)
{
    for (size_t i = 0; i < cl->nconn; i++)
        if (cl->conn[i]->port == port && !strcmp(cl->conn[i]->host, host)) return (int)i;
    if (cl->nconn == DP_CLUSTER_NODES_MAX) return -1;
    dp_redis *c = dp_malloc(sizeof(*c));
    dp__conn_init_node(c, cl->owner->loop, host, port, cl->owner->timeout_ms);
    c->on_up = on_node_up;
    c->on_down = on_node_down;
    c->up_ud = cl->owner;
    c->on_latency = cl->owner->on_latency;
    c->latency_ud = cl->owner->latency_ud;
    cl->conn[cl->nconn] = c;
    cl->owner->open_handles++; /* until on_node_closed */
    dp__conn_start(c);
    dp_info("redis: cluster primary %s:%d", host, port);
    return (int)cl->nconn++;
}

static int all_up(const dp_redis_cluster *cl)
{
    for (size_t i = 0; i < cl->nconn; i++)
        if (!conn_up(cl->conn[i])) return 0;
    return cl->nconn > 0;
}

static void on_node_up(dp_redis *c, void *ud)
{
    (void)c;
    dp_redis *r = ud;
    if (r->cl == NULL || r->closing) return;
    if (r->state != DP_REDIS_UP) {
        if (all_up(r->cl)) dp__conn_up(r);
    } else if (r->on_up) {
        /* a primary back, or a replica promoted: what the client checks
         * when it comes up (the server: durability) is checked again */
        r->on_up(r, r->up_ud);
    }
}

static void on_node_down(dp_redis *c, void *ud)
{
    (void)c;
    dp_redis *r = ud;
    if (r->cl) r->cl->want_refresh = 1; /* at the next tick */
}

static void on_tick(uv_timer_t *t);
static void on_slots(dp_redis *c, redisReply *reply, void *priv);

static void cluster_new(dp_redis *r)
{
    dp_redis_cluster *cl = dp_calloc(1, sizeof(*cl));
    cl->owner = r;
    memset(cl->slot_conn, 0xff, sizeof(cl->slot_conn));
    uv_timer_init(r->loop, &cl->tick);
    cl->tick.data = cl;
    cl->born = uv_now(r->loop);
    r->open_handles++; /* the tick */
    r->cl = cl;
    uv_timer_start(&cl->tick, on_tick, TICK_MS, TICK_MS);
}

int dp__cluster_load(dp_redis *r, const redisReply *slots, dp_err *err)
{
    dp_cluster_map *m = dp_malloc(sizeof(*m));
    int rc = dp_cluster_map_load(m, slots, err);
    if (rc == 0 && m->nnodes == 0) rc = dp_err_set(err, -EINVAL, "cluster: no slot is served");
    if (rc != 0) {
        dp_free(m);
        return rc;
    }
    if (r->cl == NULL) {
        cluster_new(r);
        dp_info("redis: cluster mode: %zu primaries", m->nnodes);
    }
    dp_redis_cluster *cl = r->cl;
    /* the primaries' connections, new ones opened */
    int16_t ix[DP_CLUSTER_NODES_MAX];
    for (size_t i = 0; i < m->nnodes; i++) {
        /* "" (this node): the control connection's host */
        const char *host = m->nodes[i].host[0] ? m->nodes[i].host : r->host;
        ix[i] = (int16_t)conn_for(cl, host ? host : "127.0.0.1", m->nodes[i].port);
    }
    int used[DP_CLUSTER_NODES_MAX] = {0};
    for (unsigned s = 0; s < DP_CLUSTER_SLOTS; s++) {
        int n = m->slot_node[s];
        cl->slot_conn[s] = n < 0 ? -1 : ix[n];
        if (n >= 0 && ix[n] >= 0) used[ix[n]] = 1;
    }
    /* connections to nodes that are no longer primaries: closed (their
     * commands in flight still get their answers), the rest renumbered */
    size_t keep = 0;
    int16_t renum[DP_CLUSTER_NODES_MAX];
    for (size_t i = 0; i < cl->nconn; i++) {
        if (used[i]) {
            renum[i] = (int16_t)keep;
            cl->conn[keep++] = cl->conn[i];
        } else {
            renum[i] = -1;
            dp_info("redis: %s:%d is no longer a primary", cl->conn[i]->host, cl->conn[i]->port);
            if (cl->txn == cl->conn[i]) cl->txn = NULL;
            dp__conn_close(cl->conn[i], 0, on_node_closed, cl->conn[i]);
        }
    }
    cl->nconn = keep;
    for (unsigned s = 0; s < DP_CLUSTER_SLOTS; s++)
        if (cl->slot_conn[s] >= 0) cl->slot_conn[s] = renum[cl->slot_conn[s]];
    dp_free(m);
    if (all_up(cl)) dp__conn_up(r);
    return 0;
}

/* ---- sending ---- */

static void on_node_reply(dp_redis *c, redisReply *reply, void *priv);

static void cmd_free(cl_cmd *x)
{
    dp_free(x->cmd);
    dp_free(x);
}

/* Sends x where it goes now: 0, or -EAGAIN. */
static int dispatch(dp_redis_cluster *cl, cl_cmd *x)
{
    dp_redis *c = NULL;
    if (x->ask) {
        int i = conn_for(cl, x->ask_to.host, x->ask_to.port);
        c = i < 0 ? NULL : cl->conn[i];
        if (!conn_up(c)) return -EAGAIN;
        static const char asking[] = "*1\r\n$6\r\nASKING\r\n";
        if (dp__conn_send(c, NULL, NULL, asking, sizeof(asking) - 1) != 0) return -EAGAIN;
    } else if (x->keyless) {
        for (size_t i = 0; i < cl->nconn && c == NULL; i++)
            if (conn_up(cl->conn[i])) c = cl->conn[i];
    } else if (cl->slot_conn[x->slot] >= 0) {
        c = cl->conn[cl->slot_conn[x->slot]];
    }
    if (!conn_up(c)) return -EAGAIN;
    return dp__conn_send(c, on_node_reply, x, x->cmd, x->len);
}

static void retry_later(dp_redis_cluster *cl, cl_cmd *x)
{
    x->next = NULL;
    if (cl->retry_tail)
        cl->retry_tail->next = x;
    else
        cl->retry_head = x;
    cl->retry_tail = x;
    cl->nretry++;
}

/* A node's answer: redirections followed, the rest to the caller. */
static void on_node_reply(dp_redis *c, redisReply *reply, void *priv)
{
    cl_cmd *x = priv;
    dp_redis *r = x->r;
    dp_redis_cluster *cl = r->cl;
    if (reply && reply->type == REDIS_REPLY_ERROR && x->cmd && cl && !r->closing) {
        unsigned slot;
        dp_cluster_node to;
        dp_redirect_kind k = dp_cluster_redirect(reply->str, &slot, &to);
        if (k != DP_REDIRECT_NONE && !to.host[0])
            snprintf(to.host, sizeof(to.host), "%s", c->host ? c->host : "127.0.0.1");
        int again = !strncmp(reply->str, "TRYAGAIN", 8) || !strncmp(reply->str, "CLUSTERDOWN", 11);
        uint64_t now = uv_now(r->loop);
        if ((k != DP_REDIRECT_NONE || again) && x->redirects < REDIRECTS_MAX && now < x->deadline &&
            cl->nretry < RETRIES_MAX) {
            x->redirects++;
            r->redirects++;
            x->ask = k == DP_REDIRECT_ASK;
            if (k == DP_REDIRECT_ASK) x->ask_to = to;
            if (k == DP_REDIRECT_MOVED) {
                /* this slot's new primary now; the whole map at the next tick */
                int i = conn_for(cl, to.host, to.port);
                if (i >= 0) cl->slot_conn[slot] = (int16_t)i;
                cl->want_refresh = 1;
            }
            if (again || dispatch(cl, x) != 0) retry_later(cl, x);
            return;
        }
    }
    if (x->cb) x->cb(r, reply, x->priv);
    cmd_free(x);
}

/* Each waiting command sent where it goes now, or failed (its callback with
 * NULL) when past its time or closing. */
static void run_retries(dp_redis_cluster *cl, uint64_t now)
{
    dp_redis *r = cl->owner;
    cl_cmd *list = cl->retry_head;
    cl->retry_head = cl->retry_tail = NULL;
    cl->nretry = 0;
    while (list) {
        cl_cmd *x = list;
        list = x->next;
        if (now >= x->deadline || r->closing) {
            if (x->cb) x->cb(r, NULL, x->priv);
            cmd_free(x);
        } else if (dispatch(cl, x) != 0) {
            retry_later(cl, x);
        }
    }
}

static void on_tick(uv_timer_t *t)
{
    dp_redis_cluster *cl = t->data;
    dp_redis *r = cl->owner;
    uint64_t now = uv_now(r->loop);
    /* the waiting commands: sent where they go now, or failed past their time */
    run_retries(cl, now);
    if (r->closing) return;
    int missing = !all_up(cl);
    /* a primary that never answers does not keep the others from serving */
    if (missing && r->state != DP_REDIS_UP && now - cl->born >= r->timeout_ms)
        for (size_t i = 0; i < cl->nconn; i++)
            if (conn_up(cl->conn[i])) {
                dp_warn("redis: cluster: serving without every primary connected");
                dp__conn_up(r);
                break;
            }
    if ((cl->want_refresh || missing) && !cl->refreshing &&
        now - cl->last_refresh >= (cl->want_refresh ? (uint64_t)TICK_MS : REFRESH_EVERY_MS)) {
        static const char slots[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
        int sent = -1;
        for (size_t i = 0; i < cl->nconn && sent != 0; i++)
            if (conn_up(cl->conn[i]))
                sent = dp__conn_send(cl->conn[i], on_slots, r, slots, sizeof(slots) - 1);
        if (sent != 0 && r->conn_state == DP_REDIS_UP && r->probed)
            sent = dp__conn_send(r, on_slots, r, slots, sizeof(slots) - 1);
        if (sent == 0) {
            cl->refreshing = 1;
            cl->want_refresh = 0;
            cl->last_refresh = now;
        }
    }
}

static void on_slots(dp_redis *c, redisReply *reply, void *priv)
{
    (void)c;
    dp_redis *r = priv;
    if (r->cl == NULL) return;
    r->cl->refreshing = 0;
    if (reply == NULL || r->closing) return;
    dp_err err;
    if (dp__cluster_load(r, reply, &err) != 0) dp_warn("redis: map refresh: %s", err.msg);
}

/* A command that failed after being accepted: its callback at the next
 * tick, with NULL (never from inside the call that accepted it). */
static void fail_later(dp_redis_cluster *cl, dp_redis *r, dp_redis_cb cb, void *priv)
{
    cl_cmd *x = dp_calloc(1, sizeof(*x));
    x->r = r;
    x->cb = cb;
    x->priv = priv;
    x->deadline = 0;
    retry_later(cl, x);
}

int dp__cluster_send(dp_redis *r, const char *key, size_t keylen, dp_redis_cb cb, void *priv,
                     const char *cmd, size_t len)
{
    dp_redis_cluster *cl = r->cl;
    dp_route rt;
    dp_route_kind k = dp_cluster_route(cmd, len, &rt);
    if (key) k = DP_ROUTE_KEY, rt.key = key, rt.keylen = keylen;
    if (k == DP_ROUTE_BAD) return -EINVAL;
    if (k == DP_ROUTE_MULTI) {
        if (cl->multi_held || cl->txn) return -EINVAL;
        cl->multi_held = 1;
        cl->multi_cb = cb;
        cl->multi_priv = priv;
        return 0;
    }
    if (cl->multi_held || cl->txn) {
        /* inside a transaction: where its first keyed command goes */
        dp_redis *c = cl->txn;
        if (c == NULL) {
            if (k == DP_ROUTE_KEY) {
                int i = cl->slot_conn[dp_key_slot(rt.key, rt.keylen)];
                c = i < 0 ? NULL : cl->conn[i];
            } else {
                for (size_t i = 0; i < cl->nconn && c == NULL; i++)
                    if (conn_up(cl->conn[i])) c = cl->conn[i];
            }
            static const char multi[] = "*1\r\n$5\r\nMULTI\r\n";
            if (!conn_up(c) ||
                dp__conn_send(c, cl->multi_cb, cl->multi_priv, multi, sizeof(multi) - 1) != 0) {
                /* MULTI was accepted: its answer comes, as a failure */
                fail_later(cl, r, cl->multi_cb, cl->multi_priv);
                cl->multi_held = 0;
                return -EAGAIN;
            }
            cl->multi_held = 0;
            cl->txn = c;
        }
        if (k == DP_ROUTE_END) cl->txn = NULL;
        return dp__conn_send(c, cb, priv, cmd, len);
    }
    if (k == DP_ROUTE_END) return -EINVAL; /* EXEC without MULTI */
    cl_cmd *x = dp_calloc(1, sizeof(*x));
    x->r = r;
    x->cb = cb;
    x->priv = priv;
    x->keyless = k != DP_ROUTE_KEY;
    if (!x->keyless) x->slot = dp_key_slot(rt.key, rt.keylen);
    x->deadline = uv_now(r->loop) + r->timeout_ms;
    x->cmd = dp_malloc(len);
    memcpy(x->cmd, cmd, len);
    x->len = len;
    int rc = dispatch(cl, x);
    if (rc != 0) {
        if (!x->keyless && cl->slot_conn[x->slot] < 0) cl->want_refresh = 1;
        cmd_free(x);
    }
    return rc;
}

static void on_tick_closed(uv_handle_t *h)
{
    dp_redis_cluster *cl = h->data;
    dp_redis *r = cl->owner;
    dp_free(cl);
    r->cl = NULL;
    dp__conn_handle_closed(r);
}

void dp__cluster_close(dp_redis *r, int force)
{
    dp_redis_cluster *cl = r->cl;
    run_retries(cl, UINT64_MAX); /* what waits is failed now (r->closing) */
    for (size_t i = 0; i < cl->nconn; i++)
        dp__conn_close(cl->conn[i], force, on_node_closed, cl->conn[i]);
    cl->nconn = 0;
    uv_timer_stop(&cl->tick);
    uv_close((uv_handle_t *)&cl->tick, on_tick_closed);
}

int dp__cluster_each(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len)
{
    dp_redis_cluster *cl = r->cl;
    int n = 0;
    for (size_t i = 0; i < cl->nconn; i++)
        if (conn_up(cl->conn[i]) && dp__conn_send(cl->conn[i], cb, priv, cmd, len) == 0) n++;
    return n;
}
