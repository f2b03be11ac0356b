/* A growable byte buffer with a hard ceiling. Growth is geometric, so a
 * buffer never allocates more than twice what it holds, and never more than
 * its max: crossing the max is -E2BIG, not a bigger allocation. Buffers are
 * reset, not freed, between requests (lwan's strbuf). */
#ifndef DP_BUF_H
#define DP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"

typedef struct dp_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* ceiling on len; 0 means SIZE_MAX */
} dp_buf;

void dp_buf_init(dp_buf *b, size_t max);
void dp_buf_free(dp_buf *b);
void dp_buf_reset(dp_buf *b);
/* Makes room for n more bytes: 0 or -E2BIG. */
int dp_buf_reserve(dp_buf *b, size_t n);
int dp_buf_append(dp_buf *b, const void *p, size_t n);
int dp_buf_puts(dp_buf *b, const char *s);
int dp_buf_printf(dp_buf *b, const char *fmt, ...) DP_PRINTF(2, 3);
/* Appends s as the inside of a JSON string (no quotes), escaping as needed. */
int dp_buf_json_str(dp_buf *b, const char *s, size_t n);
/* Hands the storage to the caller (who frees it with dp_free) and resets b. */
char *dp_buf_steal(dp_buf *b, size_t *len);

#endif
