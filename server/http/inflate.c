#include "inflate.h"

#include <string.h>

int dp_inflate_init(dp_inflate *z)
{
    memset(z, 0, sizeof(*z));
    /* 16 + MAX_WBITS: gzip wrapper only, CRC and length checked by zlib. */
    if (inflateInit2(&z->zs, 16 + MAX_WBITS) != Z_OK) return -EIO;
    z->active = 1;
    return 0;
}

int dp_inflate_feed(dp_inflate *z, const char *in, size_t n, dp_buf *out, dp_err *err)
{
    if (n == 0) return 0;
    if (z->ended) return dp_err_set(err, -EINVAL, "body: data after the end of the gzip stream");
    z->zs.next_in = (Bytef *)(uintptr_t)in;
    z->zs.avail_in = (uInt)n;
    while (z->zs.avail_in > 0) {
        size_t room = out->max - out->len;
        size_t want = room < 16384 ? room : 16384;
        unsigned char probe;
        if (want > 0) {
            if (dp_buf_reserve(out, want) != 0) goto too_big;
            z->zs.next_out = (Bytef *)out->data + out->len;
            z->zs.avail_out = (uInt)want;
        } else {
            /* Full: one more byte of output means the cap is crossed, but the
             * stream may still only have its trailer left. */
            z->zs.next_out = &probe;
            z->zs.avail_out = 1;
        }
        int rc = inflate(&z->zs, Z_NO_FLUSH);
        if (want == 0) {
            if (z->zs.avail_out == 0) goto too_big;
        } else {
            out->len += want - z->zs.avail_out;
            out->data[out->len] = '\0';
        }
        if (rc == Z_STREAM_END) {
            z->ended = 1;
            if (z->zs.avail_in > 0)
                return dp_err_set(err, -EINVAL, "body: data after the end of the gzip stream");
            return 0;
        }
        if (rc == Z_BUF_ERROR && z->zs.avail_out == 0) continue; /* needs more room */
        if (rc == Z_OK && z->zs.avail_in == 0) break;
        if (rc != Z_OK)
            return dp_err_set(err, -EINVAL, "body: invalid gzip data (%s)",
                              z->zs.msg ? z->zs.msg : "corrupt stream");
    }
    return 0;
too_big:
    return dp_err_set(err, -E2BIG, "body: inflates to more than max_decompressed_bytes (%zu)",
                      out->max);
}

int dp_inflate_finish(dp_inflate *z, dp_err *err)
{
    if (!z->ended) return dp_err_set(err, -EINVAL, "body: truncated gzip stream");
    return 0;
}

void dp_inflate_end(dp_inflate *z)
{
    if (z->active) inflateEnd(&z->zs);
    z->active = 0;
    z->ended = 0;
}
