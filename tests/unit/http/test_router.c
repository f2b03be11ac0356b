/* The route table and the handler API, through in-memory requests: which
 * handler a method and path reach (exact, prefix with its rest, ".csv"),
 * 404, 405 with Allow, OPTIONS preflight, the fallback rows, the counts
 * per route name and status; and a handler's answer (once only, errors,
 * Retry-After on 503, the abort callback, the per-connection slot). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fake_req.h"
#include "router.h"

static char called[64];
static char rest[64];
static int csv;

static void record(dp_req *r, const char *name)
{
    snprintf(called, sizeof(called), "%s", name);
    snprintf(rest, sizeof(rest), "%.*s", (int)r->rest_len, r->rest);
    csv = r->csv;
    dp_req_respond(r, 200, "text/plain", NULL, name, strlen(name));
}

static void h_events(dp_req *r)
{
    record(r, "events");
}
static void h_list(dp_req *r)
{
    record(r, "list");
}
static void h_one(dp_req *r)
{
    record(r, "one");
}
static void h_put(dp_req *r)
{
    record(r, "put");
}
static void h_files(dp_req *r)
{
    record(r, "files");
}

static void setup_router(dp_router *rt)
{
    dp_router_init(rt);
    const dp_route rows[] = {
        {DP_POST, "/v1/events", 0, h_events, NULL, "events", "Access-Control-Max-Age: 1\r\n"},
        {DP_GET, "/v1/things", DP_ROUTE_CSV, h_list, NULL, "report", NULL},
        {DP_GET, "/v1/things/", DP_ROUTE_PREFIX | DP_ROUTE_CSV, h_one, NULL, "report", NULL},
        {DP_PUT, "/v1/things/", DP_ROUTE_PREFIX, h_put, NULL, "catalog", NULL},
        {DP_GET, "/", DP_ROUTE_PREFIX | DP_ROUTE_FALLBACK, h_files, NULL, "other", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(dp_router_add(rt, &rows[i]), 0);
}

/* Sends raw through rt; the answer's status. */
static int dispatch(dp_router *rt, dp_fake_req *f, const char *raw)
{
    called[0] = rest[0] = '\0';
    csv = -1;
    assert_int_equal(dp_fake_req_open(f, raw, "192.0.2.1"), 0);
    dp_router_dispatch(rt, &f->req);
    assert_int_equal(f->responses, 1);
    dp_router_count(rt, f->req.route_ix, f->status);
    return f->status;
}

static void test_routes(void **state)
{
    (void)state;
    dp_router rt;
    setup_router(&rt);
    dp_fake_req f;
    assert_int_equal(dispatch(&rt, &f, "POST /v1/events HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
                     200);
    assert_string_equal(called, "events");
    assert_string_equal(f.req.route, "events");
    dp_fake_req_close(&f);

    assert_int_equal(dispatch(&rt, &f, "GET /v1/things.csv?x=1 HTTP/1.1\r\n\r\n"), 200);
    assert_string_equal(called, "list");
    assert_int_equal(csv, 1);
    dp_fake_req_close(&f);

    assert_int_equal(dispatch(&rt, &f, "HEAD /v1/things/abc HTTP/1.1\r\n\r\n"), 200);
    assert_string_equal(called, "one");
    assert_string_equal(rest, "abc");
    assert_int_equal(csv, 0);
    dp_fake_req_close(&f);

    assert_int_equal(dispatch(&rt, &f, "GET /v1/things/abc.csv HTTP/1.1\r\n\r\n"), 200);
    assert_string_equal(rest, "abc");
    assert_int_equal(csv, 1);
    dp_fake_req_close(&f);

    /* PUT takes the id as it is: no ".csv" on that row */
    assert_int_equal(dispatch(&rt, &f, "PUT /v1/things/abc.csv HTTP/1.1\r\n\r\n"), 200);
    assert_string_equal(called, "put");
    assert_string_equal(rest, "abc.csv");
    assert_string_equal(f.req.route, "catalog");
    dp_fake_req_close(&f);

    /* an empty rest is no match: the fallback has it */
    assert_int_equal(dispatch(&rt, &f, "GET /v1/things/ HTTP/1.1\r\n\r\n"), 200);
    assert_string_equal(called, "files");
    assert_string_equal(rest, "v1/things/");
    dp_fake_req_close(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    dp_router rt;
    setup_router(&rt);
    dp_fake_req f;
    char v[128];

    /* no row for the method: 405, Allow lists what the rows take */
    assert_int_equal(dispatch(&rt, &f, "DELETE /v1/things/x HTTP/1.1\r\n\r\n"), 405);
    assert_string_equal(called, "");
    assert_int_equal(dp_fake_req_header(&f, "Allow", v, sizeof(v)), 0);
    assert_string_equal(v, "GET, HEAD, PUT");
    assert_memory_equal(f.body.data, "{\"error\":\"use GET or PUT\"}", f.body.len);
    assert_string_equal(f.req.route, "report");
    dp_fake_req_close(&f);

    assert_int_equal(dispatch(&rt, &f, "GET /v1/events HTTP/1.1\r\n\r\n"), 405);
    assert_int_equal(dp_fake_req_header(&f, "Allow", v, sizeof(v)), 0);
    assert_string_equal(v, "POST, OPTIONS");
    dp_fake_req_close(&f);

    /* OPTIONS: the row's preflight headers, or 400 without an Origin */
    assert_int_equal(
        dispatch(&rt, &f, "OPTIONS /v1/events HTTP/1.1\r\nOrigin: https://a.example\r\n\r\n"), 204);
    assert_int_equal(dp_fake_req_header(&f, "Access-Control-Max-Age", v, sizeof(v)), 0);
    assert_string_equal(f.req.route, "preflight");
    dp_fake_req_close(&f);
    assert_int_equal(dispatch(&rt, &f, "OPTIONS /v1/events HTTP/1.1\r\n\r\n"), 400);
    assert_memory_equal(f.body.data, "{\"error\":\"preflight without Origin\"}", f.body.len);
    dp_fake_req_close(&f);
    /* a row without preflight: OPTIONS is not allowed */
    assert_int_equal(dispatch(&rt, &f, "OPTIONS /v1/things HTTP/1.1\r\nOrigin: x\r\n\r\n"), 405);
    dp_fake_req_close(&f);

    /* no row for the path: the fallback is GET only, so 404 */
    assert_int_equal(dispatch(&rt, &f, "POST /nowhere HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 404);
    assert_memory_equal(f.body.data, "{\"error\":\"no such route\"}", f.body.len);
    assert_string_equal(f.req.route, "other");
    dp_fake_req_close(&f);

    /* counted per route name and status */
    dp_buf out;
    dp_buf_init(&out, 0);
    assert_int_equal(dp_router_render(&rt, &out), 0);
    dp_buf_append(&out, "", 1);
    assert_non_null(
        strstr(out.data, "dp_http_requests_total{route=\"report\",status=\"405\"} 2\n"));
    assert_non_null(
        strstr(out.data, "dp_http_requests_total{route=\"events\",status=\"405\"} 1\n"));
    assert_non_null(
        strstr(out.data, "dp_http_requests_total{route=\"preflight\",status=\"204\"} 1\n"));
    assert_non_null(
        strstr(out.data, "dp_http_requests_total{route=\"preflight\",status=\"400\"} 1\n"));
    assert_non_null(strstr(out.data, "dp_http_requests_total{route=\"other\",status=\"404\"} 1\n"));
    dp_buf_free(&out);
}

static void test_takes(void **state)
{
    (void)state;
    dp_router rt;
    setup_router(&rt);
    assert_int_equal(dp_router_takes(&rt, HTTP_POST, "/v1/events", 10), 1);
    assert_int_equal(dp_router_takes(&rt, HTTP_PUT, "/v1/events", 10), 0);
    assert_int_equal(dp_router_takes(&rt, HTTP_PUT, "/v1/things/x", 12), 1);
    assert_int_equal(dp_router_takes(&rt, HTTP_POST, "/nowhere", 8), 0);
    assert_int_equal(dp_router_takes(&rt, HTTP_GET, "/nowhere", 8), 1); /* the fallback */
}

static void test_ceilings(void **state)
{
    (void)state;
    dp_router rt;
    dp_router_init(&rt);
    char names[DP_ROUTES_MAX + 1][16];
    int added = 0;
    for (int i = 0; i <= DP_ROUTES_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "n%d", i);
        dp_route row = {DP_GET, "/x", 0, h_list, NULL, names[i], NULL};
        if (dp_router_add(&rt, &row) == 0) added++;
    }
    /* "preflight" and "other" are names too */
    assert_int_equal(added, DP_ROUTE_NAMES_MAX - 2);
}

static int aborted;
static void on_abort(void *p)
{
    aborted += *(int *)p;
}

static void free_slot(void *p)
{
    (*(int *)p)++;
}

static void test_answers(void **state)
{
    (void)state;
    dp_fake_req f;
    assert_int_equal(dp_fake_req_open(&f, "GET /x HTTP/1.1\r\nX-A: 1\r\n\r\n", "192.0.2.1"), 0);
    size_t n;
    assert_memory_equal(dp_req_header(&f.req, "x-a", &n), "1", 1);
    assert_string_equal(f.req.peer, "192.0.2.1");
    dp_req_error(&f.req, 503, "later");
    assert_int_equal(f.status, 503);
    char v[32];
    assert_int_equal(dp_fake_req_header(&f, "Retry-After", v, sizeof(v)), 0);
    assert_string_equal(v, "7");
    /* once only */
    dp_req_respond(&f.req, 200, NULL, NULL, "", 0);
    assert_int_equal(f.responses, 1);
    assert_int_equal(f.status, 503);
    dp_fake_req_close(&f);

    /* the abort callback: run when the request goes away unanswered, not after an answer */
    int one = 1;
    aborted = 0;
    assert_int_equal(dp_fake_req_open(&f, "GET /x HTTP/1.1\r\n\r\n", "::1"), 0);
    dp_req_on_abort(&f.req, on_abort, &one);
    dp_fake_req_close(&f);
    assert_int_equal(aborted, 1);
    assert_int_equal(dp_fake_req_open(&f, "GET /x HTTP/1.1\r\n\r\n", "::1"), 0);
    dp_req_on_abort(&f.req, on_abort, &one);
    dp_req_respond(&f.req, 204, NULL, NULL, "", 0);
    dp_fake_req_close(&f);
    assert_int_equal(aborted, 1);
    /* a stream keeps it: its end is an abort */
    assert_int_equal(dp_fake_req_open(&f, "GET /x HTTP/1.1\r\n\r\n", "::1"), 0);
    dp_req_stream_begin(&f.req, "text/event-stream", NULL);
    dp_req_on_abort(&f.req, on_abort, &one);
    dp_req_stream_write(&f.req, "a", 1);
    dp_req_stream_write(&f.req, "b", 1);
    assert_memory_equal(f.stream.data, "ab", 2);
    dp_fake_req_close(&f);
    assert_int_equal(aborted, 2);

    /* the slot: kept with the connection, freed with it */
    int freed = 0;
    assert_int_equal(dp_fake_req_open(&f, "GET /x HTTP/1.1\r\n\r\n", "::1"), 0);
    dp_req_slot *slot = dp_req_slot_of(&f.req);
    assert_non_null(slot);
    slot->data = &freed;
    slot->free_fn = free_slot;
    dp_fake_req_close(&f);
    assert_int_equal(freed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_takes),   cmocka_unit_test(test_ceilings),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
