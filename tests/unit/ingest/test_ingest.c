/* The ingest routes' screening, through in-memory requests and the route
 * table, without a socket or Redis: CORS, content type, crawlers and
 * prefetches, the per-address and per-link rate limits, validation and
 * tokens each give their exact answer and count their reason, before
 * anything is stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include <stdlib.h>
#include "fake_req.h"
#include "ingest.h"

#define SECRET "unit-test-secret-0123456789abcdef"

typedef struct fixture {
    uv_loop_t loop;
    dp_config cfg;
    dp_auth auth;
    dp_ingest_ctx ingest;
    dp_router rt;
} fixture;

static void set(fixture *f, const char *name, const char *value)
{
    dp_err err;
    assert_int_equal(dp_config_set(&f->cfg, name, value, "test", &err), 0);
}

static fixture *open_fixture(const char *rate_ip_burst, const char *anonymous)
{
    fixture *f = calloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    dp_config_init(&f->cfg);
    set(f, "allowed_origins", "https://deck.example");
    set(f, "rate_ip_burst", rate_ip_burst);
    set(f, "rate_ip_per_s", "1");
    set(f, "rate_link_burst", "2");
    set(f, "rate_link_per_s", "1");
    set(f, "allow_anonymous", anonymous);
    f->auth.secret = strdup(SECRET);
    f->auth.secret_len = strlen(SECRET);
    dp_token_keys_add(&f->auth.token_keys, f->auth.secret, f->auth.secret_len);
    f->auth.tokens = calloc(1, sizeof(*f->auth.tokens));
    dp_ingest_init(&f->ingest, &f->loop, &f->cfg, &f->auth);
    dp_router_init(&f->rt);
    assert_int_equal(dp_ingest_register(&f->rt, &f->ingest), 0);
    return f;
}

static void close_fixture(fixture *f)
{
    dp_ingest_free(&f->ingest);
    dp_token_cache_free(f->auth.tokens);
    free(f->auth.tokens);
    free(f->auth.secret);
    dp_config_free(&f->cfg);
    uv_loop_close(&f->loop);
    free(f);
}

/* POST /v1/events with these header lines and body: the answer's status,
 * its body into body[]. */
static int post(fixture *f, const char *headers, const char *json, char *body, size_t n)
{
    char raw[4096];
    snprintf(raw, sizeof(raw), "POST /v1/events HTTP/1.1\r\n%sContent-Length: %zu\r\n\r\n%s",
             headers, strlen(json), json);
    dp_fake_req r;
    assert_int_equal(dp_fake_req_open(&r, raw, "198.51.100.7"), 0);
    dp_router_dispatch(&f->rt, &r.req);
    assert_int_equal(r.responses, 1);
    snprintf(body, n, "%.*s", (int)r.body.len, r.body.data ? r.body.data : "");
    int status = r.status;
    dp_fake_req_close(&r);
    return status;
}

#define UA   "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0\r\n"
#define JSON "Content-Type: application/json\r\n"
#define VIEW                                                                                       \
    "{\"seq\":1,\"at\":1763800000000,\"type\":\"view\",\"material\":\"m\",\"slide\":\"s\","        \
    "\"index\":0}"

static char body[512];

static void test_screening(void **state)
{
    (void)state;
    fixture *f = open_fixture("100", "false");
    const char *ok = "{\"session\":\"s1\",\"presentation\":\"p\",\"events\":[" VIEW "]}";

    assert_int_equal(post(f, UA JSON "Origin: https://evil.example\r\n", ok, body, sizeof(body)),
                     403);
    assert_string_equal(body, "{\"error\":\"origin not allowed\"}");
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_ORIGIN], 1);

    assert_int_equal(post(f, UA "Content-Type: text/html\r\n", ok, body, sizeof(body)), 415);
    assert_string_equal(body,
                        "{\"error\":\"Content-Type: must be text/plain or application/json\"}");
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_MEDIA_TYPE], 1);

    /* a crawler and a prefetch: answered as stored, counted, not stored */
    assert_int_equal(post(f, "User-Agent: Googlebot/2.1\r\n" JSON, ok, body, sizeof(body)), 202);
    assert_string_equal(body, "{\"accepted\":0,\"dropped\":\"bot\",\"message\":\"not stored: the "
                              "User-Agent is a crawler's, a link preview's, a mail scanner's or a "
                              "headless browser's, or a script's without a link token "
                              "(drop_bots)\"}");
    assert_int_equal(post(f, JSON, ok, body, sizeof(body)), 202); /* no user agent: a bot */
    assert_int_equal(post(f, UA JSON "Sec-Purpose: prefetch\r\n", ok, body, sizeof(body)), 202);
    assert_string_equal(body, "{\"accepted\":0,\"dropped\":\"prefetch\",\"message\":\"not "
                              "stored: a browser prefetch (drop_bots)\"}");
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_BOT], 2);
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_PREFETCH], 1);

    /* validation: the decoder's message, the events counted when known */
    assert_int_equal(
        post(f, UA JSON "Origin: https://deck.example\r\n", "{\"session\":", body, sizeof(body)),
        400);
    assert_int_equal(
        post(f, UA JSON, "{\"session\":\"s1\",\"events\":[" VIEW "],\"x\":1}", body, sizeof(body)),
        400);
    assert_string_equal(body, "{\"error\":\"x: unknown field\"}");
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_INVALID], 2);

    /* tokens: required with anonymous reporting off, verified */
    assert_int_equal(post(f, UA JSON, ok, body, sizeof(body)), 401);
    assert_string_equal(body, "{\"error\":\"token: required (anonymous reporting is off)\"}");
    assert_int_equal(post(f, UA JSON,
                          "{\"session\":\"s1\",\"token\":\"dpt_nope\",\"events\":[" VIEW "]}", body,
                          sizeof(body)),
                     401);
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_UNAUTHORIZED], 2);
    assert_int_equal(f->ingest.metrics.events_rejected[DP_REJECT_UNAUTHORIZED], 2);
    /* nothing was accepted */
    assert_int_equal(f->ingest.metrics.batches_accepted, 0);
    close_fixture(f);
}

static void test_rate_limit(void **state)
{
    (void)state;
    fixture *f = open_fixture("3", "false");
    /* every screened request takes from the address's bucket (3), even
     * one refused later: the fourth is refused for the address */
    for (int i = 0; i < 3; i++)
        assert_int_equal(post(f, UA JSON, "[", body, sizeof(body)), 400);
    dp_fake_req r;
    assert_int_equal(
        dp_fake_req_open(&r, "POST /v1/events HTTP/1.1\r\n" UA JSON "Content-Length: 1\r\n\r\n[",
                         "198.51.100.7"),
        0);
    dp_router_dispatch(&f->rt, &r.req);
    assert_int_equal(r.status, 429);
    char v[32];
    assert_int_equal(dp_fake_req_header(&r, "Retry-After", v, sizeof(v)), 0);
    assert_string_equal(v, "1");
    assert_memory_equal(
        r.body.data, "{\"error\":\"too many requests from this address; slow down\"}", r.body.len);
    dp_fake_req_close(&r);
    /* another address has its own bucket */
    assert_int_equal(
        dp_fake_req_open(&r, "POST /v1/events HTTP/1.1\r\n" UA JSON "Content-Length: 1\r\n\r\n[",
                         "198.51.100.8"),
        0);
    dp_router_dispatch(&f->rt, &r.req);
    assert_int_equal(r.status, 400);
    dp_fake_req_close(&r);
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_RATE_IP], 1);
    close_fixture(f);
}

static void test_pixel(void **state)
{
    (void)state;
    fixture *f = open_fixture("100", "false");
    dp_fake_req r;
    assert_int_equal(dp_fake_req_open(&r, "GET /v1/pixel.gif HTTP/1.1\r\n" UA "\r\n", "::1"), 0);
    dp_router_dispatch(&f->rt, &r.req);
    assert_int_equal(r.status, 401);
    assert_memory_equal(r.body.data, "{\"error\":\"token: required\"}", r.body.len);
    dp_fake_req_close(&r);
    /* a mail scanner gets the image, and nothing is stored */
    assert_int_equal(
        dp_fake_req_open(&r, "GET /v1/pixel.gif?token=x HTTP/1.1\r\nUser-Agent: curl/8\r\n\r\n",
                         "::1"),
        0);
    dp_router_dispatch(&f->rt, &r.req);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "image/gif");
    dp_fake_req_close(&r);
    assert_int_equal(f->ingest.metrics.batches_rejected[DP_REJECT_BOT], 1);
    close_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screening),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_pixel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
