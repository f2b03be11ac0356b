/* The spool's on-disk format, without any I/O (so it can be unit tested and
 * fuzzed on its own).
 *
 * A segment file starts with the 8 bytes "DPSPOOL1", then records:
 *
 *   u32 magic "DPSR" | u32 payload length | u32 command count | u32 CRC-32
 *   payload: count times (u32 length | one Redis command in RESP)
 *
 * all little-endian; the CRC (zlib's) covers length, count and payload. A
 * record is either whole and checked or it is not replayed: a crash while
 * appending leaves a short or mismatching tail, which the reader reports
 * instead of returning garbage. */
#ifndef DP_SPOOL_RECORD_H
#define DP_SPOOL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DP_SPOOL_FILE_MAGIC     "DPSPOOL1"
#define DP_SPOOL_FILE_MAGIC_LEN 8
#define DP_SPOOL_HEADER         16
/* No batch comes near this (max_events XADDs of bounded fields). */
#define DP_SPOOL_RECORD_MAX (64u << 20)

/* Appends one command (already in RESP) to a payload being built. */
int dp_spool_payload_add(dp_buf *payload, const char *cmd, size_t len);
/* The same, for a command written straight into the payload: begin
 * reserves its length field, end fills it in. */
int dp_spool_payload_begin(dp_buf *payload, size_t *mark);
int dp_spool_payload_end(dp_buf *payload, size_t mark);
/* Writes the 16-byte header of a record holding payload (count commands). */
void dp_spool_record_header(unsigned char hdr[DP_SPOOL_HEADER], const char *payload, size_t len,
                            uint32_t count);

typedef enum dp_spool_read {
    DP_SPOOL_RECORD = 0, /* a whole, checked record */
    DP_SPOOL_END,        /* clean end of the data */
    DP_SPOOL_TORN,       /* fewer bytes than a whole record: an interrupted append */
    DP_SPOOL_CORRUPT     /* bad magic, length, CRC or command framing */
} dp_spool_read;

/* Reads the record at data[*off]; on DP_SPOOL_RECORD sets the payload and
 * count and moves *off past it. */
dp_spool_read dp_spool_record_next(const char *data, size_t n, size_t *off, const char **payload,
                                   size_t *len, uint32_t *count);
/* Walks a checked payload: the command at *off, moving *off past it.
 * 0, or -ENOENT at the end. */
int dp_spool_payload_next(const char *payload, size_t len, size_t *off, const char **cmd,
                          size_t *cmdlen);

#endif
