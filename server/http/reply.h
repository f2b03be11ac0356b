/* Sending a report: a strong ETag over the content (If-None-Match answers
 * 304), gzip (zlib) when the client accepts it, Vary: Accept-Encoding. */
#ifndef DP_REPLY_H
#define DP_REPLY_H

#include <stddef.h>

#include "buf.h"
#include "report_cache.h"
#include "req.h"

/* ETag of body into out[24]: "\"" + 16 hex digits of BLAKE2b + "\"". */
void dp_etag(const char *body, size_t len, char out[24]);
/* gzip of in into out: 0 or -EIO. */
int dp_gzip(const char *in, size_t len, dp_buf *out);
void dp_reply(dp_req *req, int status, const char *ctype, const char *body, size_t len);
/* The same with more header lines (each ending in \r\n), or NULL. */
void dp_reply_with(dp_req *req, int status, const char *ctype, const char *body, size_t len,
                   const char *headers);
/* A cached answer: its ETag and gzip bytes are made once and kept with it. */
void dp_reply_cached(dp_req *req, dp_rcache *rc, dp_rcache_entry *e);
/* The same with another Cache-Control header line ("Cache-Control: …\r\n");
 * rc may be NULL for an entry that belongs to no cache (static files). */
void dp_reply_cached_with(dp_req *req, dp_rcache *rc, dp_rcache_entry *e, const char *cache);

#endif
