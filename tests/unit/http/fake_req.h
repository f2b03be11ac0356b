/* An in-memory request for handler tests (like h2o's loopback
 * connection): the raw bytes go through the real request parser, the
 * handler answers through the same dp_req API as on a socket, and the
 * answer is kept here to be checked. */
#ifndef DP_FAKE_REQ_H
#define DP_FAKE_REQ_H

#include "buf.h"
#include "http_request.h"
#include "req.h"

typedef struct dp_fake_req {
    dp_req req;
    dp_http_req http;
    dp_http_limits lim;
    dp_req_slot slot;
    /* the answer */
    int responses; /* how many times io.respond was called (must be 1) */
    int status;
    char ctype[96];
    dp_buf headers; /* the extra header lines */
    dp_buf body;
    int streaming;
    dp_buf stream; /* what was written to a stream */
} dp_fake_req;

/* Parses raw (a whole request) into f; 0, or -1 if it is not one complete
 * request. peer is the client address the handler sees. */
int dp_fake_req_open(dp_fake_req *f, const char *raw, const char *peer);
/* The client goes away: on_abort runs if the handler left one; frees. */
void dp_fake_req_close(dp_fake_req *f);
/* A header line of the answer ("Allow"), its value into out; 0 or -1. */
int dp_fake_req_header(const dp_fake_req *f, const char *name, char *out, size_t n);

#endif
