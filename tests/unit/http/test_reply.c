/* Report replies: ETags follow the content; gzip inflates back to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "reply.h"

static void test_etag(void **state)
{
    (void)state;
    char a[24], b[24], c[24];
    dp_etag("hello", 5, a);
    dp_etag("hello", 5, b);
    dp_etag("hellp", 5, c);
    assert_int_equal(strlen(a), 18);
    assert_int_equal(a[0], '"');
    assert_int_equal(a[17], '"');
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

static void test_gzip(void **state)
{
    (void)state;
    char in[20000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)("slide,views\r\n"[i % 13] + (i / 1000) % 3);
    dp_buf z;
    dp_buf_init(&z, 0);
    assert_int_equal(dp_gzip(in, sizeof(in), &z), 0);
    assert_true(z.len < sizeof(in) / 4);
    assert_int_equal((unsigned char)z.data[0], 0x1f); /* gzip magic */
    assert_int_equal((unsigned char)z.data[1], 0x8b);
    char out[sizeof(in) + 16];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    zs.next_in = (Bytef *)z.data;
    zs.avail_in = (uInt)z.len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = sizeof(out);
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, sizeof(in));
    assert_memory_equal(out, in, sizeof(in));
    inflateEnd(&zs);
    dp_buf_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_etag), cmocka_unit_test(test_gzip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
