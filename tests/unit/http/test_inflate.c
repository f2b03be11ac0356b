/* gzip under a ceiling: exactly at the cap is fine, one byte past is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "alloc.h"
#include "inflate.h"

static size_t gz(const char *in, size_t n, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    deflateEnd(&zs);
    return cap - zs.avail_out;
}

static int run(const unsigned char *data, size_t n, size_t cap, size_t step, dp_buf *out)
{
    dp_inflate z;
    dp_err err;
    dp_buf_init(out, cap);
    assert_int_equal(dp_inflate_init(&z), 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += step)
        rc = dp_inflate_feed(&z, (const char *)data + i, n - i < step ? n - i : step, out, &err);
    if (rc == 0) rc = dp_inflate_finish(&z, &err);
    dp_inflate_end(&z);
    return rc;
}

static void test_caps(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = dp_malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)('a' + (i * 7) % 26);
    unsigned char *g = dp_malloc(n + 1024);
    size_t gl = gz(text, n, g, n + 1024);
    size_t steps[] = {1, 7, 4096, gl};
    for (size_t s = 0; s < 4; s++) {
        dp_buf out;
        assert_int_equal(run(g, gl, n, steps[s], &out), 0);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.data, text, n);
        dp_buf_free(&out);
        assert_int_equal(run(g, gl, n - 1, steps[s], &out), -E2BIG);
        assert_true(out.len <= n - 1);
        dp_buf_free(&out);
    }
    dp_free(g);
    dp_free(text);
}

static void test_bad_streams(void **state)
{
    (void)state;
    const char *msg = "hello hello hello";
    unsigned char g[128];
    size_t gl = gz(msg, strlen(msg), g, sizeof(g));
    dp_buf out;
    /* truncated */
    assert_int_equal(run(g, gl - 3, 1024, gl, &out), -EINVAL);
    dp_buf_free(&out);
    /* bad CRC */
    g[gl - 8] ^= 1;
    assert_int_equal(run(g, gl, 1024, gl, &out), -EINVAL);
    dp_buf_free(&out);
    g[gl - 8] ^= 1;
    /* trailing garbage after the stream */
    unsigned char g2[160];
    memcpy(g2, g, gl);
    memcpy(g2 + gl, "xyz", 3);
    assert_int_equal(run(g2, gl + 3, 1024, gl + 3, &out), -EINVAL);
    dp_buf_free(&out);
    /* not gzip at all */
    assert_int_equal(run((const unsigned char *)"{\"a\":1}", 7, 1024, 7, &out), -EINVAL);
    dp_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_bad_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
