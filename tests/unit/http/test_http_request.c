/* The request parser on every split of its input, and every ceiling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alloc.h"
#include "http_request.h"

static const dp_http_limits lim = {
    .max_header_bytes = 8192,
    .max_headers = 32,
    .max_url_bytes = 1024,
    .max_body_bytes = 4096,
    .max_decompressed_bytes = 16384,
};

typedef struct parsed {
    int rc;
    int status;
    char url[2048];
    char body[20000];
    size_t body_len;
    size_t consumed_total;
    int method;
    int keep_alive;
} parsed;

/* Feeds `data` in pieces of the given sizes (cycling), collecting the first
 * request. */
static parsed parse_split(const char *data, size_t len, const size_t *splits, size_t nsplits)
{
    parsed p;
    memset(&p, 0, sizeof(p));
    dp_http_req r;
    dp_http_req_init(&r, &lim, NULL, NULL);
    size_t pos = 0, k = 0;
    p.rc = DP_HTTP_MORE;
    while (pos < len && p.rc == DP_HTTP_MORE) {
        size_t n = splits[k++ % nsplits];
        if (n > len - pos) n = len - pos;
        size_t used = 0;
        p.rc = dp_http_req_feed(&r, data + pos, n, &used);
        if (p.rc != DP_HTTP_FAIL) assert_true(used <= n);
        if (p.rc == DP_HTTP_MORE) assert_int_equal(used, n);
        pos += used;
    }
    p.consumed_total = pos;
    p.status = r.status;
    if (p.rc == DP_HTTP_DONE) {
        size_t ul;
        const char *u = dp_http_req_url(&r, &ul);
        memcpy(p.url, u, ul);
        memcpy(p.body, r.body.data ? r.body.data : "", r.body.len);
        p.body_len = r.body.len;
        p.method = r.method;
        p.keep_alive = r.keep_alive;
    }
    dp_http_req_free(&r);
    return p;
}

static parsed parse_whole(const char *data)
{
    size_t len = strlen(data), s = len;
    return parse_split(data, len, &s, 1);
}

/* Every split of the input into two pieces, then one byte at a time: the
 * same request comes out. */
static void check_all_splits(const char *req, const char *url, const char *body, size_t body_len)
{
    size_t len = strlen(req);
    for (size_t cut = 1; cut <= len; cut++) {
        size_t splits[2] = {cut, len};
        parsed p = parse_split(req, len, splits, 2);
        assert_int_equal(p.rc, DP_HTTP_DONE);
        assert_string_equal(p.url, url);
        assert_int_equal(p.body_len, body_len);
        assert_memory_equal(p.body, body, body_len);
        assert_int_equal(p.consumed_total, len);
    }
    /* Every chunk size from 1 to N, as a client's writes might fall. */
    for (size_t chunk = 1; chunk <= len; chunk++) {
        parsed p = parse_split(req, len, &chunk, 1);
        assert_int_equal(p.rc, DP_HTTP_DONE);
        assert_string_equal(p.url, url);
        assert_int_equal(p.body_len, body_len);
        assert_memory_equal(p.body, body, body_len);
    }
}

static void test_get_every_split(void **state)
{
    (void)state;
    check_all_splits("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n",
                     "/healthz?x=1", "", 0);
}

static void test_post_content_length_every_split(void **state)
{
    (void)state;
    check_all_splits("POST /v1/events HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\n"
                     "Content-Length: 11\r\n\r\n{\"a\":12345}",
                     "/v1/events", "{\"a\":12345}", 11);
}

static void test_post_chunked_every_split(void **state)
{
    (void)state;
    check_all_splits("POST /v1/events HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
                     "/v1/events", "hello world", 11);
}

static void test_pipelined_two_requests(void **state)
{
    (void)state;
    const char *two = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /b HTTP/1.1\r\n\r\n";
    size_t len = strlen(two);
    for (size_t cut = 1; cut <= len; cut++) {
        dp_http_req r;
        dp_http_req_init(&r, &lim, NULL, NULL);
        size_t pos = 0, used;
        int rc = DP_HTTP_MORE, seen = 0;
        const char *urls[2] = {"/a", "/b"};
        while (pos < len) {
            size_t n = pos < cut ? cut - pos : len - pos;
            rc = dp_http_req_feed(&r, two + pos, n, &used);
            assert_int_not_equal(rc, DP_HTTP_FAIL);
            pos += used;
            if (rc == DP_HTTP_DONE) {
                size_t ul;
                const char *u = dp_http_req_url(&r, &ul);
                assert_int_equal(ul, 2);
                assert_memory_equal(u, urls[seen], 2);
                seen++;
                dp_http_req_reset(&r);
            }
        }
        assert_int_equal(seen, 2);
        dp_http_req_free(&r);
    }
}

static void test_keep_alive_flags(void **state)
{
    (void)state;
    assert_int_equal(parse_whole("GET / HTTP/1.1\r\n\r\n").keep_alive, 1);
    assert_int_equal(parse_whole("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive, 0);
    assert_int_equal(parse_whole("GET / HTTP/1.0\r\n\r\n").keep_alive, 0);
    assert_int_equal(parse_whole("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive, 1);
}

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = dp_malloc(hl + n + tl + 1);
    memcpy(s, head, hl);
    memset(s + hl, c, n);
    memcpy(s + hl + n, tail, tl + 1);
    return s;
}

static void expect_status(const char *req, int status)
{
    parsed p = parse_whole(req);
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, status);
    size_t one = 1;
    p = parse_split(req, strlen(req), &one, 1);
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, status);
}

static void test_ceilings(void **state)
{
    (void)state;
    /* 1 MB header line: 431 */
    char *big = repeat("GET / HTTP/1.1\r\nX-Big: ", 'a', 1 << 20, "\r\n\r\n");
    expect_status(big, 431);
    dp_free(big);
    /* 500 headers: 431 */
    char *many = dp_malloc(500 * 8 + 64);
    strcpy(many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 500; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    expect_status(many, 431);
    dp_free(many);
    /* 16 KB URL: 414 */
    char *url = repeat("GET /", 'u', 16384, " HTTP/1.1\r\n\r\n");
    expect_status(url, 414);
    dp_free(url);
    /* Body over the limit by Content-Length: refused at the head. */
    parsed p = parse_whole("POST / HTTP/1.1\r\nContent-Length: 4097\r\n\r\n");
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, 413);
    /* Body over the limit, chunked. */
    char *chunks = dp_malloc(8192);
    strcpy(chunks, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        strcat(chunks, "3e8\r\n");
        size_t l = strlen(chunks);
        memset(chunks + l, 'x', 1000);
        strcpy(chunks + l + 1000, "\r\n");
    }
    strcat(chunks, "0\r\n\r\n");
    expect_status(chunks, 413);
    dp_free(chunks);
}

static void test_smuggling(void **state)
{
    (void)state;
    expect_status("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "0\r\n\r\n",
                  400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
    expect_status("GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n", 400);  /* obs-fold */
    expect_status("GET / HTTP/1.1\nHost: a\n\n", 400);             /* bare LF */
    expect_status("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400); /* bare CR */
    expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "fffffffffffffffffffff\r\n",
                  400); /* chunk-size overflow */
    expect_status("GET / HTTP/2.0\r\n\r\n", 505);
    expect_status("GET / HTTP/1.2\r\n\r\n", 505);
    /* whitespace before the colon: framing only some parsers would see */
    expect_status(
        "GET /healthz HTTP/1.1\r\nContent-Length : 4\r\n\r\nXXXXGET /readyz HTTP/1.1\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx", 415);
    expect_status("GARBAGE\r\n\r\n", 400);
}

static void test_endless_chunk_extension(void **state)
{
    (void)state;
    char *ext = repeat("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;", 'e', 100000,
                       "\r\nhello\r\n0\r\n\r\n");
    parsed p = parse_whole(ext);
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, 400);
    dp_free(ext);
}

static size_t gzip_bytes(const char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_gzip_body(void **state)
{
    (void)state;
    const char *json = "{\"session\":\"s\",\"events\":[]}";
    unsigned char gz[256];
    size_t gl = gzip_bytes(json, strlen(json), gz, sizeof(gz));
    char req[512];
    int hl = snprintf(req, sizeof(req),
                      "POST /v1/events HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: %zu"
                      "\r\n\r\n",
                      gl);
    memcpy(req + hl, gz, gl);
    size_t len = (size_t)hl + gl;
    for (size_t cut = 1; cut <= len; cut++) {
        size_t splits[2] = {cut, len};
        parsed p = parse_split(req, len, splits, 2);
        assert_int_equal(p.rc, DP_HTTP_DONE);
        assert_int_equal(p.body_len, strlen(json));
        assert_memory_equal(p.body, json, strlen(json));
    }
    /* Bad CRC: 400 */
    req[len - 6] ^= 0x55;
    size_t s = len;
    parsed p = parse_split(req, len, &s, 1);
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, 400);
}

static void test_gzip_bomb(void **state)
{
    (void)state;
    size_t n = 1 << 20; /* 1 MiB of zeros inflates past the 16 KiB cap from ~1 KiB */
    char *zeros = dp_calloc(n, 1);
    unsigned char *gz = dp_malloc(8192);
    size_t gl = gzip_bytes(zeros, n, gz, 8192);
    assert_true(gl < 4096);
    char *req = dp_malloc(gl + 256);
    int hl = snprintf(
        req, 256, "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gl);
    memcpy(req + hl, gz, gl);
    size_t s = (size_t)hl + gl;
    parsed p = parse_split(req, s, &s, 1);
    assert_int_equal(p.rc, DP_HTTP_FAIL);
    assert_int_equal(p.status, 413);
    dp_free(req);
    dp_free(gz);
    dp_free(zeros);
}

static void test_query_get(void **state)
{
    (void)state;
    char out[32];
    const char *q = "a=1&token=ab%2Bc.d&x";
    assert_int_equal(dp_http_query_get(q, strlen(q), "token", out, sizeof(out)), 0);
    assert_string_equal(out, "ab+c.d");
    assert_int_equal(dp_http_query_get(q, strlen(q), "x", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(dp_http_query_get(q, strlen(q), "b", out, sizeof(out)), -ENOENT);
    assert_int_equal(dp_http_query_get("t=%zz", 5, "t", out, sizeof(out)), -EINVAL);
    assert_int_equal(dp_http_query_get("t=%2", 4, "t", out, sizeof(out)), -EINVAL);
    assert_int_equal(dp_http_query_get("t=%00", 5, "t", out, sizeof(out)), -EINVAL);
    assert_int_equal(dp_http_query_get("t=aaaa", 6, "t", out, 4), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_every_split),
        cmocka_unit_test(test_post_content_length_every_split),
        cmocka_unit_test(test_post_chunked_every_split),
        cmocka_unit_test(test_pipelined_two_requests),
        cmocka_unit_test(test_keep_alive_flags),
        cmocka_unit_test(test_ceilings),
        cmocka_unit_test(test_smuggling),
        cmocka_unit_test(test_endless_chunk_extension),
        cmocka_unit_test(test_gzip_body),
        cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_query_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
