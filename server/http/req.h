/* The handler API: what a route's handler sees of a request and how it
 * answers. A handler gets a dp_req, never the connection: it reads the
 * method, path, query, headers, body and peer from it, answers through it
 * (at once or later, when Redis has answered), registers interest in the
 * request going away instead of writing connection fields, and may keep
 * state for the connection in one opaque slot. The transport (conn.c) or
 * an in-memory request in the unit tests (tests/unit/fake_req.h) supplies
 * the io that carries the answer. */
#ifndef DP_REQ_H
#define DP_REQ_H

#include <stddef.h>

#include "body.h"
#include "http_request.h"

typedef struct dp_req dp_req;
typedef void (*dp_handler)(dp_req *r);

/* How answers leave: a connection's, or a test's. */
typedef struct dp_req_io {
    void (*respond)(dp_req *r, int status, const char *ctype, const char *extra, const char *body,
                    size_t len);
    void (*stream_begin)(dp_req *r, const char *ctype, const char *extra);
    void (*stream_write)(dp_req *r, const char *data, size_t len);
    /* a shared body (body.h); NULL: respond is given a pointer to its bytes */
    void (*respond_shared)(dp_req *r, int status, const char *ctype, const char *extra,
                           dp_body *body);
} dp_req_io;

/* One opaque pointer a handler may keep with the connection (the ingest's
 * viewer cache), freed with it. */
typedef struct dp_req_slot {
    void *data;
    void (*free_fn)(void *data);
} dp_req_slot;

struct dp_req {
    /* what was asked: valid until the answer, or until on_abort */
    int method;       /* enum http_method */
    const char *path; /* before '?', not NUL-terminated */
    size_t path_len;
    const char *query; /* after '?' */
    size_t query_len;
    const char *rest; /* prefix routes: the path after the prefix (.csv removed) */
    size_t rest_len;
    int csv;                 /* the path ended in ".csv" on a route that allows it */
    const dp_http_req *http; /* headers and body */
    const char *peer;        /* client address, in memory only */
    void *ud;                /* the route's */
    const char *route;       /* the route's name: metrics and the access log */
    int route_ix;            /* its index among the router's names */
    int cors;      /* a route browsers call from decks: CORS headers for allowed origins */
    size_t events; /* events the request carried, for the access log */
    int key_ix;    /* the API key's index once authorized (auth), else -1: per-key limits */

    /* the transport's */
    const dp_req_io *io;
    void *io_ud;
    dp_req_slot *slot;
    void (*on_abort)(void *data);
    void *abort_data;
    int answered;
    const char *retry_after; /* "Retry-After: N\r\n" added to every 503 */
};

/* Header lookup (case-insensitive, first of that name), NULL if absent. */
const char *dp_req_header(const dp_req *r, const char *name, size_t *len);
/* The decoded body (gzip undone). */
const char *dp_req_body(const dp_req *r, size_t *len);
/* Answers once: later calls do nothing. `extra` is more header lines,
 * each ending in \r\n, or NULL. Clears on_abort. */
void dp_req_respond(dp_req *r, int status, const char *ctype, const char *extra, const char *body,
                    size_t len);
/* The same with a shared body: the transport takes a reference for as long
 * as it writes it, instead of a copy. */
void dp_req_respond_shared(dp_req *r, int status, const char *ctype, const char *extra,
                           dp_body *body);
/* {"error": msg} with that status (and Retry-After on 503). */
void dp_req_error(dp_req *r, int status, const char *msg);
/* The same with other header lines (WWW-Authenticate on a 401). */
void dp_req_error_with(dp_req *r, int status, const char *extra, const char *msg);
/* A 200 with no length that ends when the connection closes (Server-Sent
 * Events); then writes to it. The client's EOF, a client that does not read
 * or the server stopping ends it, and on_abort says so. 0, or -1 when there
 * is no stream: a HEAD request gets the head alone (answered). */
int dp_req_stream_begin(dp_req *r, const char *ctype, const char *extra);
void dp_req_stream_write(dp_req *r, const char *data, size_t len);
/* fn(data) runs if the request goes away before its answer (the client
 * closed), or when a stream ends; NULL clears it. */
void dp_req_on_abort(dp_req *r, void (*fn)(void *data), void *data);
/* The connection's slot (NULL if it has none: a test request). */
dp_req_slot *dp_req_slot_of(dp_req *r);

#endif
