/* One client connection: reads bytes into a fixed buffer, feeds them to
 * the request parser one request at a time (reading pauses while a request
 * is being answered, so pipelined requests are answered in order and a
 * connection never holds more than one request), writes the answer, and
 * enforces the header, body and keep-alive timeouts. */
#ifndef DP_CONN_H
#define DP_CONN_H

#include <uv.h>

#include "http.h"
#include "http_request.h"
#include "req.h"

typedef enum dp_conn_state {
    DP_CONN_IDLE = 0,  /* waiting for the first byte of a request */
    DP_CONN_HEAD,      /* receiving the head */
    DP_CONN_BODY,      /* receiving the body */
    DP_CONN_BUSY,      /* request complete, being answered */
    DP_CONN_WRITING,   /* answer being written */
    DP_CONN_DRAINING,  /* answered with close: reading and discarding briefly */
    DP_CONN_STREAMING, /* an event stream (GET /v1/live): written to until closed */
    DP_CONN_CLOSING
} dp_conn_state;

struct dp_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uint64_t deadline;     /* loop time (ms) the current timeout ends; 0: none */
    uint64_t timer_due;    /* when timer, if active, fires */
    uv_write_t wreq, creq; /* answer; 100 Continue */
    uv_shutdown_t sreq;
    dp_http *http;
    dp_conn *prev, *next;
    dp_conn_state state;
    int handles_open;
    int reading;

    dp_http_req req;
    /* Reads land in the server's shared buffer; bytes of pipelined requests
     * left over when a request completes, or that arrive while it is being
     * answered, are copied here: pend[ppos, plen). Reading stays on while a
     * request is answered (no epoll_ctl pair per request) until such bytes
     * come: then it stops, so a connection holds at most one read
     * (DP_READ_BUF) beyond its request. */
    char *pend;
    size_t ppos, plen;
    int peer_eof; /* the client half-closed while being answered: close after */
    size_t drained;

    dp_buf out;
    dp_body *shared; /* the answer's body when shared (body.h), held until written */
    size_t queued;   /* bytes of out counted in http->queued while being written */
    size_t wq_left;  /* bytes the write had left at the last check (stalls) */
    int close_after;
    int status;
    uint64_t started_ns;
    dp_req r;         /* what the handler sees of the current request (req.h) */
    dp_req_slot slot; /* the handlers' per-connection state */
    char peer[64];    /* client address: in memory only, for anonymous hashing */
};

/* Accepts one connection from h->listener. */
void dp_conn_accept(dp_http *h);
/* A stream's client that does not read (over this many bytes queued) is
 * dropped. */
#define DP_STREAM_QUEUE_MAX (1024 * 1024)
/* A client that reads nothing of an answer for this long is dropped (it
 * was only after body_timeout_ms, and each held its own copy meanwhile). */
#define DP_WRITE_STALL_MS 5000
/* c->out is freed after an answer when it grew past this: an idle
 * keep-alive connection does not keep a large answer's buffer. */
#define DP_CONN_OUT_KEEP (64 * 1024)
/* Closes idle connections and marks the others to close after their answer. */
void dp_conn_shutdown_all(dp_http *h);
void dp_conn_close(dp_conn *c);

#endif
