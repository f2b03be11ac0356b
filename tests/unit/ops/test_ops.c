/* The ops handlers through in-memory requests: /healthz, /readyz without
 * Redis and while stopping, the Retry-After of a 503, and the route table's
 * answers for the beacon's paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fake_req.h"
#include "ops.h"

static int get(dp_router *rt, const char *path, dp_fake_req *f)
{
    char raw[256];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\n\r\n", path);
    assert_int_equal(dp_fake_req_open(f, raw, "::1"), 0);
    dp_router_dispatch(rt, &f->req);
    assert_int_equal(f->responses, 1);
    return f->status;
}

static void test_health(void **state)
{
    (void)state;
    dp_config cfg;
    dp_config_init(&cfg);
    int stopping = 0;
    dp_ops_ctx ops = {.cfg = &cfg, .redis = NULL, .stopping = &stopping};
    dp_router rt;
    dp_router_init(&rt);
    assert_int_equal(dp_ops_register(&rt, &ops), 0);
    dp_fake_req f;
    char v[64];

    assert_int_equal(get(&rt, "/healthz", &f), 200);
    assert_memory_equal(f.body.data, "{\"status\":\"ok\"}", f.body.len);
    dp_fake_req_close(&f);

    /* no Redis: not ready, and when to ask again */
    assert_int_equal(get(&rt, "/readyz", &f), 503);
    assert_memory_equal(f.body.data, "{\"status\":\"not ready\",\"redis\":\"down\"}", f.body.len);
    assert_int_equal(dp_fake_req_header(&f, "Retry-After", v, sizeof(v)), 0);
    assert_string_equal(v, "2"); /* retry_after_s */
    dp_fake_req_close(&f);

    stopping = 1;
    assert_int_equal(get(&rt, "/readyz", &f), 503);
    assert_memory_equal(
        f.body.data, "{\"status\":\"not ready\",\"redis\":\"down\",\"stopping\":true}", f.body.len);
    dp_fake_req_close(&f);

    /* the beacon: the current version, another one, a path that is none */
    assert_int_equal(get(&rt, "/beacon.js", &f), 200);
    assert_string_equal(f.ctype, "application/javascript; charset=utf-8");
    dp_fake_req_close(&f);
    char path[64];
    snprintf(path, sizeof(path), "/beacon.%s.js", dp_beacon_version());
    assert_int_equal(get(&rt, path, &f), 200);
    assert_int_equal(dp_fake_req_header(&f, "Cache-Control", v, sizeof(v)), 0);
    assert_string_equal(v, "public, max-age=31536000, immutable");
    dp_fake_req_close(&f);
    assert_int_equal(get(&rt, "/beacon.00000000.js", &f), 404);
    dp_fake_req_close(&f);
    assert_int_equal(get(&rt, "/beacon.x", &f), 404);
    assert_memory_equal(f.body.data, "{\"error\":\"no such route\"}", f.body.len);
    dp_fake_req_close(&f);
    dp_config_free(&cfg);
}

static void render(void *ud, dp_buf *out)
{
    (void)ud;
    dp_buf_puts(out, "dp_test 1\n");
}

static int get_with(dp_router *rt, const char *path, const char *auth, dp_fake_req *f)
{
    char raw[256];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\n%s%s%s\r\n", path, auth ? "Authorization: " : "",
             auth ? auth : "", auth ? "\r\n" : "");
    assert_int_equal(dp_fake_req_open(f, raw, "::1"), 0);
    dp_router_dispatch(rt, &f->req);
    assert_int_equal(f->responses, 1);
    return f->status;
}

static void test_metrics_token(void **state)
{
    (void)state;
    dp_config cfg;
    dp_config_init(&cfg);
    int stopping = 0;
    dp_ops_ctx ops = {.cfg = &cfg, .stopping = &stopping, .render = render};
    dp_router rt;
    dp_router_init(&rt);
    assert_int_equal(dp_ops_register(&rt, &ops), 0);
    dp_fake_req f;
    /* open without metrics_token */
    assert_int_equal(get_with(&rt, "/metrics", NULL, &f), 200);
    assert_memory_equal(f.body.data, "dp_test 1\n", f.body.len);
    dp_fake_req_close(&f);
    dp_err err;
    assert_int_equal(dp_config_set(&cfg, "metrics_token", "scrape-me-0123", "test", &err), 0);
    const char *refused[] = {NULL, "Bearer scrape-me-012", "Bearer scrape-me-01234",
                             "Basic scrape-me-0123", "Bearer SCRAPE-ME-0123"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(get_with(&rt, "/metrics", refused[i], &f), 401);
        char v[32];
        assert_int_equal(dp_fake_req_header(&f, "WWW-Authenticate", v, sizeof(v)), 0);
        assert_string_equal(v, "Bearer");
        dp_fake_req_close(&f);
    }
    assert_int_equal(get_with(&rt, "/metrics", "Bearer scrape-me-0123", &f), 200);
    assert_memory_equal(f.body.data, "dp_test 1\n", f.body.len);
    dp_fake_req_close(&f);
    /* health stays open: load balancers probe it */
    assert_int_equal(get_with(&rt, "/healthz", NULL, &f), 200);
    dp_fake_req_close(&f);
    dp_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_health),
                                       cmocka_unit_test(test_metrics_token)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
