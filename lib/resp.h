/* Writing Redis commands in RESP directly: one buffer for a whole batch of
 * commands, no per-argument formatting inside hiredis (its sdscatfmt was the
 * largest single cost of ingest). */
#ifndef DP_RESP_H
#define DP_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends "*argc\r\n". */
int dp_resp_array(dp_buf *b, size_t argc);
/* Appends a whole command, argv[0..argc) of lens[0..argc) bytes: room
 * for all of it reserved once, then written without a check per piece.
 * 0, or -E2BIG past b's ceiling (b unchanged). */
int dp_resp_command(dp_buf *b, size_t argc, const char *const *argv, const size_t *lens);
/* Appends one bulk string argument. */
int dp_resp_arg(dp_buf *b, const char *s, size_t n);
int dp_resp_str(dp_buf *b, const char *s);
int dp_resp_int(dp_buf *b, int64_t v);

#endif
