/* The async client's cluster routing (lib/redis_cluster.c) against two
 * fake cluster nodes on loopback (a few lines of RESP each, scripted):
 * cluster mode detected from INFO, the slot map loaded, MOVED followed
 * (the slot's new node, the map reloaded), ASK followed (ASKING, then the
 * command, on the node named), Redis 7's empty host, TRYAGAIN retried, a
 * redirection loop given up after a few and handed to the caller, and a
 * PFCOUNT over slots of two nodes answered from their HyperLogLogs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "keyslot.h"
#include "redis.h"

typedef struct node {
    uv_tcp_t server;
    int port;
    int name;   /* 'A' or 'B' */
    int asking; /* the previous command was ASKING */
    int tryagain;
} node;

typedef struct client {
    uv_tcp_t tcp;
    node *n;
    char buf[65536];
    size_t len;
} client;

static node A, B;
static int slots_on; /* which node serves every slot: 'A' or 'B' */
static uv_loop_t loop;

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

static void reply(client *c, const char *s, size_t n)
{
    uv_write_t *w = malloc(sizeof(*w));
    char *copy = malloc(n);
    memcpy(copy, s, n);
    w->data = copy;
    uv_buf_t b = uv_buf_init(copy, (unsigned)n);
    uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written);
}

static void say(client *c, const char *fmt, ...)
{
    char out[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, sizeof(out), fmt, ap);
    va_end(ap);
    reply(c, out, (size_t)n);
}

static void bulk(client *c, const char *s)
{
    say(c, "$%zu\r\n%s\r\n", strlen(s), s);
}

/* One command of a fake node. */
static void handle(client *c, int argc, char **argv)
{
    node *n = c->n;
    int asking = n->asking;
    n->asking = 0;
    const char *cmd = argv[0];
    if (!strcasecmp(cmd, "INFO")) {
        bulk(c, "# Cluster\r\ncluster_enabled:1\r\n");
    } else if (!strcasecmp(cmd, "CLUSTER")) {
        node *o = slots_on == 'A' ? &A : &B;
        say(c, "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$2\r\nid\r\n", o->port);
    } else if (!strcasecmp(cmd, "ASKING")) {
        n->asking = 1;
        say(c, "+OK\r\n");
    } else if (argc >= 2 && !strcmp(argv[1], "moved")) {
        /* served by B from now on */
        if (n->name == 'A') {
            slots_on = 'B';
            say(c, "-MOVED %u 127.0.0.1:%d\r\n", dp_key_slot("moved", 5), B.port);
        } else {
            bulk(c, "from B");
        }
    } else if (argc >= 2 && !strcmp(argv[1], "asked")) {
        /* migrating from B to A: A takes it only after ASKING */
        if (n->name == 'B')
            say(c, "-ASK %u :%d\r\n", dp_key_slot("asked", 5), A.port); /* Redis 7: empty host */
        else if (asking)
            say(c, "+OK\r\n");
        else
            say(c, "-MOVED %u 127.0.0.1:%d\r\n", dp_key_slot("asked", 5), B.port);
    } else if (argc >= 2 && !strcmp(argv[1], "busy")) {
        if (n->tryagain++ < 2)
            say(c, "-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
        else
            bulk(c, "after TRYAGAIN");
    } else if (argc >= 2 && !strcmp(argv[1], "loop")) {
        say(c, "-MOVED %u 127.0.0.1:%d\r\n", dp_key_slot("loop", 4),
            n->name == 'A' ? B.port : A.port);
    } else if (!strcasecmp(cmd, "GET") && argc == 2 && !strncmp(argv[1], "hll", 3)) {
        /* raw HyperLogLogs from Redis 7.0 (PFADD x v1 / PFADD y v2; PFCOUNT x y = 2) */
        static const unsigned char one[] = {0x48, 0x59, 0x4c, 0x4c, 0x01, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x80, 0x76, 0xa7, 0x8c, 0x49, 0x56};
        static const unsigned char two[] = {0x48, 0x59, 0x4c, 0x4c, 0x01, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x80, 0x47, 0x1f, 0x80, 0x78, 0xde};
        const unsigned char *v = argv[1][3] == '1' ? one : two;
        size_t len = argv[1][3] == '1' ? sizeof(one) : sizeof(two);
        say(c, "$%zu\r\n", len);
        reply(c, (const char *)v, len);
        say(c, "\r\n");
    } else {
        say(c, "-ERR fake node: %s\r\n", cmd);
    }
}

/* Complete RESP arrays of bulk strings, handled in order. */
static void parse(client *c)
{
    for (;;) {
        char *p = c->buf, *end = c->buf + c->len, *argv[16];
        int argc;
        if (p >= end || *p != '*') return;
        argc = atoi(p + 1);
        p = memchr(p, '\n', (size_t)(end - p));
        if (p == NULL || argc < 1 || argc > 16) return;
        p++;
        int i;
        for (i = 0; i < argc; i++) {
            if (p >= end || *p != '$') return;
            long n = atol(p + 1);
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL || end - (nl + 1) < n + 2) return;
            argv[i] = nl + 1;
            argv[i][n] = '\0'; /* over the \r */
            p = nl + 1 + n + 2;
        }
        handle(c, argc, argv);
        size_t used = (size_t)(p - c->buf);
        memmove(c->buf, p, c->len - used);
        c->len -= used;
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    client *c = h->data;
    *b = uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

static void on_client_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    client *c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_client_closed);
        return;
    }
    c->len += (size_t)n;
    parse(c);
}

static void on_conn(uv_stream_t *srv, int status)
{
    if (status < 0) return;
    client *c = calloc(1, sizeof(*c));
    c->n = srv->data;
    uv_tcp_init(&loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(srv, (uv_stream_t *)&c->tcp) == 0)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    else
        uv_close((uv_handle_t *)&c->tcp, on_client_closed);
}

static void node_start(node *n, int name)
{
    memset(n, 0, sizeof(*n));
    n->name = name;
    uv_tcp_init(&loop, &n->server);
    n->server.data = n;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&n->server, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&n->server, 16, on_conn), 0);
    int len = sizeof(sa);
    uv_tcp_getsockname(&n->server, (struct sockaddr *)&sa, &len);
    n->port = ntohs(sa.sin_port);
}

/* ---- the client ---- */

typedef struct answer {
    int done;
    int type;
    long long integer;
    char str[128];
} answer;

static void on_answer(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    answer *a = priv;
    a->done = 1;
    a->type = reply ? reply->type : -1;
    if (reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_ERROR ||
                  reply->type == REDIS_REPLY_STATUS))
        snprintf(a->str, sizeof(a->str), "%s", reply->str);
    if (reply && reply->type == REDIS_REPLY_INTEGER) a->integer = reply->integer;
}

static void run_until(int *flag)
{
    uint64_t end = uv_hrtime() + 5000000000ull;
    while (!*flag && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_ONCE);
}

static answer ask(dp_redis *r, int argc, const char **argv)
{
    answer a = {0};
    assert_int_equal(dp_redis_command(r, on_answer, &a, argc, argv, NULL), 0);
    run_until(&a.done);
    assert_true(a.done);
    return a;
}

static void on_up(dp_redis *r, void *ud)
{
    (void)r;
    *(int *)ud = 1;
}

static void on_client_closed(uv_handle_t *h);

static void close_any(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h)) return;
    /* what is left: the fake nodes' connections */
    uv_close(h, h->type == UV_TCP && h->data != &A && h->data != &B ? on_client_closed : NULL);
}

static int closed;
static void on_closed(void *ud)
{
    (void)ud;
    closed = 1;
}

static void test_redirections(void **state)
{
    (void)state;
    uv_loop_init(&loop);
    node_start(&A, 'A');
    node_start(&B, 'B');
    slots_on = 'A';
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", A.port);
    dp_redis r;
    dp_err err;
    assert_int_equal(dp_redis_init(&r, &loop, url, 2000, &err), 0);
    int up = 0;
    r.on_up = on_up;
    r.up_ud = &up;
    dp_redis_start(&r);
    run_until(&up);
    assert_true(up);
    assert_true(dp_redis_is_cluster(&r));

    /* MOVED: to B, once; then B directly (the map was reloaded) */
    const char *moved[] = {"GET", "moved"};
    answer a = ask(&r, 2, moved);
    assert_int_equal(a.type, REDIS_REPLY_STRING);
    assert_string_equal(a.str, "from B");
    assert_int_equal(r.redirects, 1);
    a = ask(&r, 2, moved);
    assert_string_equal(a.str, "from B");
    /* the map's refresh is at the next tick (20 ms): by then every slot is B's */
    uint64_t until = uv_hrtime() + 100000000ull;
    while (uv_hrtime() < until)
        uv_run(&loop, UV_RUN_NOWAIT);

    /* ASK from B (an empty host: B's own) to A: ASKING, then the command */
    const char *asked[] = {"SET", "asked", "1"};
    uint64_t before = r.redirects;
    a = ask(&r, 3, asked);
    assert_int_equal(a.type, REDIS_REPLY_STATUS);
    assert_string_equal(a.str, "OK");
    assert_int_equal(r.redirects, before + 1);

    /* TRYAGAIN twice, then the answer */
    const char *busy[] = {"GET", "busy"};
    a = ask(&r, 2, busy);
    assert_string_equal(a.str, "after TRYAGAIN");

    /* a loop of redirections: given up, the caller gets the error */
    const char *loopk[] = {"GET", "loop"};
    a = ask(&r, 2, loopk);
    assert_int_equal(a.type, REDIS_REPLY_ERROR);
    assert_true(!strncmp(a.str, "MOVED ", 6));

    /* PFCOUNT over keys of different slots: the union of the raw values */
    assert_true(dp_key_slot("hll1", 4) != dp_key_slot("hll2", 4));
    const char *pf[] = {"PFCOUNT", "hll1", "hll2"};
    a = ask(&r, 3, pf);
    assert_int_equal(a.type, REDIS_REPLY_INTEGER);
    assert_int_equal(a.integer, 2);

    dp_redis_close(&r, 1, on_closed, NULL);
    uv_close((uv_handle_t *)&A.server, NULL);
    uv_close((uv_handle_t *)&B.server, NULL);
    run_until(&closed);
    assert_true(closed);
    uv_walk(&loop, close_any, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_redirections)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
