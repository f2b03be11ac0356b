/* Commands whose keys span slots, in cluster mode (issue 22): a PFCOUNT
 * (the union of the shards' HyperLogLogs: reports count viewers over every
 * shard) or an MGET is split into one GET per key, each sent to its slot's
 * primary, and the caller gets the answer one Redis would have given: the
 * union's estimate (lib/hll.h), or the values in order. */
#include "redis_cluster.h"

#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "hll.h"
#include "keyslot.h"
#include "log.h"
#include "resp.h"

#define SCATTER_KEYS_MAX 100000

typedef struct gather {
    dp_redis *r;
    dp_redis_cb cb;
    void *priv;
    int pfcount;
    size_t n, waiting;
    int failed;
    dp_hll *hll;         /* PFCOUNT: the registers so far */
    redisReply **values; /* MGET: each key's value (copied), NULL = nil */
} gather;

typedef struct part {
    gather *g;
    size_t i;
} part;

static void finish(gather *g)
{
    redisReply out, **el = NULL;
    memset(&out, 0, sizeof(out));
    if (!g->failed && g->pfcount) {
        out.type = REDIS_REPLY_INTEGER;
        out.integer = (long long)dp_hll_count(g->hll);
    } else if (!g->failed) {
        out.type = REDIS_REPLY_ARRAY;
        out.elements = g->n;
        el = dp_calloc(g->n ? g->n : 1, sizeof(*el));
        static redisReply nil = {.type = REDIS_REPLY_NIL};
        for (size_t i = 0; i < g->n; i++)
            el[i] = g->values[i] ? g->values[i] : &nil;
        out.element = el;
    }
    if (g->cb) g->cb(g->r, g->failed ? NULL : &out, g->priv);
    dp_free(el);
    for (size_t i = 0; g->values && i < g->n; i++)
        if (g->values[i]) {
            dp_free(g->values[i]->str);
            dp_free(g->values[i]);
        }
    dp_free(g->values);
    dp_free(g->hll);
    dp_free(g);
}

static void on_part(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    part *p = priv;
    gather *g = p->g;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        if (!g->failed && reply)
            dp_warn("redis: %s of %zu keys: %.200s", g->pfcount ? "PFCOUNT" : "MGET", g->n,
                    reply->str);
        g->failed = 1;
    } else if (reply->type == REDIS_REPLY_STRING) {
        if (g->pfcount) {
            if (dp_hll_merge_raw(g->hll, reply->str, reply->len) != 0) {
                dp_warn("redis: PFCOUNT of %zu keys: a value is not a HyperLogLog", g->n);
                g->failed = 1;
            }
        } else {
            redisReply *v = dp_calloc(1, sizeof(*v));
            v->type = REDIS_REPLY_STRING;
            v->len = reply->len;
            v->str = dp_malloc(reply->len + 1);
            memcpy(v->str, reply->str, reply->len);
            v->str[reply->len] = '\0';
            g->values[p->i] = v;
        }
    }
    dp_free(p);
    if (--g->waiting == 0) finish(g);
}

/* The bulk arguments of a RESP command; 0, or -1. */
static int args(const char *cmd, size_t len, const char **argv, size_t *lens, size_t max,
                size_t *argc)
{
    const char *p = cmd, *end = cmd + len;
    if (p >= end || *p++ != '*') return -1;
    size_t n = 0;
    while (p < end && *p >= '0' && *p <= '9' && n <= max)
        n = n * 10 + (size_t)(*p++ - '0');
    if (n > max || end - p < 2 || p[0] != '\r') return -1;
    p += 2;
    for (size_t i = 0; i < n; i++) {
        size_t l = 0;
        if (p >= end || *p++ != '$') return -1;
        while (p < end && *p >= '0' && *p <= '9' && l < (size_t)(end - p))
            l = l * 10 + (size_t)(*p++ - '0');
        if (end - p < 2) return -1;
        p += 2;
        if ((size_t)(end - p) < l + 2) return -1;
        argv[i] = p;
        lens[i] = l;
        p += l + 2;
    }
    *argc = n;
    return 0;
}

int dp__cluster_scatter(dp_redis *r, dp_redis_cb cb, void *priv, const char *cmd, size_t len)
{
    if (len < 12) return 1;
    /* the verb, cheaply, before anything is parsed */
    const char *v = memchr(cmd, '\n', len);
    if (v == NULL || (size_t)(cmd + len - v) < 8) return 1;
    int pf = !strncasecmp(v + 1, "$7\r\nPFCOUNT\r\n", 13);
    int mget = !strncasecmp(v + 1, "$4\r\nMGET\r\n", 10);
    if (!pf && !mget) return 1;
    size_t argc = 0;
    for (const char *p = cmd + 1; p < v && *p >= '0' && *p <= '9' && argc <= SCATTER_KEYS_MAX; p++)
        argc = argc * 10 + (size_t)(*p - '0');
    if (argc < 3 || argc > SCATTER_KEYS_MAX + 1) return 1;
    const char **argv = dp_malloc(argc * sizeof(*argv));
    size_t *lens = dp_malloc(argc * sizeof(*lens));
    int rc = 1;
    if (args(cmd, len, argv, lens, argc, &argc) != 0) goto out;
    unsigned slot = dp_key_slot(argv[1], lens[1]);
    size_t i;
    for (i = 2; i < argc && dp_key_slot(argv[i], lens[i]) == slot; i++)
        ;
    if (i == argc) goto out; /* one slot: as it is */
    gather *g = dp_calloc(1, sizeof(*g));
    g->r = r;
    g->cb = cb;
    g->priv = priv;
    g->pfcount = pf;
    g->n = argc - 1;
    if (pf) {
        g->hll = dp_malloc(sizeof(*g->hll));
        dp_hll_init(g->hll);
    } else {
        g->values = dp_calloc(g->n, sizeof(*g->values));
    }
    g->waiting = g->n + 1; /* +1 until every part is sent */
    dp_buf b;
    dp_buf_init(&b, 0);
    rc = 0;
    for (i = 0; i < g->n; i++) {
        const char *gv[2] = {"GET", argv[i + 1]};
        size_t gl[2] = {3, lens[i + 1]};
        dp_buf_reset(&b);
        dp_resp_command(&b, 2, gv, gl);
        part *p = dp_malloc(sizeof(*p));
        p->g = g;
        p->i = i;
        if (dp__cluster_send(r, NULL, 0, on_part, p, b.data, b.len) != 0) {
            dp_free(p);
            if (i == 0) { /* nothing sent: refused now, as one command would be */
                rc = -EAGAIN;
                break;
            }
            g->failed = 1;
            g->waiting--;
        }
    }
    dp_buf_free(&b);
    if (rc == -EAGAIN) {
        g->waiting = 1;
        g->cb = NULL;
        finish(g);
    } else if (--g->waiting == 0) {
        finish(g); /* cannot happen before an answer: i == 0 was sent */
    }
out:
    dp_free(argv);
    dp_free(lens);
    return rc;
}
