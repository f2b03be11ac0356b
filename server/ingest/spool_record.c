/* The spool's record format: spool_record.h. */
#include "spool_record.h"

#include <string.h>
#include <zlib.h>

#define RECORD_MAGIC 0x52535044u /* "DPSR" read little-endian */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t checksum(const unsigned char *lencount, const char *payload, size_t len)
{
    uLong c = crc32(0L, lencount, 8);
    return (uint32_t)crc32(c, (const Bytef *)payload, (uInt)len);
}

int dp_spool_payload_add(dp_buf *payload, const char *cmd, size_t len)
{
    unsigned char n[4];
    if (len > DP_SPOOL_RECORD_MAX) return -E2BIG;
    put32(n, (uint32_t)len);
    int rc = dp_buf_append(payload, n, 4);
    return rc ? rc : dp_buf_append(payload, cmd, len);
}

int dp_spool_payload_begin(dp_buf *payload, size_t *mark)
{
    *mark = payload->len;
    return dp_buf_append(payload, "\0\0\0\0", 4);
}

int dp_spool_payload_end(dp_buf *payload, size_t mark)
{
    size_t n = payload->len - mark - 4;
    if (n > DP_SPOOL_RECORD_MAX) return -E2BIG;
    put32((unsigned char *)payload->data + mark, (uint32_t)n);
    return 0;
}

void dp_spool_record_header(unsigned char hdr[DP_SPOOL_HEADER], const char *payload, size_t len,
                            uint32_t count)
{
    put32(hdr, RECORD_MAGIC);
    put32(hdr + 4, (uint32_t)len);
    put32(hdr + 8, count);
    put32(hdr + 12, checksum(hdr + 4, payload, len));
}

int dp_spool_payload_next(const char *payload, size_t len, size_t *off, const char **cmd,
                          size_t *cmdlen)
{
    if (*off >= len || len - *off < 4) return -ENOENT;
    uint32_t n = get32(payload + *off);
    if (n > len - *off - 4) return -ENOENT;
    *cmd = payload + *off + 4;
    *cmdlen = n;
    *off += 4 + (size_t)n;
    return 0;
}

dp_spool_read dp_spool_record_next(const char *data, size_t n, size_t *off, const char **payload,
                                   size_t *len, uint32_t *count)
{
    size_t at = *off;
    if (at >= n) return DP_SPOOL_END;
    if (n - at < DP_SPOOL_HEADER) return DP_SPOOL_TORN;
    if (get32(data + at) != RECORD_MAGIC) return DP_SPOOL_CORRUPT;
    uint32_t plen = get32(data + at + 4), cnt = get32(data + at + 8);
    if (plen > DP_SPOOL_RECORD_MAX || cnt == 0 || (uint64_t)cnt * 4 > plen) return DP_SPOOL_CORRUPT;
    if (n - at - DP_SPOOL_HEADER < plen) return DP_SPOOL_TORN;
    const char *p = data + at + DP_SPOOL_HEADER;
    if (checksum((const unsigned char *)data + at + 4, p, plen) != get32(data + at + 12))
        return DP_SPOOL_CORRUPT;
    /* the framing inside must add up exactly to count commands */
    size_t o = 0, cl;
    const char *c;
    uint32_t seen = 0;
    while (dp_spool_payload_next(p, plen, &o, &c, &cl) == 0)
        seen++;
    if (seen != cnt || o != plen) return DP_SPOOL_CORRUPT;
    *payload = p;
    *len = plen;
    *count = cnt;
    *off = at + DP_SPOOL_HEADER + plen;
    return DP_SPOOL_RECORD;
}
