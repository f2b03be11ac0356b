/* deckpulse-loadgen: a load generator for POST /v1/events on libuv.
 *
 * Keep-alive connections send realistic beacon batches from a seeded
 * session model: each session opens, views slides one after another (a
 * batch per slide change: the dwell of the slide left and the view of the
 * next, as the beacon sends them), sometimes acts, and closes. Closed loop
 * (each connection sends its next request when the answer came) or open
 * loop (--rate: requests are due at fixed times whatever the answers do,
 * and latency counts from when a request was due, so a slow server cannot
 * hide its queue: no coordinated omission). Latencies go to a log-linear
 * histogram (about 3 % resolution); the (session, seq) of every event
 * answered 2xx can be written to a file for the oracle.
 *
 *   deckpulse-loadgen --port P [--host 127.0.0.1] [--path /v1/events]
 *       [--token T | --presentation P] [--connections 64] [--seconds 10]
 *       [--rate R] [--seed 1] [--ack-log FILE]
 *
 * Prints one JSON object: sent (requests written), events_sent, requests
 * (answered before the end), statuses, requests_per_s, events_per_s,
 * latency percentiles in microseconds. */
#include <http_parser.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define NBUCKETS   1024
#define MAX_EVENTS 8
#define REQ_MAX    8192
#define PACE_NS    200000 /* open loop: what falls due within 200 us is sent together */

typedef struct histogram {
    uint64_t n[NBUCKETS];
    uint64_t count, max;
} histogram;

static int bucket_of(uint64_t v)
{
    if (v < 64) return (int)v;
    int msb = 63 - __builtin_clzll(v), shift = msb - 5;
    int idx = 64 + (msb - 6) * 32 + (int)((v >> shift) - 32);
    return idx < NBUCKETS ? idx : NBUCKETS - 1;
}

static uint64_t bucket_value(int idx) /* the middle of the bucket */
{
    if (idx < 64) return (uint64_t)idx;
    int msb = (idx - 64) / 32 + 6, shift = msb - 5;
    uint64_t m = (uint64_t)((idx - 64) % 32 + 32);
    return (m << shift) + ((1ull << shift) >> 1);
}

static void hist_add(histogram *h, uint64_t us)
{
    h->n[bucket_of(us)]++;
    h->count++;
    if (us > h->max) h->max = us;
}

static uint64_t hist_pct(const histogram *h, double p)
{
    if (h->count == 0) return 0;
    uint64_t want = (uint64_t)((double)h->count * p / 100.0 + 0.5), seen = 0;
    if (want == 0) want = 1;
    for (int i = 0; i < NBUCKETS; i++) {
        seen += h->n[i];
        if (seen >= want) return bucket_value(i) < h->max ? bucket_value(i) : h->max;
    }
    return h->max;
}

/* ---- the session model ---- */

typedef struct session {
    char id[48];
    int slides, at_slide, seq, version;
    uint64_t at;
    int done;
} session;

static uint64_t rnd_state;

static uint32_t rnd(void) /* xorshift64* */
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (uint32_t)((rnd_state * 2685821657736338717ull) >> 32);
}

typedef struct conn conn;

static struct {
    const char *host, *path, *token, *presentation, *ack_path;
    int port, nconns;
    double seconds, rate;
    uint64_t seed;
    FILE *ack;
    uv_loop_t *loop;
    uint64_t start_ns, end_ns, sent, due_sent, events_sent, events_acked, errors, closed_idle;
    uint64_t statuses[600];
    histogram lat;
    conn *conns;
    uv_timer_t stop;
    uv_poll_t pace; /* a timerfd: the next request due (to PACE_NS) */
    int pace_fd;
    uint64_t armed_ns; /* when the timerfd fires, 0 = disarmed */
    int stopping;
    uint64_t sessions;
} G;

struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    http_parser parser;
    http_parser_settings *settings;
    int idx, busy, connected;
    session s;
    char req[REQ_MAX];
    size_t reqlen;
    /* the batch in flight */
    char sid[48];
    int first_seq, nevents;
    uint64_t t0; /* when it was due (open loop) or written (closed) */
    char rbuf[65536];
};

static void new_session(conn *c)
{
    session *s = &c->s;
    snprintf(s->id, sizeof(s->id), "lg%" PRIu64 "-%d-%" PRIu64, G.seed, c->idx, G.sessions++);
    s->slides = 6 + (int)(rnd() % 15);
    s->at_slide = -1;
    s->seq = 0;
    s->version = 1 + (int)(rnd() % 2);
    s->at = 1763800000000ull + (uint64_t)(rnd() % 86400000);
    s->done = 0;
}

/* The next beacon batch of this connection's session, as its body. */
static int next_body(conn *c, char *out, size_t cap)
{
    session *s = &c->s;
    if (s->done || s->slides == 0) new_session(c);
    size_t n = 0;
    int first = s->seq + 1, k = 0;
    n += (size_t)snprintf(out + n, cap - n, "{%s%s%s\"session\":\"%s\",\"events\":[",
                          G.token ? "\"token\":\"" : "\"presentation\":\"",
                          G.token ? G.token : G.presentation, "\",", s->id);
#define EV(...)                                                                                    \
    do {                                                                                           \
        n += (size_t)snprintf(out + n, cap - n, "%s", k++ ? "," : "");                             \
        n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__);                                      \
    } while (0)
    s->at += 200 + rnd() % 20000;
    if (s->at_slide < 0) {
        EV("{\"seq\":%d,\"type\":\"open\",\"at\":%" PRIu64 ",\"slides\":%d}", ++s->seq, s->at,
           s->slides);
    } else {
        EV("{\"seq\":%d,\"type\":\"dwell\",\"at\":%" PRIu64
           ",\"material\":\"bench-deck\",\"slide\":\"s%02d\",\"version\":%d,\"ms\":%u}",
           ++s->seq, s->at, s->at_slide, s->version, 500 + rnd() % 60000);
        if (rnd() % 12 == 0)
            EV("{\"seq\":%d,\"type\":\"action\",\"at\":%" PRIu64
               ",\"material\":\"bench-deck\",\"slide\":\"s%02d\",\"version\":%d,\"name\":"
               "\"book-demo\"}",
               ++s->seq, s->at, s->at_slide, s->version);
    }
    int leave = s->at_slide >= 0 && (s->at_slide + 1 >= s->slides || rnd() % 10 == 0);
    if (leave) {
        EV("{\"seq\":%d,\"type\":\"close\",\"at\":%" PRIu64 "}", ++s->seq, s->at);
        s->done = 1;
    } else {
        s->at_slide++;
        EV("{\"seq\":%d,\"type\":\"view\",\"at\":%" PRIu64
           ",\"material\":\"bench-deck\",\"slide\":\"s%02d\",\"version\":%d,\"index\":%d}",
           ++s->seq, s->at, s->at_slide, s->version, s->at_slide);
    }
#undef EV
    n += (size_t)snprintf(out + n, cap - n, "]}");
    memcpy(c->sid, s->id, sizeof(c->sid));
    c->first_seq = first;
    c->nevents = s->seq - first + 1;
    return (int)n;
}

/* ---- HTTP ---- */

static void do_send(conn *c, uint64_t due_ns);

static void on_written(uv_write_t *w, int status)
{
    conn *c = w->data;
    if (status < 0) G.errors++;
    (void)c;
}

static void do_send(conn *c, uint64_t due_ns)
{
    char body[4096];
    int blen = next_body(c, body, sizeof(body));
    c->reqlen = (size_t)snprintf(c->req, sizeof(c->req),
                                 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                                 "User-Agent: Mozilla/5.0 (X11; Linux x86_64) deckpulse-loadgen\r\n"
                                 "Content-Length: %d\r\n\r\n%s",
                                 G.path, G.host, blen, body);
    c->busy = 1;
    c->t0 = due_ns ? due_ns : uv_hrtime();
    G.sent++;
    G.events_sent += (uint64_t)c->nevents;
    uv_buf_t b = uv_buf_init(c->req, (unsigned)c->reqlen);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) G.errors++;
}

static void pace_send(void);

static int on_complete(http_parser *p)
{
    conn *c = p->data;
    uint64_t now = uv_hrtime();
    unsigned st = p->status_code < 600 ? p->status_code : 599;
    if (now < G.end_ns) {
        G.statuses[st]++;
        hist_add(&G.lat, (now - c->t0) / 1000);
        if (st >= 200 && st < 300) {
            G.events_acked += (uint64_t)c->nevents;
            if (G.ack)
                for (int i = 0; i < c->nevents; i++)
                    fprintf(G.ack, "%s %d\n", c->sid, c->first_seq + i);
        }
    }
    c->busy = 0;
    if (G.stopping || now >= G.end_ns) return 0; /* the run is over: nothing more to send */
    if (G.rate > 0)
        pace_send();
    else
        do_send(c, 0);
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    conn *c = h->data;
    (void)sz;
    *b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn *c = s->data;
    if (n < 0) {
        if (!G.stopping && c->busy) {
            G.errors++;
            fprintf(stderr, "loadgen: connection %d: %s\n", c->idx, uv_strerror((int)n));
        } else if (!G.stopping) {
            /* an open-loop connection left unused long enough is closed by
             * the server's header_timeout_ms: no request was lost */
            G.closed_idle++;
        }
        uv_close((uv_handle_t *)&c->tcp, NULL);
        c->connected = 0;
        return;
    }
    size_t done = http_parser_execute(&c->parser, c->settings, b->base, (size_t)n);
    if (done != (size_t)n && !G.stopping) {
        G.errors++;
        fprintf(stderr, "loadgen: bad response: %s\n",
                http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
        uv_close((uv_handle_t *)&c->tcp, NULL);
        c->connected = 0;
    }
}

static http_parser_settings settings = {.on_message_complete = on_complete};

static void on_connect(uv_connect_t *r, int status)
{
    conn *c = r->data;
    if (status < 0) {
        fprintf(stderr, "loadgen: connect: %s\n", uv_strerror(status));
        exit(2);
    }
    c->connected = 1;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (G.rate == 0) do_send(c, 0);
}

/* The timerfd set to fire at due (CLOCK_MONOTONIC, uv_hrtime's clock),
 * unless it already fires at or before then. */
static void arm(uint64_t due)
{
    due = (due + PACE_NS - 1) / PACE_NS * PACE_NS;
    if (G.armed_ns && G.armed_ns <= due) return;
    struct itimerspec it = {.it_value = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)}};
    if (timerfd_settime(G.pace_fd, TFD_TIMER_ABSTIME, &it, NULL) == 0) G.armed_ns = due;
}

/* Open loop: request i is due at start + i / rate, and is sent then: a
 * millisecond timer would send what fell due meanwhile in bursts, each
 * request late by up to a millisecond, and that lateness counted as the
 * server's latency. Each answer sends what is due, and a timerfd wakes the
 * loop at the next due time rounded up to PACE_NS: lateness at most 200 us
 * (every 50 us cost the generator 22 us of CPU a request at 29 k/s against
 * 15 at 250 us, CPU the server under test shares on a small box). When
 * every connection is busy, the next answer sends. */
static void pace_send(void)
{
    uint64_t now = uv_hrtime();
    for (int i = 0; i < G.nconns; i++) {
        uint64_t due = G.start_ns + (uint64_t)((double)G.due_sent * 1e9 / G.rate);
        if (due >= G.end_ns) return;
        if (due > now) {
            arm(due);
            return;
        }
        conn *c = &G.conns[i];
        if (c->busy || !c->connected) continue;
        G.due_sent++;
        do_send(c, due);
    }
}

static void on_pace(uv_poll_t *h, int status, int events)
{
    (void)h, (void)status, (void)events;
    uint64_t n;
    ssize_t got = read(G.pace_fd, &n, sizeof(n)); /* the expiry count: not needed */
    (void)got;
    G.armed_ns = 0;
    pace_send();
}

/* libuv's timers count whole milliseconds of a loop time taken before
 * start_ns: the stop can come up to a millisecond early. */
static void on_stop(uv_timer_t *t)
{
    uint64_t now = uv_hrtime();
    if (now < G.end_ns) {
        uv_timer_start(t, on_stop, (G.end_ns - now + 999999) / 1000000, 0);
        return;
    }
    if (G.rate > 0) pace_send(); /* what fell due before the end */
    G.stopping = 1;
    if (G.rate > 0) uv_poll_stop(&G.pace);
    uv_stop(G.loop);
}

int main(int argc, char **argv)
{
    G.host = "127.0.0.1";
    G.path = "/v1/events";
    G.nconns = 64;
    G.seconds = 10;
    G.seed = 1;
    G.presentation = "bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host"))
            G.host = v;
        else if (!strcmp(k, "--port"))
            G.port = atoi(v);
        else if (!strcmp(k, "--path"))
            G.path = v;
        else if (!strcmp(k, "--token"))
            G.token = v;
        else if (!strcmp(k, "--presentation"))
            G.presentation = v;
        else if (!strcmp(k, "--connections"))
            G.nconns = atoi(v);
        else if (!strcmp(k, "--seconds"))
            G.seconds = atof(v);
        else if (!strcmp(k, "--rate"))
            G.rate = atof(v);
        else if (!strcmp(k, "--seed"))
            G.seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--ack-log"))
            G.ack_path = v;
        else {
            fprintf(stderr, "loadgen: unknown option %s\n", k);
            return 2;
        }
    }
    if (G.port <= 0 || G.nconns <= 0 || G.nconns > 10000 || G.seconds <= 0) {
        fprintf(stderr, "usage: deckpulse-loadgen --port P [--connections N] [--seconds S] "
                        "[--rate R] [--token T] [--seed N] [--ack-log FILE]\n");
        return 2;
    }
    rnd_state = G.seed * 0x9E3779B97F4A7C15ull + 1;
    if (G.ack_path && (G.ack = fopen(G.ack_path, "w")) == NULL) {
        perror(G.ack_path);
        return 2;
    }
    G.loop = uv_default_loop();
    G.conns = calloc((size_t)G.nconns, sizeof(conn));
    struct sockaddr_in addr;
    uv_ip4_addr(G.host, G.port, &addr);
    G.start_ns = uv_hrtime();
    G.end_ns = G.start_ns + (uint64_t)(G.seconds * 1e9);
    for (int i = 0; i < G.nconns; i++) {
        conn *c = &G.conns[i];
        c->idx = i;
        c->settings = &settings;
        http_parser_init(&c->parser, HTTP_RESPONSE);
        c->parser.data = c;
        uv_tcp_init(G.loop, &c->tcp);
        uv_tcp_nodelay(&c->tcp, 1);
        c->tcp.data = c;
        c->creq.data = c;
        uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&addr, on_connect);
    }
    uv_timer_init(G.loop, &G.stop);
    if (G.rate > 0) {
        G.pace_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (G.pace_fd < 0) {
            perror("timerfd_create");
            return 2;
        }
        uv_poll_init(G.loop, &G.pace, G.pace_fd);
        uv_poll_start(&G.pace, UV_READABLE, on_pace);
        arm(G.start_ns + 1000000);
    }
    uv_timer_start(&G.stop, on_stop, (uint64_t)(G.seconds * 1000), 0);
    uv_run(G.loop, UV_RUN_DEFAULT);
    double secs = (double)(uv_hrtime() - G.start_ns) / 1e9;
    uint64_t answered = G.lat.count;
    printf("{\"connections\":%d,\"seconds\":%.2f,\"rate\":%.0f,\"sent\":%" PRIu64
           ",\"events_sent\":%" PRIu64 ",\"requests\":%" PRIu64
           ",\"requests_per_s\":%.0f,\"events_per_s\":%.0f,\"events_acked\":%" PRIu64
           ",\"errors\":%" PRIu64 ",\"closed_idle\":%" PRIu64 ",\"unsent\":%" PRIu64
           ",\"statuses\":{",
           G.nconns, secs, G.rate, G.sent, G.events_sent, answered, (double)answered / G.seconds,
           (double)G.events_acked / G.seconds, G.events_acked, G.errors, G.closed_idle,
           G.rate > 0 && G.rate * G.seconds > (double)G.due_sent
               ? (uint64_t)(G.rate * G.seconds) - G.due_sent
               : 0);
    int first = 1;
    for (int s = 0; s < 600; s++)
        if (G.statuses[s]) {
            printf("%s\"%d\":%" PRIu64, first ? "" : ",", s, G.statuses[s]);
            first = 0;
        }
    printf("},\"latency_us\":{\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64
           ",\"p999\":%" PRIu64 ",\"max\":%" PRIu64 "}}\n",
           hist_pct(&G.lat, 50), hist_pct(&G.lat, 90), hist_pct(&G.lat, 99), hist_pct(&G.lat, 99.9),
           G.lat.max);
    if (G.ack) fclose(G.ack);
    return 0;
}
