/* PUT /v1/materials/{id} and POST /v1/catalog: the catalog, written to Redis
 * in one MULTI/EXEC (all materials of an import, or none). API key with role
 * marketing or admin. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deckpulse/keys.h"
#include "auth.h"
#include "alloc.h"
#include "deckpulse/event.h"
#include "catalog.h"
#include "resp.h"
#include "reports_routes.h"
#include "reports.h"

typedef struct catalog_op {
    dp_req *req;
    size_t outstanding;
    int failed;
    int exec_ok;
    size_t materials, slides;
} catalog_op;

static void detach(void *p)
{
    ((catalog_op *)p)->req = NULL;
}

static void on_reply(dp_redis *r, redisReply *reply, void *priv)
{
    catalog_op *op = priv;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) op->failed = 1;
    /* the last reply is EXEC's: an array when the transaction ran */
    if (--op->outstanding == 0) {
        op->exec_ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY;
        if (op->req) {
            dp_req *req = op->req;
            dp_req_on_abort(req, NULL, NULL);
            if (!op->exec_ok || op->failed) {
                dp_req_error(req, 503, "catalog could not be stored; retry later");
            } else {
                char body[96];
                int n = snprintf(body, sizeof(body), "{\"materials\":%zu,\"slides\":%zu}",
                                 op->materials, op->slides);
                dp_req_respond(req, 200, "application/json", NULL, body, (size_t)n);
            }
        }
        dp_free(op);
    }
}

/* 1 if the request carries a key allowed to edit the catalog (it answered
 * 401 or 403 otherwise). */
static int authorized(dp_req *req)
{
    return dp_req_authorize(req, ((dp_reports_ctx *)req->ud)->keys, DP_ROLE_MARKETING, 0,
                            "edit the catalog") != DP_ROLE_NONE;
}

static void store(dp_req *req, const dp_material *ms, size_t n)
{
    dp_reports_ctx *s = req->ud;
    if (s->redis == NULL || s->redis->state != DP_REDIS_UP) {
        dp_req_error(req, 503, "catalog store unavailable; retry later");
        return;
    }
    catalog_op *op = dp_calloc(1, sizeof(*op));
    op->req = req;
    op->materials = n;
    dp_req_on_abort(req, detach, op);
    dp_buf b;
    dp_buf_init(&b, 0);
    int sent = 0, queued = 0;
#define SEND()                                                                                     \
    do {                                                                                           \
        if (dp_redis_formatted(s->redis, on_reply, op, b.data, b.len) == 0)                        \
            queued++;                                                                              \
        else                                                                                       \
            sent = -1;                                                                             \
        dp_buf_reset(&b);                                                                          \
    } while (0)
    dp_resp_array(&b, 1);
    dp_resp_str(&b, "MULTI");
    SEND();
    for (size_t i = 0; i < n && sent == 0; i++) {
        char key[96];
        dp_key_catalog_material(key, sizeof(key), ms[i].id);
        char *slides = dp_material_slides_json(&ms[i]);
        dp_resp_array(&b, 2);
        dp_resp_str(&b, "DEL");
        dp_resp_str(&b, key);
        SEND();
        dp_resp_array(&b, 6);
        dp_resp_str(&b, "HSET");
        dp_resp_str(&b, key);
        dp_resp_str(&b, "title");
        dp_resp_str(&b, ms[i].title);
        dp_resp_str(&b, "slides");
        dp_resp_str(&b, slides);
        SEND();
        dp_resp_array(&b, 3);
        dp_resp_str(&b, "SADD");
        dp_resp_str(&b, DP_KEY_CATALOG);
        dp_resp_str(&b, ms[i].id);
        SEND();
        op->slides += ms[i].nslides;
        dp_free(slides);
    }
    if (sent == 0) {
        dp_resp_array(&b, 2);
        dp_resp_str(&b, "INCR");
        dp_resp_str(&b, DP_KEY_CATALOG_GEN);
        SEND();
    }
    dp_resp_array(&b, 1);
    dp_resp_str(&b, sent == 0 ? "EXEC" : "DISCARD");
    SEND();
#undef SEND
    dp_buf_free(&b);
    if (sent != 0) op->failed = 1;
    op->outstanding = (size_t)queued;
    if (queued == 0) {
        dp_req_on_abort(req, NULL, NULL);
        dp_free(op);
        dp_req_error(req, 503, "catalog store unavailable; retry later");
    }
}

void dp_route_material_put(dp_req *req)
{
    const char *id = req->rest;
    size_t idlen = req->rest_len;
    if (!authorized(req)) return;
    char sid[DP_ID_MAX + 1];
    if (!dp_id_valid(id, idlen)) {
        dp_req_error(req, 400, "material: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        return;
    }
    memcpy(sid, id, idlen);
    sid[idlen] = '\0';
    dp_material m;
    dp_err err;
    const dp_buf *body = &req->http->body;
    if (dp_material_from_json(&m, sid, body->data ? body->data : "", body->len, &err) != 0) {
        dp_req_error(req, 400, err.msg);
        return;
    }
    store(req, &m, 1);
    dp_material_free(&m);
}

void dp_route_catalog(dp_req *req)
{
    if (!authorized(req)) return;
    size_t n;
    const char *ct = dp_http_req_header(req->http, "content-type", &n);
    if (ct == NULL || n < 8 || strncasecmp(ct, "text/csv", 8) != 0) {
        dp_req_error(req, 415, "Content-Type: must be text/csv");
        return;
    }
    dp_catalog cat;
    dp_err err;
    const dp_buf *body = &req->http->body;
    int rc = dp_catalog_from_csv(&cat, body->data ? body->data : "", body->len, &err);
    if (rc != 0) {
        dp_req_error(req, rc == -E2BIG ? 413 : 400, err.msg);
        return;
    }
    store(req, cat.materials, cat.n);
    dp_catalog_free(&cat);
}
