/* The other shards' reads, on their own nodes: rollup_peers.h. */
#include "rollup_peers.h"

#include <string.h>

#include "deckpulse/keys.h"
#include "redis_sync.h"

int dp__rollup_peers_apart(const batch *b)
{
    return b->peer != NULL && b->shards > 1 && b->shards <= DP_SHARDS_MAX;
}

static int append(redisContext *c, const char *cmd, const char *key, dp_err *err)
{
    const char *argv[] = {cmd, key};
    if (redisAppendCommandArgv(c, 2, argv, NULL) != REDIS_OK)
        return dp_err_set(err, -EIO, "redis: %s", c->errstr);
    return 0;
}

static redisReply *next(redisContext *c, dp_err *err)
{
    void *r = NULL;
    if (redisGetReply(c, &r) != REDIS_OK) {
        dp_err_set(err, -EIO, "redis: %s", c->errstr);
        return NULL;
    }
    redisReply *x = r;
    if (x->type == REDIS_REPLY_ERROR) {
        dp_err_set(err, -EIO, "rollup read of another shard: %.200s", x->str);
        freeReplyObject(x);
        return NULL;
    }
    return x;
}

int dp__rollup_read_peers(batch *b, dp_err *err)
{
    if (!dp__rollup_peers_apart(b) || (b->npvds == 0 && b->npcaps == 0)) return 0;
    redisContext *conn[DP_SHARDS_MAX] = {0};
    char key[512];
    int rc = 0;
    unsigned k;
    /* every request first (the shards of a node share its connection, in
     * order), then every answer */
    for (k = 0; k < b->shards && rc == 0; k++) {
        if (k == b->shard) continue;
        if ((conn[k] = b->peer(b->peer_ud, k, err)) == NULL) {
            rc = -EIO;
            break;
        }
        for (size_t i = 0; i < b->npvds && rc == 0; i++) {
            dp_key_pvf(key, sizeof(key), k, b->pvds[i].pres, b->pvds[i].day);
            rc = append(conn[k], "GET", key, err);
        }
        for (size_t i = 0; i < b->npcaps && rc == 0; i++) {
            dp_key_ptri(key, sizeof(key), k, b->pcaps[i].pres);
            rc = append(conn[k], "SCARD", key, err);
            dp_key_pact(key, sizeof(key), k, b->pcaps[i].pres);
            if (rc == 0) rc = append(conn[k], "SCARD", key, err);
        }
    }
    if (rc != 0) return rc; /* the session starts again: the connections too */
    for (k = 0; k < b->shards; k++) {
        if (k == b->shard) continue;
        for (size_t i = 0; i < b->npvds; i++) {
            pvd *p = &b->pvds[i];
            redisReply *r = next(conn[k], err);
            if (r == NULL) return -EIO;
            if (r->type == REDIS_REPLY_STRING && strcmp(r->str, p->viewers[0]) != 0)
                p->forwarded = 1;
            freeReplyObject(r);
        }
        for (size_t i = 0; i < b->npcaps; i++) {
            for (int j = 0; j < 2; j++) {
                redisReply *r = next(conn[k], err);
                if (r == NULL) return -EIO;
                if (r->type == REDIS_REPLY_INTEGER)
                    *(j == 0 ? &b->pcaps[i].ntri_known : &b->pcaps[i].nact_known) += r->integer;
                freeReplyObject(r);
            }
        }
    }
    return 0;
}
