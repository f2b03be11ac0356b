/* Applying a batch of events in the collector, exactly once and atomically
 * (the batch and its parts: rollup_batch.h):
 *
 *  1. read the state the batch depends on (rollup_state.c, and
 *     rollup_migrate.c for sessions an earlier collector wrote): each
 *     session's hash, which of its seqs were applied before, the first/last
 *     seen of its prospect and account; the session hashes and the seen
 *     ranges under WATCH (rollup_state.c says why that covers the rest);
 *  2. apply the events to that state (rollup_rules.c), gathering every
 *     write (rollup_ops.h: one HINCRBY per counter field, one SADD / PFADD /
 *     ZADD per key);
 *  3. send the writes and the XACK in one MULTI/EXEC (rollup_write.c, this
 *     file). If any watched key
 *     changed meanwhile (another collector, a sweep, an erasure) EXEC does
 *     nothing and the batch starts again from 1.
 *
 * A Lua script doing the same per event cost Redis ~30 us an event, most
 * of it in the interpreter (bench/RESULTS.md); here Redis runs a few plain
 * commands per event and the logic runs in C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deckpulse/keys.h"
#include "log.h"
#include "rollup_batch.h"
#include "rollup_caps.h"
#include "rollup_rules.h"
#include "rollup_state.h"
#include "rollup_write.h"

#define ATTEMPTS 8 /* EXECs refused because a watched key changed, then -EIO */

/* One attempt: 0, 1 (a watched key changed: try again), or an error. */
static int attempt(dp_rollup *ro, redisContext *rc, unsigned shard, const char *stream,
                   const char *group, const dp_entry *e, size_t n, dp_rollup_counts *counts,
                   dp_err *err)
{
    batch b;
    memset(&b, 0, sizeof(b));
    b.shard = shard;
    b.shards = ro->shards;
    b.peer = ro->peer;
    b.peer_ud = ro->peer_ud;
    b.peer_cache = &ro->peer_cache;
    b.max_slides = ro->max_slides;
    b.quiet_ms = ro->quiet_ms;
    b.max_actions = ro->max_actions;
    b.ops.zadd_keep = DP_TIMELINE_MAX; /* the only ZADDs: timelines, trimmed to that */
    dp_buf_init(&b.out, 0);
    dp_buf_init(&b.alerts, 0);
    const char **acks = dp_malloc((n ? n : 1) * sizeof(char *));
    const char **seqstr = dp_malloc((n ? n : 1) * sizeof(char *));
    size_t nacks = 0;
    /* what the batch touches: its sessions, prospects, accounts, viewers */
    for (size_t i = 0; i < n; i++) {
        sess *s = dp__rb_session(&b, e[i].session);
        seqstr[i] = dp_arena_i64(&b.a, e[i].seq);
        s->seqs = grow(s->seqs, s->nseqs, sizeof(char *));
        s->seqs[s->nseqs++] = seqstr[i];
        if (e[i].prospect) {
            dp__rb_range(&b, KEY(&b, prospect, e[i].prospect));
            if (e[i].account) dp__rb_range(&b, KEY(&b, account, e[i].account));
        }
        pvd *p = dp__rb_pvd(&b, e[i].presentation, e[i].day);
        p->viewers = grow(p->viewers, p->n, sizeof(char *));
        p->viewers[p->n++] = e[i].viewer;
        dp__caps_note(&b, &e[i]);
    }
    int rc2 = dp__rollup_read_state(&b, rc, err);
    if (rc2 == 0) {
        const char *multi[] = {"MULTI"};
        write_cmd(&b, 1, multi);
        for (size_t i = 0; i < n; i++) {
            sess *s = dp__rb_session(&b, e[i].session);
            const char *seq = seqstr[i];
            if (dp_strmap_get(&s->known, seq, strlen(seq)) == NULL) {
                dp_strmap_put(&s->known, seq, strlen(seq), (void *)1);
                s->fresh = grow(s->fresh, s->nfresh, sizeof(char *));
                s->fresh[s->nfresh++] = seq;
                dp_cap_verdict v = dp__caps_admit(&b, &e[i]);
                if (v == DP_CAP_OK) {
                    dp__rollup_apply_event(&b, s, &e[i]);
                    b.k.applied++;
                } else if (v == DP_CAP_SLIDES) {
                    b.k.refused_slides++;
                } else {
                    b.k.refused_actions++;
                }
            } else {
                b.k.dups++;
            }
            /* the events of a batch entry share its id: acknowledged once */
            if (e[i].id[0] && (nacks == 0 || strcmp(acks[nacks - 1], e[i].id) != 0))
                acks[nacks++] = e[i].id;
        }
        char ttl[24];
        snprintf(ttl, sizeof(ttl), "%lld", (long long)ro->ttl_ms);
        dp__rollup_write_back(&b, ttl, stream, group, acks, nacks);
        if (b.out_err) rc2 = dp_err_set(err, -E2BIG, "rollup: batch too large");
    }
    if (rc2 == 0 && redisAppendFormattedCommand(rc, b.out.data, b.out.len) != REDIS_OK)
        rc2 = dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    if (rc2 == 0) {
        /* MULTI's OK, a QUEUED each, then EXEC's answer */
        size_t errors = 0;
        redisReply *r = NULL;
        for (size_t i = 0; i < b.ncmds; i++) {
            if ((r = dp__rollup_next_reply(rc, err)) == NULL) {
                rc2 = -EIO;
                break;
            }
            if (i + 1 < b.ncmds) {
                if (r->type == REDIS_REPLY_ERROR && errors++ == 0)
                    dp_warn("rollup: command %zu refused: %.200s", i, r->str);
                freeReplyObject(r);
                r = NULL;
            }
        }
        if (r != NULL) {
            if (r->type == REDIS_REPLY_NIL) {
                rc2 = 1; /* a watched key changed */
            } else if (r->type == REDIS_REPLY_ERROR) {
                rc2 = dp_err_set(err, -EIO, "rollup EXEC: %.200s", r->str);
            } else {
                for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
                    if (r->element[i]->type == REDIS_REPLY_ERROR && errors++ == 0)
                        dp_warn("rollup: a write failed: %.200s", r->element[i]->str);
                counts->applied += b.k.applied;
                counts->dups += b.k.dups;
                counts->unplaced += b.k.unplaced;
                counts->refused_slides += b.k.refused_slides;
                counts->refused_actions += b.k.refused_actions;
            }
            freeReplyObject(r);
        }
    } else if (rc2 != -EIO) {
        redisReply *r = redisCommand(rc, "UNWATCH");
        if (r) freeReplyObject(r);
    }
    dp_free(acks);
    dp_free(seqstr);
    dp__caps_free(&b);
    dp__rb_free(&b);
    return rc2;
}

/* Redis's WATCH compares each key with every key the client already
 * watches, so one transaction over a long read (thousands of keys) cost
 * Redis more than all its writes; too few sessions a transaction cost too:
 * each repeats the work per prospect (timeline trim, seen range, viewer
 * counts). bench/RESULTS.md: 128 sessions a transaction is the default.
 *
 * A read with more sessions is split by session, not by stream position:
 * the stream interleaves every live session (one per open presentation),
 * and cutting it at the 128th distinct session gave each transaction one
 * or two batches of each, so every session's state was read and written
 * again for every batch or two. Each transaction takes whole sessions, all
 * of their events in the read (in stream order), and the read's entries
 * are acknowledged after the last one: a collector killed in between gets
 * them again, and the events already applied are duplicates, counted once
 * (the (session, seq) marks are written in the same transactions as the
 * counts). */
static int apply_txn(dp_rollup *ro, redisContext *rc, unsigned shard, const char *stream,
                     const char *group, const dp_entry *e, size_t n, dp_rollup_counts *counts,
                     dp_err *err)
{
    int r = 1;
    for (int i = 0; i < ATTEMPTS && r > 0; i++) {
        r = attempt(ro, rc, shard, stream, group, e, n, counts, err);
        if (r > 0) counts->conflicts++;
    }
    if (r > 0)
        return dp_err_set(err, -EIO, "rollup: state kept changing under %d attempts", ATTEMPTS);
    return r;
}

/* XACK of the distinct entry ids of e[0..n), at most 1000 a command. */
static int ack_all(redisContext *rc, const char *stream, const char *group, const dp_entry *e,
                   size_t n, dp_err *err)
{
    const char **ids = dp_malloc((n ? n : 1) * sizeof(char *));
    size_t k = 0;
    dp_strmap seen;
    dp_strmap_init(&seen);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(e[i].id);
        if (len == 0 || dp_strmap_get(&seen, e[i].id, len) != NULL) continue;
        dp_strmap_put(&seen, e[i].id, len, (void *)1);
        ids[k++] = e[i].id;
    }
    dp_strmap_free(&seen);
    int rc2 = 0;
    for (size_t i = 0; i < k && rc2 == 0; i += 1000) {
        size_t m = k - i < 1000 ? k - i : 1000;
        const char **argv = dp_malloc((m + 3) * sizeof(char *));
        argv[0] = "XACK";
        argv[1] = stream;
        argv[2] = group;
        memcpy(argv + 3, ids + i, m * sizeof(char *));
        redisReply *r = redisCommandArgv(rc, (int)(m + 3), argv, NULL);
        dp_free(argv);
        if (r == NULL)
            rc2 = dp_err_set(err, -EIO, "redis: %s", rc->errstr);
        else if (r->type == REDIS_REPLY_ERROR)
            rc2 = dp_err_set(err, -EIO, "XACK: %.200s", r->str);
        if (r) freeReplyObject(r);
    }
    dp_free(ids);
    return rc2;
}

int dp_rollup_apply(dp_rollup *ro, redisContext *rc, unsigned shard, const char *group,
                    const dp_entry *e, size_t n, dp_rollup_counts *counts, size_t *done,
                    dp_err *err)
{
    char stream[32];
    dp_key_stream(stream, sizeof(stream), shard);
    *done = 0;
    if (n == 0) return 0;
    size_t most = ro->txn_sessions ? ro->txn_sessions : SIZE_MAX;
    /* each session's transaction: the sessions in order of first event */
    dp_strmap ix;
    dp_strmap_init(&ix);
    uint32_t *part = dp_malloc(n * sizeof(uint32_t));
    size_t nsess = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(e[i].session);
        void *v = dp_strmap_get(&ix, e[i].session, len);
        if (v == NULL) {
            v = (void *)(uintptr_t)(nsess++ / most + 1);
            dp_strmap_put(&ix, e[i].session, len, v);
        }
        part[i] = (uint32_t)((uintptr_t)v - 1);
    }
    dp_strmap_free(&ix);
    int r;
    if (nsess <= most) {
        r = apply_txn(ro, rc, shard, stream, group, e, n, counts, err);
    } else {
        /* the events of each transaction together, in stream order */
        size_t nparts = (nsess + most - 1) / most;
        size_t *start = dp_calloc(nparts + 1, sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            start[part[i] + 1]++;
        for (size_t k = 1; k <= nparts; k++)
            start[k] += start[k - 1];
        dp_entry *sorted = dp_malloc(n * sizeof(dp_entry));
        size_t *fill = dp_malloc(nparts * sizeof(size_t));
        memcpy(fill, start, nparts * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            sorted[fill[part[i]]++] = e[i];
        r = 0;
        for (size_t k = 0; k < nparts && r == 0; k++)
            r = apply_txn(ro, rc, shard, stream, "", sorted + start[k], start[k + 1] - start[k],
                          counts, err);
        if (r == 0 && *group) r = ack_all(rc, stream, group, e, n, err);
        dp_free(fill);
        dp_free(sorted);
        dp_free(start);
    }
    dp_free(part);
    if (r == 0) *done = n;
    return r;
}
