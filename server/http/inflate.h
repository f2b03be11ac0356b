/* Streaming gzip inflation under a ceiling: compressed bytes go in as they
 * arrive, inflated bytes are appended to a dp_buf whose max is the
 * decompressed cap, so a gzip bomb costs at most that cap. */
#ifndef DP_INFLATE_H
#define DP_INFLATE_H

#include <zlib.h>

#include "buf.h"

typedef struct dp_inflate {
    z_stream zs;
    int active; /* inflateInit2 succeeded */
    int ended;  /* Z_STREAM_END seen */
} dp_inflate;

int dp_inflate_init(dp_inflate *z);
/* 0; -E2BIG when the output would pass out->max; -EINVAL for a bad stream
 * (bad header, bad CRC, bytes after the end). */
int dp_inflate_feed(dp_inflate *z, const char *in, size_t n, dp_buf *out, dp_err *err);
/* 0 if the stream ended cleanly, -EINVAL if it was truncated. */
int dp_inflate_finish(dp_inflate *z, dp_err *err);
void dp_inflate_end(dp_inflate *z);

#endif
