/* HTTP/1.1 request parsing: http-parser plus the ceilings and the
 * smuggling checks deckpulse needs. No I/O: bytes in, one request out.
 *
 * Bytes go in with dp_http_req_feed() in any split. It returns
 *   DP_HTTP_MORE  all bytes consumed, the request is not complete yet;
 *   DP_HTTP_DONE  one request is complete; *consumed says how many bytes it
 *                 used, the rest belongs to the next (pipelined) request;
 *   DP_HTTP_FAIL  the request is bad: r->status is the HTTP status to answer
 *                 (400, 413, 414, 415, 431, 505) and r->err.msg says why; the
 *                 connection must be closed after the answer.
 * dp_http_req_reset() readies the same object (and its buffers) for the next
 * request on the connection. Memory is bounded: the head by max_url_bytes +
 * max_header_bytes, the body by max_body_bytes (max_decompressed_bytes when
 * gzip), the header table by max_headers. */
#ifndef DP_HTTP_REQUEST_H
#define DP_HTTP_REQUEST_H

#include <http_parser.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "inflate.h"

typedef struct dp_http_limits {
    size_t max_header_bytes;
    size_t max_headers;
    size_t max_url_bytes;
    size_t max_body_bytes;
    size_t max_decompressed_bytes;
} dp_http_limits;

enum { DP_HTTP_MORE = 0, DP_HTTP_DONE = 1, DP_HTTP_FAIL = 2 };

typedef struct dp_http_hdr {
    uint32_t name_off, name_len, value_off, value_len;
} dp_http_hdr;

typedef struct dp_http_req dp_http_req;
/* Called once the head is complete and checked; returns 0 to go on with the
 * body, or an HTTP status (with r->err set) to refuse the request before it. */
typedef int (*dp_http_head_cb)(dp_http_req *r, void *ud);

struct dp_http_req {
    http_parser parser;
    dp_http_limits lim;
    dp_http_head_cb on_head;
    void *ud;

    /* head scanner (bare LF, obs-fold, sizes) */
    int phase; /* 0 request line, 1 headers, 2 body */
    int prev;  /* previous byte of the head */
    size_t line_len, head_bytes, nlines;

    /* storage: url and header names/values, copied as they arrive */
    dp_buf head;
    uint32_t url_off, url_len;
    dp_http_hdr *hdrs;
    size_t nhdrs;
    int last_cb_value;

    /* body, decoded */
    dp_buf body;
    dp_inflate inflate;
    int gzip;
    size_t raw_body;  /* body bytes as sent */
    size_t body_wire; /* bytes consumed after the head (body + chunk framing) */
    size_t nchunks;

    /* summary, valid from on_head on */
    int method; /* enum http_method */
    int keep_alive;
    int expect_continue;
    int head_done;
    int complete;

    int status; /* on DP_HTTP_FAIL */
    dp_err err;
};

void dp_http_req_init(dp_http_req *r, const dp_http_limits *lim, dp_http_head_cb on_head, void *ud);
void dp_http_req_reset(dp_http_req *r);
void dp_http_req_free(dp_http_req *r);
int dp_http_req_feed(dp_http_req *r, const char *data, size_t len, size_t *consumed);

/* Accessors, valid once the head is complete. */
const char *dp_http_req_url(const dp_http_req *r, size_t *len);
/* Case-insensitive lookup of the first header of that name, NULL if absent. */
const char *dp_http_req_header(const dp_http_req *r, const char *name, size_t *len);
/* The path part of the URL (before '?') and the raw query (after it). */
void dp_http_req_path(const dp_http_req *r, const char **path, size_t *path_len, const char **query,
                      size_t *query_len);

/* Finds a query parameter, percent-decoding it into out (NUL-terminated).
 * 0, -ENOENT if absent, -E2BIG if longer than outlen-1, -EINVAL if badly
 * encoded. */
int dp_http_query_get(const char *query, size_t qlen, const char *name, char *out, size_t outlen);

#endif
