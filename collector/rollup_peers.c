/* The other shards' reads, on their own nodes: rollup_peers.h. */
#include "rollup_peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "redis_sync.h"

#define CACHE_MAX   100000 /* entries of either kind, then it starts afresh */
#define COUNTS_MS   5000   /* other shards' counts reused this long... */
#define COUNTS_NEAR 0.8    /* ...unless a ceiling is this near */

/* What is known of the other shards (dp_rollup.peer_cache). */
struct dp_peer_cache {
    /* "<shard>|<presentation>|<day>" -> the shard's first browser that day:
     * written once (SET NX), so never read again */
    dp_strmap firsts;
    size_t nfirsts;
    /* presentation -> the other shards' slide and action counts, when read */
    dp_strmap counts;
    size_t ncounts;
};

typedef struct counts {
    long long tri, act;
    int64_t at_ms;
} counts;

static void cache_clear(dp_peer_cache *c)
{
    dp_strmap_free_values(&c->firsts);
    dp_strmap_free_values(&c->counts);
    dp_strmap_free(&c->firsts);
    dp_strmap_free(&c->counts);
    dp_strmap_init(&c->firsts);
    dp_strmap_init(&c->counts);
    c->nfirsts = c->ncounts = 0;
}

void dp_peer_cache_free(dp_peer_cache *c)
{
    if (c == NULL) return;
    dp_strmap_free_values(&c->firsts);
    dp_strmap_free_values(&c->counts);
    dp_strmap_free(&c->firsts);
    dp_strmap_free(&c->counts);
    dp_free(c);
}

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

static const char *first_key(batch *b, unsigned k, const pvd *p)
{
    snprintf(b->kbuf, sizeof(b->kbuf), "%u|%s|%s", k, p->pres, p->day);
    return b->kbuf;
}

/* The counts of another shard are needed now: none cached, too old, or a
 * ceiling near. */
static int need_counts(const batch *b, const pcap *p, const counts *c, int64_t now)
{
    if (c == NULL || now - c->at_ms >= COUNTS_MS) return 1;
    return (double)(c->tri + p->ntri_known + (long long)p->ntris) >=
               COUNTS_NEAR * (double)b->max_slides ||
           (double)(c->act + p->nact_known + (long long)p->nacts) >=
               COUNTS_NEAR * (double)b->max_actions;
}

int dp__rollup_read_peers(batch *b, dp_err *err)
{
    if (!dp__rollup_peers_apart(b) || (b->npvds == 0 && b->npcaps == 0)) return 0;
    dp_peer_cache *pc = *b->peer_cache;
    if (pc == NULL) {
        pc = *b->peer_cache = dp_calloc(1, sizeof(*pc));
        dp_strmap_init(&pc->firsts);
        dp_strmap_init(&pc->counts);
    }
    if (pc->nfirsts > CACHE_MAX || pc->ncounts > CACHE_MAX) cache_clear(pc);
    int64_t now = dp_now_ms();
    /* what must be read: first browsers not known yet (of presentations not
     * already forwarded), counts not fresh enough */
    unsigned char *ask_first = dp_calloc(b->npvds * b->shards + 1, 1);
    unsigned char *ask_counts = dp_calloc(b->npcaps + 1, 1);
    size_t asks = 0;
    for (size_t i = 0; i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        if (p->was_forwarded || p->forwarded) continue; /* nothing to learn */
        for (unsigned k = 0; k < b->shards; k++) {
            if (k == b->shard) continue;
            const char *key = first_key(b, k, p);
            const char *v = dp_strmap_get(&pc->firsts, key, strlen(key));
            if (v == NULL)
                ask_first[i * b->shards + k] = 1, asks++;
            else if (strcmp(v, p->viewers[0]) != 0)
                p->forwarded = 1;
        }
    }
    for (size_t i = 0; i < b->npcaps; i++) {
        pcap *p = &b->pcaps[i];
        counts *c = dp_strmap_get(&pc->counts, p->pres, strlen(p->pres));
        if (need_counts(b, p, c, now)) {
            ask_counts[i] = 1;
            asks++;
        } else {
            p->ntri_known += c->tri;
            p->nact_known += c->act;
        }
    }
    redisContext *conn[DP_SHARDS_MAX] = {0};
    char key[512];
    int rc = 0;
    /* every request first (the shards of a node share its connection, in
     * order), then every answer */
    for (unsigned k = 0; k < b->shards && rc == 0 && asks; k++) {
        if (k == b->shard) continue;
        int any = 0;
        for (size_t i = 0; i < b->npvds && !any; i++)
            any = ask_first[i * b->shards + k];
        for (size_t i = 0; i < b->npcaps && !any; i++)
            any = ask_counts[i];
        if (!any) continue;
        if ((conn[k] = b->peer(b->peer_ud, k, err)) == NULL) {
            rc = -EIO;
            break;
        }
        for (size_t i = 0; i < b->npvds && rc == 0; i++) {
            if (!ask_first[i * b->shards + k]) continue;
            dp_key_pvf(key, sizeof(key), k, b->pvds[i].pres, b->pvds[i].day);
            rc = append(conn[k], "GET", key, err);
        }
        for (size_t i = 0; i < b->npcaps && rc == 0; i++) {
            if (!ask_counts[i]) continue;
            dp_key_ptri(key, sizeof(key), k, b->pcaps[i].pres);
            rc = append(conn[k], "SCARD", key, err);
            dp_key_pact(key, sizeof(key), k, b->pcaps[i].pres);
            if (rc == 0) rc = append(conn[k], "SCARD", key, err);
        }
    }
    counts *fresh = dp_calloc(b->npcaps + 1, sizeof(counts));
    for (unsigned k = 0; k < b->shards && rc == 0; k++) {
        if (conn[k] == NULL) continue;
        for (size_t i = 0; i < b->npvds && rc == 0; i++) {
            if (!ask_first[i * b->shards + k]) continue;
            pvd *p = &b->pvds[i];
            redisReply *r = next(conn[k], err);
            if (r == NULL) {
                rc = -EIO;
                break;
            }
            if (r->type == REDIS_REPLY_STRING) {
                if (strcmp(r->str, p->viewers[0]) != 0) p->forwarded = 1;
                const char *ck = first_key(b, k, p);
                if (dp_strmap_get(&pc->firsts, ck, strlen(ck)) == NULL) {
                    dp_strmap_put(&pc->firsts, ck, strlen(ck), dp_strndup(r->str, r->len));
                    pc->nfirsts++;
                }
            }
            freeReplyObject(r);
        }
        for (size_t i = 0; i < b->npcaps && rc == 0; i++) {
            if (!ask_counts[i]) continue;
            for (int j = 0; j < 2 && rc == 0; j++) {
                redisReply *r = next(conn[k], err);
                if (r == NULL) {
                    rc = -EIO;
                    break;
                }
                if (r->type == REDIS_REPLY_INTEGER)
                    *(j == 0 ? &fresh[i].tri : &fresh[i].act) += r->integer;
                freeReplyObject(r);
            }
        }
    }
    for (size_t i = 0; i < b->npcaps && rc == 0; i++) {
        if (!ask_counts[i]) continue;
        pcap *p = &b->pcaps[i];
        p->ntri_known += fresh[i].tri;
        p->nact_known += fresh[i].act;
        counts *c = dp_strmap_get(&pc->counts, p->pres, strlen(p->pres));
        if (c == NULL) {
            c = dp_malloc(sizeof(*c));
            dp_strmap_put(&pc->counts, p->pres, strlen(p->pres), c);
            pc->ncounts++;
        }
        *c = (counts){fresh[i].tri, fresh[i].act, now};
    }
    dp_free(fresh);
    dp_free(ask_first);
    dp_free(ask_counts);
    return rc; /* -EIO: the session starts again, the connections too */
}
