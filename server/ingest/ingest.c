/* POST /v1/events and GET /v1/pixel.gif (docs/wire-format.md; what a 202
 * promises: docs/durability.md): validate, authenticate, then the
 * batch's lines join its shard's XADD of this loop iteration (one stream
 * entry holding every batch of the iteration: xadd_group.h, event.h); 202
 * only once the batch is durable: Redis answered that XADD, or, when Redis
 * is down, slower than redis_timeout_ms or refusing writes, the batch is
 * fsynced in the local spool (spool.h) as an entry of its own, from which
 * it is replayed later. 503 only when neither can take it.
 *
 * An ingest outlives its connection if the client goes away while Redis is
 * answering: the connection detaches, the XADD callbacks still arrive, and
 * the ingest frees itself after the last one. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "alloc.h"
#include "bots.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "cors.h"
#include "log.h"
#include "resp.h"
#include "ingest.h"
#include "salt.h"
#include "spool_record.h"
#include "token_cache.h"

typedef struct dp_ingest dp_ingest;

struct dp_ingest {
    dp_ingest_ctx *srv;
    dp_req *req; /* NULL once the client is gone */
    dp_batch batch;
    dp_link link;
    int has_link;
    const char *presentation;
    const char *source;
    unsigned shard;  /* the session's shard */
    char viewer[40]; /* "a:" + 32 hex: this browser, for the day */
    char *ua;        /* user agent, until the viewer hash is made */
    char peer[64];
    int64_t received;
    size_t refused;        /* events taken out of the batch (catalog_strict) */
    char refused_why[200]; /* the first of them, named */
    dp_event pixel_event;
    char pixel_session[24];
};

static void detach(void *p)
{
    ((dp_ingest *)p)->req = NULL;
}

static dp_ingest *ingest_new(dp_ingest_ctx *s, const char *source)
{
    dp_ingest *in = dp_calloc(1, sizeof(*in));
    in->srv = s;
    in->source = source;
    return in;
}

static void ingest_free(dp_ingest *in)
{
    if (in->batch.events != &in->pixel_event) dp_batch_free(&in->batch);
    dp_free(in->ua);
    dp_free(in);
}

static const unsigned char gif[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

/* 202 for a batch some of whose events were refused (catalog_strict). */
static void respond_refused(dp_ingest *in)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_printf(&b, "{\"accepted\":%zu,\"refused\":%zu,\"message\":\"", in->batch.nevents,
                  in->refused);
    dp_buf_json_str(&b, in->refused_why, strlen(in->refused_why));
    dp_buf_puts(&b, "\"}");
    dp_req_respond(in->req, 202, "application/json", NULL, b.data, b.len);
    dp_buf_free(&b);
}

static void respond_ok(dp_ingest *in)
{
    dp_ingest_ctx *s = in->srv;
    dp_req *req = in->req;
    size_t n = in->batch.nevents;
    s->metrics.events_accepted += n;
    s->metrics.batches_accepted++;
    if (req == NULL) return;
    req->events = n; /* answering clears the abort callback */
    if (in->batch.events == &in->pixel_event) {
        dp_req_respond(req, 200, "image/gif", "Cache-Control: no-store, max-age=0\r\n",
                       (const char *)gif, sizeof(gif));
    } else if (in->refused) {
        respond_refused(in);
    } else {
        char body[48], num[24];
        size_t nlen;
        const char *digits = dp_i64_to_str((int64_t)n, num, &nlen);
        memcpy(body, "{\"accepted\":", 12);
        memcpy(body + 12, digits, nlen);
        body[12 + nlen] = '}';
        dp_req_respond(req, 202, "application/json", NULL, body, 13 + nlen);
    }
}

static void respond_unavailable(dp_ingest *in, dp_reject why, const char *msg)
{
    dp_metrics_reject(&in->srv->metrics, why, in->batch.nevents);
    if (in->req) {
        dp_req_error(in->req, 503, msg);
    }
}

static void on_spooled(void *ud, int status)
{
    dp_ingest *in = ud;
    if (status == 0) {
        in->srv->metrics.events_spooled += in->batch.nevents;
        respond_ok(in);
    } else {
        respond_unavailable(in, DP_REJECT_UNAVAILABLE,
                            status == -ENOSPC ? "events could not be made durable (spool disk "
                                                "full); retry later"
                                              : "events could not be made durable (spool write "
                                                "failed); retry later");
    }
    ingest_free(in);
}

/* Redis could not take the batch: the spool must, as an entry of its own
 * (a version 3 entry of one batch: text is its lines). */
static void spool_lines(dp_ingest *in, const char *text, size_t len)
{
    dp_buf payload;
    dp_buf_init(&payload, DP_SPOOL_RECORD_MAX);
    char head[DP_XGROUP_HEAD_MAX], stream[32];
    dp_key_stream(stream, sizeof(stream), in->shard);
    size_t hl = dp_xgroup_head(head, stream, 1, in->batch.nevents, len);
    size_t mark;
    int rc = dp_spool_payload_begin(&payload, &mark);
    if (rc == 0) rc = dp_buf_append(&payload, head, hl);
    if (rc == 0) rc = dp_buf_append(&payload, text, len);
    if (rc == 0) rc = dp_buf_append(&payload, "\r\n", 2);
    if (rc == 0) rc = dp_spool_payload_end(&payload, mark);
    if (rc == 0)
        rc = dp_spool_append(&in->srv->spool, payload.data, payload.len, 1, on_spooled, in);
    else
        rc = -E2BIG;
    dp_buf_free(&payload);
    if (rc == 0) return;
    if (rc == -ENOSPC)
        respond_unavailable(in, DP_REJECT_SPOOL_FULL,
                            "event store unavailable and the spool is full; retry later");
    else if (rc == -E2BIG)
        respond_unavailable(in, DP_REJECT_UNAVAILABLE, "batch too large to store");
    else
        respond_unavailable(in, DP_REJECT_UNAVAILABLE, "event store unavailable; retry later");
    ingest_free(in);
}

/* The answer for a batch that joined an XADD (xadd_group.h): in Redis, or
 * to the spool (all of it: duplicates of what got in are counted once). */
void dp__ingest_stored(void *member, int status, const char *text, size_t len)
{
    dp_ingest *in = member;
    if (status != 0) {
        spool_lines(in, text, len);
        return;
    }
    respond_ok(in);
    ingest_free(in);
}

/* The longest line one event can make: four numbers (20 characters at
 * most), three identifiers, the type and the separators. */
#define EVENT_LINE_MAX (4 * 20 + 3 * DP_ID_MAX + 8 + 8)

static char *put_num(char *w, int64_t n)
{
    char tmp[24];
    size_t len;
    const char *p = dp_i64_to_str(n, tmp, &len);
    memcpy(w, p, len);
    return w + len;
}

static char *put_str(char *w, const char *s)
{
    size_t len = strlen(s);
    memcpy(w, s, len);
    return w + len;
}

/* The batch's events as the entry's "events" lines (event.h), into o: room
 * for the longest lines made once, then written without a check per
 * piece. */
static int events_text(const dp_batch *b, dp_buf *o)
{
    if (dp_buf_reserve(o, b->nevents * EVENT_LINE_MAX) != 0) return -E2BIG;
    char *w = o->data + o->len;
    for (size_t i = 0; i < b->nevents; i++) {
        const dp_event *ev = &b->events[i];
        if (i) *w++ = '\n';
        w = put_num(w, ev->seq);
        *w++ = ' ';
        w = put_str(w, dp_event_type_names[ev->type]);
        *w++ = ' ';
        w = put_num(w, ev->at);
        switch (ev->type) {
        case DP_EV_OPEN:
            if (ev->slides) {
                *w++ = ' ';
                w = put_num(w, ev->slides);
            }
            break;
        case DP_EV_VIEW:
        case DP_EV_DWELL:
        case DP_EV_ACTION:
            *w++ = ' ';
            w = put_str(w, ev->material);
            *w++ = ' ';
            w = put_str(w, ev->slide);
            *w++ = ' ';
            w = put_num(w, ev->version);
            *w++ = ' ';
            if (ev->type == DP_EV_VIEW) w = put_num(w, ev->index);
            if (ev->type == DP_EV_DWELL) w = put_num(w, ev->ms);
            if (ev->type == DP_EV_ACTION) w = put_str(w, ev->name);
            break;
        default:
            break;
        }
    }
    o->len = (size_t)(w - o->data);
    return 0;
}

/* The longest head line: two numbers, seven identifiers, the viewer, the
 * source, the mode and the separators. */
#define HEAD_LINE_MAX (2 * 20 + 7 * DP_ID_MAX + 40 + 8 + 8 + 16)

/* The batch's lines in a version 3 entry (event.h): its head line, then
 * its events, appended to o. */
static int write_lines(void *ud, dp_buf *o)
{
    dp_ingest *in = ud;
    const dp_batch *b = &in->batch;
    if (dp_buf_reserve(o, HEAD_LINE_MAX) != 0) return -E2BIG;
    char *w = o->data + o->len;
    w = put_num(w, in->received);
    *w++ = ' ';
    w = put_str(w, in->source);
    *w++ = ' ';
    w = put_str(w, b->session);
    *w++ = ' ';
    w = put_str(w, dp_mode_names[b->mode]);
    *w++ = ' ';
    w = put_str(w, in->presentation);
    *w++ = ' ';
    w = put_str(w, in->viewer);
    *w++ = ' ';
    if (in->has_link) {
        w = put_str(w, in->link.prospect);
        *w++ = ' ';
        w = put_str(w, in->link.account);
        *w++ = ' ';
        w = put_str(w, in->link.campaign);
        *w++ = ' ';
        w = put_str(w, in->link.owner);
        *w++ = ' ';
    } else {
        w = put_str(w, "    ");
    }
    w = put_num(w, (int64_t)b->nevents);
    *w++ = '\n';
    o->len = (size_t)(w - o->data);
    return events_text(b, o);
}

static int redis_up(const dp_ingest_ctx *s)
{
    return s->redis && s->redis->state == DP_REDIS_UP && !s->redis->closing;
}

/* Straight to the spool when Redis is not up (or the XADD refused it). */
static void spool_batch(dp_ingest *in)
{
    dp_buf *text = &in->srv->resp; /* scratch: spool_lines copies it */
    dp_buf_reset(text);
    if (write_lines(in, text) != 0) {
        respond_unavailable(in, DP_REJECT_UNAVAILABLE, "batch too large to store");
        ingest_free(in);
        return;
    }
    spool_lines(in, text->data, text->len);
    dp_buf_reset(text);
}

/* The batch joins its shard's XADD of this loop iteration if Redis is up,
 * else goes to the spool. */
static void dispatch(dp_ingest *in)
{
    dp_ingest_ctx *s = in->srv;
    if (redis_up(s) && dp_xgroup_add(&s->xgroups, in->shard, in, (uint32_t)in->batch.nevents,
                                     write_lines, in) == 0)
        return;
    spool_batch(in);
}

/* The part of a client address that names its network: an IPv4 address
 * whole, the /64 prefix of an IPv6 one (what one home or office is given,
 * so rotating addresses inside it is one viewer), an IPv4-mapped one as
 * IPv4. Bytes into out (16), their count; the text itself if unparsable. */
static size_t network_of(const char *peer, unsigned char out[16])
{
    unsigned char a6[16];
    if (inet_pton(AF_INET, peer, out) == 1) return 4;
    if (inet_pton(AF_INET6, peer, a6) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
            memcpy(out, a6 + 12, 4);
            return 4;
        }
        memcpy(out, a6, 8);
        return 8;
    }
    size_t n = strnlen(peer, 16);
    memcpy(out, peer, n);
    return n;
}

static void make_viewer(dp_ingest *in)
{
    /* Keyed hash under today's salt, so the same viewer is the same id for
     * a day and the address is never stored. A link's viewer is a browser
     * (address, user agent, presentation): two of them on one link is a
     * forwarded link. An anonymous viewer is a network (address or IPv6
     * /64, presentation) without the user agent, which anyone can change
     * at will to count again (README, "What one link or page can do"). */
    crypto_auth_hmacsha256_state st;
    unsigned char h[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, in->srv->salt, sizeof(in->srv->salt));
    if (in->has_link) {
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)in->peer, strlen(in->peer) + 1);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)in->ua, strlen(in->ua) + 1);
    } else {
        unsigned char net[16];
        size_t n = network_of(in->peer, net);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)"net", 4);
        crypto_auth_hmacsha256_update(&st, net, n);
        sodium_memzero(net, sizeof(net));
    }
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)in->presentation,
                                  strlen(in->presentation));
    crypto_auth_hmacsha256_final(&st, h);
    memcpy(in->viewer, "a:", 2);
    sodium_bin2hex(in->viewer + 2, sizeof(in->viewer) - 2, h, 16);
    sodium_memzero(in->peer, sizeof(in->peer));
}

/* Today's salt when Redis cannot give the shared one: the one this server
 * last had for today (salt.h), else a new one, offered to Redis with SET NX
 * once it is back. Only viewers hashed with a new one while another server
 * hashes the same browser with the shared salt count twice that day. */
static void local_salt(dp_ingest_ctx *s, const char *today)
{
    if (s->have_salt && strcmp(today, s->salt_day) == 0) return;
    if (dp_salt_load(s->cfg->data_dir, today, s->salt) != 0) {
        randombytes_buf(s->salt, sizeof(s->salt));
        if (dp_salt_store(s->cfg->data_dir, today, s->salt) != 0)
            dp_warn("ingest: could not keep today's salt in data_dir/salt");
        dp_salt_prune(s->cfg->data_dir, today);
    }
    snprintf(s->salt_day, sizeof(s->salt_day), "%s", today);
    s->have_salt = 1;
    s->salt_local = 1;
    s->salt_gen++;
}

static void on_salt(dp_redis *r, redisReply *reply, void *priv)
{
    dp_ingest *in = priv;
    dp_ingest_ctx *s = in->srv;
    (void)r;
    unsigned char salt[32];
    size_t got = 0;
    char today[11];
    dp_day(in->received, today);
    if (reply == NULL || reply->type != REDIS_REPLY_STRING ||
        sodium_hex2bin(salt, sizeof(salt), reply->str, reply->len, NULL, &got, NULL) != 0 ||
        got != sizeof(salt)) {
        local_salt(s, today);
    } else {
        int changed = !s->have_salt || strcmp(today, s->salt_day) != 0 ||
                      sodium_memcmp(s->salt, salt, sizeof(salt)) != 0;
        memcpy(s->salt, salt, sizeof(salt));
        snprintf(s->salt_day, sizeof(s->salt_day), "%s", today);
        s->have_salt = 1;
        s->salt_local = 0;
        if (changed) s->salt_gen++;
        if (changed) {
            /* a restart during an outage hashes as before; old days go */
            if (dp_salt_store(s->cfg->data_dir, today, salt) != 0)
                dp_warn("ingest: could not keep today's salt in data_dir/salt");
            dp_salt_prune(s->cfg->data_dir, today);
        }
        sodium_memzero(salt, sizeof(salt));
    }
    make_viewer(in);
    dispatch(in);
}

static void on_salt_set(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    (void)reply;
    (void)priv; /* NX: whichever server set it first wins; the GET that follows reads it */
}

/* Offers our salt for today (a local one made during an outage, or a new
 * one) with SET NX, then reads whichever is there. */
static int fetch_salt(dp_ingest *in, const char *today)
{
    dp_ingest_ctx *s = in->srv;
    char key[32], hex[65];
    unsigned char fresh[32];
    dp_key_salt(key, sizeof(key), today);
    if (s->have_salt && s->salt_local && strcmp(today, s->salt_day) == 0)
        memcpy(fresh, s->salt, sizeof(fresh));
    else
        randombytes_buf(fresh, sizeof(fresh));
    sodium_bin2hex(hex, sizeof(hex), fresh, sizeof(fresh));
    sodium_memzero(fresh, sizeof(fresh));
    const char *set[] = {"SET", key, hex, "NX", "EX", DP_SALT_TTL_S};
    const char *get[] = {"GET", key};
    size_t setl[] = {3, strlen(key), 64, 2, 2, sizeof(DP_SALT_TTL_S) - 1};
    size_t getl[] = {3, strlen(key)};
    if (dp_redis_command(s->redis, on_salt_set, NULL, 6, set, setl) != 0) return -EAGAIN;
    return dp_redis_command(s->redis, on_salt, in, 2, get, getl);
}

/* Every event carries a viewer id (distinct browsers: anonymous viewers,
 * forwarded links), which needs today's salt first. */
/* What the viewer hash is made of, kept in the ingest (it may outlive c). */
static void take_client(dp_ingest *in, const dp_req *req, const char *ua, size_t ualen)
{
    in->ua = dp_strndup(ua, ualen);
    snprintf(in->peer, sizeof(in->peer), "%s", req->peer);
}

/* The viewer id last made on a connection (its slot, req.h): the same
 * user agent and presentation under the same salt make the same one, so a
 * keep-alive connection hashes once, not per request. */
typedef struct viewer_cache {
    char *ua;
    size_t ualen;
    uint64_t salt_gen;
    int link; /* made for a link's batch (a browser) or an anonymous one (a network) */
    char pres[72];
    char viewer[40];
} viewer_cache;

static void viewer_cache_free(void *p)
{
    viewer_cache *vc = p;
    dp_free(vc->ua);
    dp_free(vc);
}

static const viewer_cache *cache_of(dp_req *req)
{
    dp_req_slot *slot = dp_req_slot_of(req);
    return slot && slot->free_fn == viewer_cache_free ? slot->data : NULL;
}

/* The viewer id this connection made last, if it is the same user agent,
 * presentation, kind (link or anonymous) and salt: 1, in->viewer set; else 0. */
static int viewer_from_conn(dp_ingest *in, dp_req *req, const char *ua, size_t ualen)
{
    const viewer_cache *vc = cache_of(req);
    if (vc == NULL || vc->salt_gen != in->srv->salt_gen || vc->link != in->has_link ||
        vc->ualen != ualen || memcmp(vc->ua, ua, ualen) != 0 ||
        strcmp(vc->pres, in->presentation) != 0)
        return 0;
    memcpy(in->viewer, vc->viewer, sizeof(in->viewer));
    return 1;
}

static void viewer_to_conn(const dp_ingest *in, dp_req *req, const char *ua, size_t ualen)
{
    dp_req_slot *slot = dp_req_slot_of(req);
    if (slot == NULL) return;
    viewer_cache *vc = (viewer_cache *)cache_of(req);
    if (vc == NULL) {
        if (slot->data && slot->free_fn) slot->free_fn(slot->data);
        vc = dp_calloc(1, sizeof(*vc));
        slot->data = vc;
        slot->free_fn = viewer_cache_free;
    }
    dp_free(vc->ua);
    vc->ua = dp_strndup(ua, ualen);
    vc->ualen = ualen;
    snprintf(vc->pres, sizeof(vc->pres), "%s", in->presentation);
    memcpy(vc->viewer, in->viewer, sizeof(vc->viewer));
    vc->salt_gen = in->srv->salt_gen;
    vc->link = in->has_link;
}

static void start(dp_ingest *in, dp_req *req)
{
    dp_ingest_ctx *s = in->srv;
    size_t ualen;
    const char *ua = dp_http_req_header(req->http, "user-agent", &ualen);
    if (ua == NULL) {
        ua = "";
        ualen = 0;
    }
    in->shard = dp_shard_of(in->batch.session, strlen(in->batch.session), (unsigned)s->cfg->shards);
    char today[11];
    dp_day(in->received, today);
    int current = s->have_salt && strcmp(today, s->salt_day) == 0;
    if (current && (!s->salt_local || !redis_up(s))) {
        if (!viewer_from_conn(in, req, ua, ualen)) {
            take_client(in, req, ua, ualen);
            make_viewer(in);
            viewer_to_conn(in, req, ua, ualen);
        }
        dispatch(in);
        return;
    }
    /* the salt first, from Redis: the request may outlive its connection */
    take_client(in, req, ua, ualen);
    if (!redis_up(s) || fetch_salt(in, today) != 0) {
        local_salt(s, today);
        make_viewer(in);
        dispatch(in);
    }
}

static int content_type_ok(const dp_http_req *r)
{
    size_t n;
    const char *ct = dp_http_req_header(r, "content-type", &n);
    if (ct == NULL) return 0;
    const char *semi = memchr(ct, ';', n);
    if (semi) n = (size_t)(semi - ct);
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    return (n == 10 && !strncasecmp(ct, "text/plain", 10)) ||
           (n == 16 && !strncasecmp(ct, "application/json", 16));
}

/* A crawler, preview, mail scanner or prefetch: answered as if stored (so
 * it does not retry, and saying plainly that nothing was stored), counted by
 * reason in /metrics, not stored. A prefetch is any request the browser
 * marks so; by User-Agent (bots.h), crawlers, previews, mail scanners and
 * headless browsers always, and scripts (curl, HTTP libraries) unless the
 * batch has a valid link token: a script with a signed token is someone
 * trying deckpulse (README, "Try it with curl"). Pixel loads are screened
 * as batches without a token (mail scanners fetch every image).
 * 1 when the request has its answer. */
#define BOT_MSG                                                                                    \
    "not stored: the User-Agent is a crawler's, a link preview's, a mail scanner's or a "          \
    "headless browser's, or a script's without a link token (drop_bots)"
#define PREFETCH_MSG "not stored: a browser prefetch (drop_bots)"

static int dropped(dp_req *req, const char *why, int pixel)
{
    dp_ingest_ctx *s = req->ud;
    dp_metrics_reject(&s->metrics, strcmp(why, "bot") ? DP_REJECT_PREFETCH : DP_REJECT_BOT, 0);
    if (pixel) {
        dp_req_respond(req, 200, "image/gif", "Cache-Control: no-store\r\n", (const char *)gif,
                       sizeof(gif));
        return 1;
    }
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"accepted\":0,\"dropped\":\"%s\",\"message\":\"%s\"}",
                     why, strcmp(why, "bot") ? PREFETCH_MSG : BOT_MSG);
    dp_req_respond(req, 202, "application/json", NULL, body, (size_t)n);
    return 1;
}

static int prefetch(dp_req *req, int pixel)
{
    dp_ingest_ctx *s = req->ud;
    if (!s->cfg->drop_bots) return 0;
    const char *why = dp_bot_prefetch(req->http);
    return why ? dropped(req, why, pixel) : 0;
}

static int bot_agent(dp_req *req, int pixel, int with_token)
{
    dp_ingest_ctx *s = req->ud;
    if (!s->cfg->drop_bots) return 0;
    size_t n = 0;
    const char *ua = dp_http_req_header(req->http, "user-agent", &n);
    /* the user agent this connection's last stored batch came with passed
     * this screen then (the viewer cache keeps it) */
    const viewer_cache *vc = cache_of(req);
    if (ua && vc && vc->ualen == n && memcmp(vc->ua, ua, n) == 0) return 0;
    const char *why = dp_bot_agent(ua, n, with_token);
    return why ? dropped(req, why, pixel) : 0;
}

/* 429 with Retry-After when key's bucket has fewer than cost tokens:
 * requests (cost 1) before the body is read, events once it is. */
static int rate_limited_n(dp_req *req, dp_ratelimit *l, const char *key, size_t klen, dp_reject why,
                          size_t cost)
{
    if (l->rate <= 0) return 0; /* off: not even the clock read */
    uint64_t wait =
        dp_ratelimit_take_n(l, key, klen, uv_now(((dp_ingest_ctx *)req->ud)->loop), (double)cost);
    if (wait == 0) return 0;
    int events = l == &((dp_ingest_ctx *)req->ud)->rate_ip_events ||
                 l == &((dp_ingest_ctx *)req->ud)->rate_link_events;
    dp_metrics_reject(&((dp_ingest_ctx *)req->ud)->metrics, why, events ? cost : 0);
    char extra[48];
    snprintf(extra, sizeof(extra), "Retry-After: %llu\r\n",
             (unsigned long long)(wait + 999) / 1000);
    const char *body =
        why == DP_REJECT_RATE_IP
            ? (events ? "{\"error\":\"too many events from this address; slow down\"}"
                      : "{\"error\":\"too many requests from this address; slow down\"}")
            : (events ? "{\"error\":\"too many events for this link; slow down\"}"
                      : "{\"error\":\"too many batches for this link; slow down\"}");
    dp_req_respond(req, 429, "application/json", extra, body, strlen(body));
    return 1;
}

static int rate_limited(dp_req *req, dp_ratelimit *l, const char *key, size_t klen, dp_reject why)
{
    return rate_limited_n(req, l, key, klen, why, 1);
}

/* The event buckets of a decoded batch: its address's, then its link's
 * (token: NULL for an anonymous batch). */
static int events_limited(dp_req *req, const dp_ingest *in, const char *token)
{
    dp_ingest_ctx *s = req->ud;
    size_t n = in->batch.nevents;
    if (rate_limited_n(req, &s->rate_ip_events, req->peer, strlen(req->peer), DP_REJECT_RATE_IP, n))
        return 1;
    return token &&
           rate_limited_n(req, &s->rate_link_events, token, strlen(token), DP_REJECT_RATE_LINK, n);
}

/* RELIABILITY row 23, the stated rules for values that are well-formed but
 * implausible: a time more than a day ahead of ours is clamped to the
 * receive time (a wrong client clock); a dwell longer than max_dwell_ms is
 * clamped to it (a tab left open for hours is not attention); a view past
 * the slides announced by the same batch's open event is refused. Clamps
 * are counted in dp_events_clamped_total{field}. 0 or -EINVAL with err. */
static int plausible(dp_ingest *in, dp_err *err)
{
    dp_ingest_ctx *s = in->srv;
    dp_batch *b = &in->batch;
    int64_t slides = 0;
    for (size_t i = 0; i < b->nevents; i++)
        if (b->events[i].type == DP_EV_OPEN && b->events[i].slides) slides = b->events[i].slides;
    for (size_t i = 0; i < b->nevents; i++) {
        dp_event *ev = &b->events[i];
        if (ev->at > in->received + DP_AT_AHEAD_MAX) {
            ev->at = in->received;
            s->metrics.clamped_at++;
        }
        if (ev->type == DP_EV_DWELL && ev->ms > s->cfg->max_dwell_ms) {
            ev->ms = s->cfg->max_dwell_ms;
            s->metrics.clamped_ms++;
        }
        if (ev->type == DP_EV_VIEW && slides && ev->index >= slides)
            return dp_err_set(err, -EINVAL,
                              "events[%zu].index: %lld is past the %lld slides the open event "
                              "announced",
                              i, (long long)ev->index, (long long)slides);
    }
    return 0;
}

/* catalog_strict (closed.h): the events naming a slide a closed material
 * does not have are taken out of the batch, counted, the first one named. */
static void refuse_unknown_slides(dp_ingest *in)
{
    dp_ingest_ctx *s = in->srv;
    if (!s->closed.enabled) return;
    dp_closed_refresh(&s->closed, s->redis, 0);
    dp_batch *b = &in->batch;
    size_t kept = 0;
    for (size_t i = 0; i < b->nevents; i++) {
        dp_event *ev = &b->events[i];
        int names = ev->type == DP_EV_VIEW || ev->type == DP_EV_DWELL || ev->type == DP_EV_ACTION;
        if (names && dp_closed_refuses(&s->closed, ev->material, ev->slide, ev->version)) {
            if (in->refused++ == 0)
                snprintf(in->refused_why, sizeof(in->refused_why),
                         "events[%zu].slide: material %s has no slide %s version %lld in the "
                         "catalog (catalog_strict)",
                         i, ev->material, ev->slide, (long long)ev->version);
            continue;
        }
        if (kept != i) b->events[kept] = *ev;
        kept++;
    }
    b->nevents = kept;
    s->metrics.refused_catalog += in->refused;
}

/* Both ingest routes: prefetches answered and dropped, then the
 * per-address rate limit. 1 when the request has its answer. */
static int screened_out(dp_req *req, int pixel)
{
    return prefetch(req, pixel) || rate_limited(req, &((dp_ingest_ctx *)req->ud)->rate_ip,
                                                req->peer, strlen(req->peer), DP_REJECT_RATE_IP);
}

static void dp_route_events(dp_req *req)
{
    dp_ingest_ctx *s = req->ud;
    const dp_http_req *r = req->http;
    dp_err err;
    size_t olen;
    const char *origin = dp_http_req_header(r, "origin", &olen);
    if (origin && !dp_origin_allowed(s->cfg->allowed_origins, origin, olen)) {
        dp_metrics_reject(&s->metrics, DP_REJECT_ORIGIN, 0);
        dp_req_error(req, 403, "origin not allowed");
        return;
    }
    if (!content_type_ok(r)) {
        dp_metrics_reject(&s->metrics, DP_REJECT_MEDIA_TYPE, 0);
        dp_req_error(req, 415, "Content-Type: must be text/plain or application/json");
        return;
    }
    if (screened_out(req, 0)) return;
    dp_ingest *in = ingest_new(s, "beacon");
    int rc = dp_batch_decode(&in->batch, r->body.data ? r->body.data : "", r->body.len,
                             &s->batch_limits, &err);
    if (rc != 0) {
        dp_metrics_reject(&s->metrics, rc == -E2BIG ? DP_REJECT_TOO_LARGE : DP_REJECT_INVALID, 0);
        dp_req_error(req, rc == -E2BIG ? 413 : 400, err.msg);
        ingest_free(in);
        return;
    }
    dp_batch *b = &in->batch;
    in->received = dp_now_ms();
    if (plausible(in, &err) != 0) {
        dp_metrics_reject(&s->metrics, DP_REJECT_INVALID, b->nevents);
        dp_req_error(req, 400, err.msg);
        ingest_free(in);
        return;
    }
    if (b->token) {
        if (dp_token_verify_cached(s->auth->tokens, &s->auth->token_keys, b->token,
                                   strlen(b->token), in->received, &in->link, &err) != 0)
            goto unauthorized;
        if (b->presentation && strcmp(b->presentation, in->link.presentation) != 0) {
            dp_err_set(&err, -EACCES, "token: issued for another presentation");
            goto unauthorized;
        }
        in->has_link = 1;
        in->presentation = in->link.presentation;
        if (bot_agent(req, 0, 1)) {
            ingest_free(in);
            return;
        }
        if (rate_limited(req, &s->rate_link, b->token, strlen(b->token), DP_REJECT_RATE_LINK)) {
            ingest_free(in);
            return;
        }
    } else if (bot_agent(req, 0, 0)) {
        ingest_free(in);
        return;
    } else if (!s->cfg->allow_anonymous) {
        dp_err_set(&err, -EACCES, "token: required (anonymous reporting is off)");
        goto unauthorized;
    } else if (b->presentation == NULL) {
        dp_metrics_reject(&s->metrics, DP_REJECT_INVALID, b->nevents);
        dp_req_error(req, 400, "presentation: required without a token");
        ingest_free(in);
        return;
    } else {
        in->presentation = b->presentation;
    }
    if (events_limited(req, in, in->has_link ? b->token : NULL)) {
        ingest_free(in);
        return;
    }
    refuse_unknown_slides(in);
    in->req = req;
    if (b->nevents == 0) { /* every one refused: nothing to store */
        respond_refused(in);
        ingest_free(in);
        return;
    }
    dp_req_on_abort(req, detach, in);
    start(in, req);
    return;
unauthorized:
    dp_metrics_reject(&s->metrics, DP_REJECT_UNAUTHORIZED, b->nevents);
    dp_req_error(req, 401, err.msg);
    ingest_free(in);
}

static void dp_route_pixel(dp_req *req)
{
    dp_ingest_ctx *s = req->ud;
    const char *path, *q;
    size_t n, qn;
    dp_http_req_path(req->http, &path, &n, &q, &qn);
    char token[DP_TOKEN_MAX + 1];
    dp_err err;
    int rc = dp_http_query_get(q, qn, "token", token, sizeof(token));
    if (rc != 0) {
        dp_metrics_reject(&s->metrics, rc == -ENOENT ? DP_REJECT_UNAUTHORIZED : DP_REJECT_INVALID,
                          0);
        dp_req_error(req, rc == -ENOENT ? 401 : 400,
                     rc == -ENOENT ? "token: required" : "token: badly encoded or too long");
        return;
    }
    if (screened_out(req, 1) || bot_agent(req, 1, 0)) return;
    dp_ingest *in = ingest_new(s, "pixel");
    in->received = dp_now_ms();
    if (dp_token_verify_cached(s->auth->tokens, &s->auth->token_keys, token, strlen(token),
                               in->received, &in->link, &err) != 0) {
        dp_metrics_reject(&s->metrics, DP_REJECT_UNAUTHORIZED, 1);
        dp_req_error(req, 401, err.msg);
        ingest_free(in);
        return;
    }
    in->has_link = 1;
    in->presentation = in->link.presentation;
    /* A pixel load is a session of its own with one open event. */
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(in->pixel_session, "px-", 3);
    sodium_bin2hex(in->pixel_session + 3, sizeof(in->pixel_session) - 3, rnd, sizeof(rnd));
    in->pixel_event.type = DP_EV_OPEN;
    in->pixel_event.seq = 1;
    in->pixel_event.at = in->received;
    in->batch.session = in->pixel_session;
    in->batch.mode = DP_MODE_SELF;
    in->batch.events = &in->pixel_event;
    in->batch.nevents = 1;
    if (events_limited(req, in, token)) {
        ingest_free(in);
        return;
    }
    in->req = req;
    dp_req_on_abort(req, detach, in);
    start(in, req);
}

int dp_ingest_register(dp_router *rt, dp_ingest_ctx *s)
{
    const dp_route rows[] = {
        {DP_POST, "/v1/events", 0, dp_route_events, s, "events",
         "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
         "Access-Control-Allow-Headers: Content-Type, Content-Encoding\r\n"
         "Access-Control-Max-Age: 86400\r\n"},
        {DP_GET, "/v1/pixel.gif", 0, dp_route_pixel, s, "pixel", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (dp_router_add(rt, &rows[i]) != 0) return -E2BIG;
    return 0;
}

void dp_ingest_init(dp_ingest_ctx *g, uv_loop_t *loop, const dp_config *cfg, dp_auth *auth)
{
    g->loop = loop;
    g->cfg = cfg;
    g->auth = auth;
    g->batch_limits = (dp_batch_limits){.max_events = (size_t)cfg->max_events,
                                        .max_depth = (size_t)cfg->max_json_depth};
    dp_buf_init(&g->resp, 0);
    dp_ratelimit_init(&g->rate_ip, (double)cfg->rate_ip_per_s, (double)cfg->rate_ip_burst);
    dp_ratelimit_init(&g->rate_link, (double)cfg->rate_link_per_s, (double)cfg->rate_link_burst);
    dp_ratelimit_init(&g->rate_ip_events, (double)cfg->rate_ip_events_per_s,
                      (double)cfg->rate_ip_events_burst);
    dp_ratelimit_init(&g->rate_link_events, (double)cfg->rate_link_events_per_s,
                      (double)cfg->rate_link_events_burst);
    dp_closed_init(&g->closed, loop, cfg->catalog_strict);
}

void dp_ingest_free(dp_ingest_ctx *g)
{
    if (g->have_spool) dp_spool_free(&g->spool);
    g->have_spool = 0;
    if (g->have_xgroups) dp_xgroups_free(&g->xgroups);
    g->have_xgroups = 0;
    if (g->have_replay) dp_buf_free(&g->replay.buf);
    g->have_replay = 0;
    dp_buf_free(&g->resp);
    dp_ratelimit_free(&g->rate_ip);
    dp_ratelimit_free(&g->rate_link);
    dp_ratelimit_free(&g->rate_ip_events);
    dp_ratelimit_free(&g->rate_link_events);
    dp_closed_free(&g->closed);
}
