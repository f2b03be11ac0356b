#include "collector.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "archive_erase.h"
#include "clock.h"
#include "deckpulse/keys.h"
#include "log.h"
#include "redis_sync.h"
#include "rollup_peers.h"

#define TICK_MS 1000

int dp_collector_connect(dp_sync *s, const dp_config *cfg, dp_err *err)
{
    /* Blocking reads wait up to TICK_MS; every command gets that much more. */
    return dp_sync_connect(s, cfg->redis, (int)cfg->redis_timeout_ms,
                           (int)cfg->redis_timeout_ms + TICK_MS, err);
}

/* c->rc: the connection serving key (in a cluster, its slot's primary). */
static int at(dp_collector *c, const char *key, dp_err *err)
{
    c->rc = dp_sync_for(&c->sync, key, err);
    return c->rc ? 0 : -EIO;
}

/* Collectors alive (counters written within the last few ticks), this one
 * included: the shards are divided among them (lease.h). */
#define ALIVE_MS 5000

static unsigned alive(dp_collector *c, int64_t now, dp_err *err)
{
    char key[32];
    dp_key_collectors(key, sizeof(key));
    if (at(c, key, err) != 0) return 0;
    redisReply *r = redisCommand(c->rc, "HGETALL %s", key);
    if (r == NULL) return 0;
    unsigned n = 1;
    size_t me = strlen(c->name);
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *f = r->element[i]->str, *bar = strrchr(f, '|');
        if (bar == NULL || strcmp(bar, "|updated") != 0) continue;
        if ((size_t)(bar - f) == me && !strncmp(f, c->name, me)) continue;
        if (now - strtoll(r->element[i + 1]->str, NULL, 10) < ALIVE_MS) n++;
    }
    freeReplyObject(r);
    return n;
}

static int update_leases(dp_collector *c, int64_t now, dp_err *err)
{
    unsigned n = alive(c, now, err);
    if (n == 0) return -EIO;
    return dp_leases_update(&c->leases, n, c->name, dp_sync_for_shard, &c->sync, err);
}

static int at_shard(dp_collector *c, unsigned shard, dp_err *err)
{
    char prefix[24];
    dp_key_prefix(prefix, sizeof(prefix), shard);
    return at(c, prefix, err);
}

static int make_group(dp_collector *c, unsigned s, dp_err *err);
static int shard_failed(dp_collector *c, unsigned shard, int rc, const dp_err *err);

/* c->rc for the shard, its group made: 0, 1 (skip the shard now, a
 * cluster's primary away) or a session failure. */
static int enter_shard(dp_collector *c, unsigned s, dp_err *err)
{
    int rc = at_shard(c, s, err);
    if (rc == 0) rc = make_group(c, s, err);
    if (rc == 0) return 0;
    return shard_failed(c, s, rc, err) == 0 ? 1 : rc;
}

static redisReply *cmd(dp_collector *c, dp_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c->rc, fmt, ap);
    va_end(ap);
    if (r == NULL) dp_err_set(err, -EIO, "redis: %s", c->rc->errstr);
    return r;
}

/* A shard's failure: on one Redis, the session's (it starts again); in a
 * cluster, while the seeds' connection is fine, only the shard's — its
 * primary's connection is dropped, the map reloaded soon (a replica taking
 * over), and the other shards go on. 0: skip the shard this time. */
static int shard_failed(dp_collector *c, unsigned shard, int rc, const dp_err *err)
{
    if (!c->sync.cluster || c->sync.ctl == NULL || c->sync.ctl->err) return rc;
    if (c->shard_warned[shard] == 0)
        dp_warn("collector %s: shard %u left for now: %s", c->name, shard, err->msg);
    c->shard_warned[shard] = 1;
    dp_sync_failed(&c->sync, c->rc);
    c->group_made[shard] = 0;
    return 0;
}

/* The same for what is not a shard's (the counters, erasures, leases under
 * {0}): in a cluster it waits for the next tick. */
static int soft_failed(dp_collector *c, int rc, const dp_err *err)
{
    if (!c->sync.cluster || c->sync.ctl == NULL || c->sync.ctl->err) return rc;
    dp_warn("collector %s: %s; again at the next tick", c->name, err->msg);
    dp_sync_failed(&c->sync, c->rc);
    return 0;
}

/* The shard's consumer group, made once per session. */
static int make_group(dp_collector *c, unsigned s, dp_err *err)
{
    if (c->group_made[s]) return 0;
    char key[32];
    dp_key_stream(key, sizeof(key), s);
    redisReply *r = cmd(c, err, "XGROUP CREATE %s " DP_GROUP " 0 MKSTREAM", key);
    if (r == NULL) return -EIO;
    int ok = r->type != REDIS_REPLY_ERROR || !strncmp(r->str, "BUSYGROUP", 9);
    if (!ok) dp_err_set(err, -EIO, "XGROUP CREATE %s: %s", key, r->str);
    freeReplyObject(r);
    if (!ok) return -EIO;
    c->group_made[s] = 1;
    c->shard_warned[s] = 0;
    return 0;
}

/* Delivery counts of pending entries [first, last] of this consumer. */
static long long delivery_count(const redisReply *pend, const char *id)
{
    if (pend == NULL || pend->type != REDIS_REPLY_ARRAY) return 1;
    for (size_t i = 0; i < pend->elements; i++) {
        const redisReply *x = pend->element[i];
        if (x->type == REDIS_REPLY_ARRAY && x->elements == 4 && !strcmp(x->element[0]->str, id))
            return x->element[3]->integer;
    }
    return 1;
}

static int dead_letter(dp_collector *c, unsigned shard, const redisReply *entry, const char *id,
                       const char *reason, long long deliveries, dp_err *err)
{
    char key[32], dead[32], times[24];
    dp_key_stream(key, sizeof(key), shard);
    dp_key_dead(dead, sizeof(dead), shard);
    const char *argv[2 + 6 + 64];
    size_t lens[2 + 6 + 64];
    int argc = 0;
    argv[argc++] = "XADD";
    argv[argc++] = dead;
    argv[argc++] = "*";
    argv[argc++] = "id";
    argv[argc++] = id;
    argv[argc++] = "reason";
    argv[argc++] = reason;
    snprintf(times, sizeof(times), "%lld", deliveries);
    argv[argc++] = "deliveries";
    argv[argc++] = times;
    const redisReply *f = entry && entry->type == REDIS_REPLY_ARRAY && entry->elements == 2
                              ? entry->element[1]
                              : NULL;
    if (f && f->type == REDIS_REPLY_ARRAY && f->elements <= 60)
        for (size_t i = 0; i + 1 < f->elements; i += 2) {
            if (f->element[i]->type != REDIS_REPLY_STRING ||
                f->element[i + 1]->type != REDIS_REPLY_STRING)
                continue;
            argv[argc++] = f->element[i]->str;
            argv[argc++] = f->element[i + 1]->str;
        }
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    /* XADD to the dead-letter stream and XACK, together. */
    redisAppendCommand(c->rc, "MULTI");
    redisAppendCommandArgv(c->rc, argc, argv, lens);
    redisAppendCommand(c->rc, "XACK %s " DP_GROUP " %s", key, id);
    redisAppendCommand(c->rc, "EXEC");
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c->rc, (void **)&r) != REDIS_OK) {
            rc = dp_err_set(err, -EIO, "redis: %s", c->rc->errstr);
            break;
        }
        freeReplyObject(r);
    }
    if (rc == 0) {
        c->dead++;
        dp_warn("dead-lettered %s (shard %u, delivery %lld): %s", id, shard, deliveries, reason);
    }
    return rc;
}

/* Applies the entries of one reply (an array of [id, fields]); *nevents
 * (unless NULL): the events they held. */
static int process(dp_collector *c, unsigned shard, const redisReply *list, int redelivered,
                   size_t *nevents, dp_err *err)
{
    if (list == NULL || list->type != REDIS_REPLY_ARRAY || list->elements == 0) return 0;
    size_t n = list->elements;
    char key[32];
    dp_key_stream(key, sizeof(key), shard);
    redisReply *pend = NULL;
    if (redelivered) {
        const redisReply *a = list->element[0], *b = list->element[n - 1];
        if (a->type == REDIS_REPLY_ARRAY && b->type == REDIS_REPLY_ARRAY)
            pend = cmd(c, err, "XPENDING %s " DP_GROUP " %s %s %lld %s", key, a->element[0]->str,
                       b->element[0]->str, (long long)n, c->name);
        if (pend == NULL && c->rc->err) return -EIO;
    }
    dp_entry_list events = {0};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const redisReply *x = list->element[i];
        dp_err why;
        char eid[DP_ENTRY_ID_MAX];
        if (x->type == REDIS_REPLY_ARRAY && x->elements == 2 &&
            x->element[1]->type == REDIS_REPLY_NIL) {
            /* deleted from the stream while pending: nothing to apply */
            redisReply *r = cmd(c, err, "XACK %s " DP_GROUP " %s", key, x->element[0]->str);
            if (r == NULL)
                rc = -EIO;
            else
                freeReplyObject(r);
            continue;
        }
        if (dp_entry_read(x, &events, eid, sizeof(eid), &why) == 0) continue;
        const char *id = eid[0] ? eid : "?";
        long long count = redelivered ? delivery_count(pend, id) : 1;
        if (count >= c->cfg->max_deliveries)
            rc = dead_letter(c, shard, x, id, why.msg, count, err);
        else
            dp_warn("entry %s (shard %u, delivery %lld): %s; left pending", id, shard, count,
                    why.msg);
    }
    dp_entry *good = events.v;
    size_t ng = events.n;
    if (nevents) *nevents = ng;
    /* Archive first: everything acknowledged is in the archive. */
    for (size_t i = 0; i < ng && rc == 0; i++)
        rc = dp_archive_append(&c->ar, &good[i], err);
    if (rc == 0) rc = dp_archive_flush(&c->ar, err);
    dp_rollup_counts counts = {0};
    if (rc == 0 && ng > 0) {
        size_t done = 0;
        rc = dp_rollup_apply(&c->ro, c->rc, shard, DP_GROUP, good, ng, &counts, &done, err);
        if (rc == -EINVAL) {
            /* Redis refused the batch: the rest one by one, so only the
             * entries that fail stay pending (and are dead-lettered on their
             * max_deliveries-th delivery). */
            dp_warn("batch refused (%s); applying its %zu entries one by one", err->msg, ng - done);
            rc = 0;
            for (size_t i = done, j; i < ng && rc != -EIO; i = j) {
                /* the events of one entry together: it is acknowledged with them */
                for (j = i + 1; j < ng && !strcmp(good[j].id, good[i].id); j++)
                    ;
                dp_err one;
                size_t one_done;
                int r1 = dp_rollup_apply(&c->ro, c->rc, shard, DP_GROUP, &good[i], j - i, &counts,
                                         &one_done, &one);
                if (r1 == 0) {
                    continue;
                } else if (r1 == -EIO) {
                    rc = dp_err_set(err, -EIO, "%s", one.msg);
                } else {
                    long long count = redelivered ? delivery_count(pend, good[i].id) : 1;
                    if (count >= c->cfg->max_deliveries) {
                        const redisReply *x = NULL;
                        for (size_t k = 0; k < n; k++)
                            if (list->element[k]->type == REDIS_REPLY_ARRAY &&
                                !strcmp(list->element[k]->element[0]->str, good[i].id))
                                x = list->element[k];
                        rc = dead_letter(c, shard, x, good[i].id, one.msg, count, err);
                    }
                }
            }
        }
    }
    if (rc == 0) {
        c->batches++;
        c->events += (long long)ng;
        c->applied += counts.applied;
        c->duplicates += counts.dups;
        c->unplaced += counts.unplaced;
        c->refused_slides += counts.refused_slides;
        c->refused_actions += counts.refused_actions;
    }
    c->conflicts += counts.conflicts;
    dp_entry_list_free(&events);
    if (pend) freeReplyObject(pend);
    return rc;
}

/* count entries, or fewer: about collector_read_events events at most */
static long long at_most(const dp_collector *c, long long count)
{
    double per = c->per_entry > 1 ? c->per_entry : 1;
    long long most = (long long)((double)c->cfg->collector_read_events / per + 0.5);
    if (most < 1) most = 1;
    return count < most ? count : most;
}

/* XREADGROUP ... STREAMS key <from>: own pending history ("0") or new
 * (">"). *full: the read got all it asked for (more may be waiting). */
static int read_group(dp_collector *c, unsigned shard, const char *from, int block, size_t *got,
                      int *full, dp_err *err)
{
    char key[32];
    dp_key_stream(key, sizeof(key), shard);
    redisReply *r;
    /* new entries: longer batches while there is a backlog (fewer round
     * trips to a busy Redis), short ones again once caught up (each
     * MULTI/EXEC holds Redis, and ingest waits behind it); and never much
     * more than collector_read_events events, going by the last read's
     * events per entry */
    long long base = c->cfg->collector_batch, count = from[0] == '>' ? c->count : base;
    if (count < base) count = base;
    count = at_most(c, count);
    if (block)
        r = cmd(c, err, "XREADGROUP GROUP " DP_GROUP " %s COUNT %lld BLOCK %d STREAMS %s %s",
                c->name, count, TICK_MS, key, from);
    else
        r = cmd(c, err, "XREADGROUP GROUP " DP_GROUP " %s COUNT %lld STREAMS %s %s", c->name, count,
                key, from);
    if (r == NULL) return -EIO;
    int rc = 0;
    *got = 0;
    size_t nevents = 0;
    if (r->type == REDIS_REPLY_ERROR) {
        rc = dp_err_set(err, -EIO, "XREADGROUP: %s", r->str);
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2) {
        const redisReply *list = r->element[0]->element[1];
        *got = list->elements;
        rc = process(c, shard, list, from[0] == '0', &nevents, err);
    }
    *full = *got > 0 && (long long)*got >= count;
    if (from[0] == '>') {
        long long max = base * DP_COLLECTOR_BATCH_GROWTH;
        c->count = !*full ? base : (count * 2 < max ? count * 2 : max);
        if (*got > 0 && nevents > 0) c->per_entry = (double)nevents / (double)*got;
    }
    freeReplyObject(r);
    return rc;
}

static int claim(dp_collector *c, unsigned shard, dp_err *err)
{
    char key[32];
    dp_key_stream(key, sizeof(key), shard);
    redisReply *r = cmd(c, err, "XAUTOCLAIM %s " DP_GROUP " %s %lld 0-0 COUNT %lld", key, c->name,
                        (long long)c->cfg->claim_idle_ms, at_most(c, c->cfg->collector_batch));
    if (r == NULL) return -EIO;
    int rc = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[1]->elements > 0) {
        dp_info("claimed %zu idle entries (shard %u)", r->element[1]->elements, shard);
        rc = process(c, shard, r->element[1], 1, NULL, err);
    }
    freeReplyObject(r);
    return rc;
}

/* Trims the stream below the oldest entry any group still needs. */
static int trim(dp_collector *c, unsigned shard, dp_err *err)
{
    char key[32];
    dp_key_stream(key, sizeof(key), shard);
    redisReply *g = cmd(c, err, "XINFO GROUPS %s", key);
    if (g == NULL) return -EIO;
    char minid[48] = "";
    int ok = g->type == REDIS_REPLY_ARRAY && g->elements > 0;
    for (size_t i = 0; ok && i < g->elements; i++) {
        const redisReply *grp = g->element[i];
        const char *name = NULL, *last = NULL;
        long long pending = 0;
        for (size_t k = 0; k + 1 < grp->elements; k += 2) {
            const char *f = grp->element[k]->str;
            if (!strcmp(f, "name"))
                name = grp->element[k + 1]->str;
            else if (!strcmp(f, "pending"))
                pending = grp->element[k + 1]->integer;
            else if (!strcmp(f, "last-delivered-id"))
                last = grp->element[k + 1]->str;
        }
        char need[48] = "";
        if (pending > 0 && name) {
            redisReply *p = cmd(c, err, "XPENDING %s %s", key, name);
            if (p && p->type == REDIS_REPLY_ARRAY && p->elements >= 2 &&
                p->element[1]->type == REDIS_REPLY_STRING)
                snprintf(need, sizeof(need), "%s", p->element[1]->str);
            if (p)
                freeReplyObject(p);
            else
                ok = 0;
        } else if (last) {
            /* nothing pending: everything up to and including last is done */
            const char *dash = strchr(last, '-');
            snprintf(need, sizeof(need), "%llu-%llu", strtoull(last, NULL, 10),
                     dash ? strtoull(dash + 1, NULL, 10) + 1 : 0);
        }
        if (!need[0]) ok = 0;
        /* keep the smallest (ids compare as ms-seq) */
        unsigned long long nm = strtoull(need, NULL, 10), mm = strtoull(minid, NULL, 10);
        const char *nd = strchr(need, '-'), *md = strchr(minid, '-');
        unsigned long long ns = nd ? strtoull(nd + 1, NULL, 10) : 0,
                           ms = md ? strtoull(md + 1, NULL, 10) : 0;
        if (!minid[0] || nm < mm || (nm == mm && ns < ms))
            snprintf(minid, sizeof(minid), "%s", need);
    }
    freeReplyObject(g);
    if (!ok || !minid[0] || !strcmp(minid, "0-0")) return ok || !c->rc->err ? 0 : -EIO;
    redisReply *t = cmd(c, err, "XTRIM %s MINID %s", key, minid);
    if (t == NULL) return -EIO;
    freeReplyObject(t);
    return 0;
}

/* Erasure (archive_erase.h). Another collector's files are left to it while
 * it runs (it has them open): running = reported within the last 15 s. */
#define ERASURE_KEEP_MS (30LL * 86400000) /* tombstones outlive any replay window */

static int keep_file(const char *name, void *ud)
{
    dp_collector *c = ud;
    const char *dash = strrchr(name, '-');
    size_t n = dash ? (size_t)(dash - name) : strlen(name);
    if (n == strlen(c->name) && !strncmp(name, c->name, n)) return 1; /* ours, this run or old */
    const redisReply *p = c->peers;
    for (size_t i = 0; p && i + 1 < p->elements; i += 2) {
        const char *f = p->element[i]->str;
        if (strncmp(f, name, n) == 0 && !strcmp(f + n, "|updated") &&
            c->peers_at - strtoll(p->element[i + 1]->str, NULL, 10) < 15000)
            return 0;
    }
    return 1;
}

static int erasures(dp_collector *c, int64_t now, dp_err *err)
{
    char key[32];
    dp_key_erasures(key, sizeof(key));
    if (at(c, key, err) != 0) return -EIO;
    redisReply *r = cmd(c, err, "HGETALL %s", key);
    if (r == NULL) return -EIO;
    const char **ids = dp_calloc(r->elements / 2 + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const char *id = r->element[i]->str;
        if (now - strtoll(r->element[i + 1]->str, NULL, 10) > ERASURE_KEEP_MS) {
            redisReply *d = cmd(c, err, "HDEL %s %s", key, id);
            if (d) freeReplyObject(d);
            continue;
        }
        if (dp_strmap_get(&c->erased, id, strlen(id)) == NULL) ids[n++] = id;
    }
    int rc = 0;
    if (n > 0) {
        char ckey[32];
        dp_key_collectors(ckey, sizeof(ckey));
        redisReply *peers = cmd(c, err, "HGETALL %s", ckey);
        if (peers == NULL) {
            rc = -EIO;
        } else {
            char dir[PATH_MAX];
            long long rows = 0, files = 0;
            snprintf(dir, sizeof(dir), "%s/archive", c->cfg->data_dir);
            c->peers = peers;
            c->peers_at = now;
            /* our open files first: the next append starts a new gzip member */
            dp_archive_close(&c->ar);
            rc = dp_archive_erase(dir, ids, n, keep_file, c, c->name, &rows, &files, err);
            c->peers = NULL;
            freeReplyObject(peers);
            if (rc == 0) {
                for (size_t i = 0; i < n; i++)
                    dp_strmap_put(&c->erased, ids[i], strlen(ids[i]), (void *)1);
                dp_info("erasure: %zu prospect(s): %lld archive row(s) removed from %lld file(s)",
                        n, rows, files);
            }
        }
    }
    dp_free(ids);
    freeReplyObject(r);
    return rc;
}

/* Retention: per-day aggregates before retention_days ago, on every shard,
 * deal outcomes whose current stage is that old, and this collector's
 * archive days before retention_archive_days ago. */
static int retain(dp_collector *c, int64_t now, dp_err *err)
{
    char cutoff[11];
    if (c->cfg->retention_days > 0) {
        dp_day(now - c->cfg->retention_days * 86400000LL, cutoff);
        long long total = 0;
        for (unsigned s = 0; s < (unsigned)c->cfg->shards; s++) {
            if (!c->leases.held[s]) continue;
            int more = 1;
            if (at_shard(c, s, err) != 0) return -EIO;
            for (int i = 0; more && i < 1000; i++) {
                long long removed = 0;
                int rc = dp_rollup_retain(&c->ro, c->rc, s, cutoff, &removed, &more, err);
                if (rc != 0) return rc;
                total += removed;
            }
        }
        if (total) dp_info("retention: deleted %lld day(s) of aggregates before %s", total, cutoff);
        /* deal outcomes by the day of their current stage, likewise */
        int more = 1;
        long long deals = 0;
        if (at(c, DP_KEY_DEALS, err) != 0) return -EIO;
        for (int i = 0; more && i < 1000; i++) {
            long long removed = 0;
            int64_t before = (now / 86400000LL - c->cfg->retention_days) * 86400000LL;
            int rc = dp_rollup_retain_deals(c->rc, before, &removed, &more, err);
            if (rc != 0) return rc;
            deals += removed;
        }
        if (deals)
            dp_info("retention: deleted %lld deal(s) closed or updated before %s", deals, cutoff);
    }
    if (c->cfg->retention_archive_days > 0) {
        char dir[PATH_MAX];
        dp_day(now - c->cfg->retention_archive_days * 86400000LL, cutoff);
        snprintf(dir, sizeof(dir), "%s/archive", c->cfg->data_dir);
        int n = dp_archive_retain(dir, cutoff);
        if (n) dp_info("retention: deleted %d archive day(s) before %s", n, cutoff);
    }
    return 0;
}

static int tick(dp_collector *c, dp_err *err)
{
    int64_t now = dp_now_ms();
    for (unsigned s = 0; s < (unsigned)c->cfg->shards; s++) {
        if (!c->leases.held[s]) continue;
        /* up to 5 short script calls a tick, not one long one */
        long long ended = DP_SWEEP_MAX;
        int rc = enter_shard(c, s, err);
        if (rc == 1) continue;
        if (rc != 0) return rc;
        for (int k = 0; k < 5 && ended == DP_SWEEP_MAX && rc == 0; k++) {
            rc = dp_rollup_sweep(&c->ro, c->rc, s, now - c->cfg->session_timeout_ms, &ended, err);
            if (rc == 0) c->ended += ended;
        }
        if (rc == 0) rc = trim(c, s, err);
        if (rc != 0 && (rc = shard_failed(c, s, rc, err)) != 0) return rc;
    }
    int erc = erasures(c, now, err);
    if (erc != 0 && (erc = soft_failed(c, erc, err)) != 0) return erc;
    if ((c->cfg->retention_days > 0 || c->cfg->retention_archive_days > 0) &&
        (c->last_retain_ms == 0 || now - c->last_retain_ms >= 3600000)) {
        c->last_retain_ms = now;
        int rc = retain(c, now, err);
        if (rc != 0 && (rc = soft_failed(c, rc, err)) != 0) return rc;
    }
    /* events per second over the last tick */
    double eps = 0;
    if (c->last_tick_ms && now > c->last_tick_ms)
        eps = (double)(c->events - c->last_tick_events) * 1000.0 / (double)(now - c->last_tick_ms);
    c->last_tick_ms = now;
    c->last_tick_events = c->events;
    const char *n = c->name;
    char key[32];
    dp_key_collectors(key, sizeof(key));
    if (at(c, key, err) != 0) return soft_failed(c, -EIO, err);
    redisReply *r =
        cmd(c, err,
            "HSET %s %s|batches %lld %s|events %lld %s|applied %lld "
            "%s|duplicates %lld %s|dead %lld %s|ended %lld %s|errors %lld "
            "%s|unplaced %lld %s|conflicts %lld %s|refused_slides %lld %s|refused_actions %lld "
            "%s|events_per_s %.1f %s|updated %lld",
            key, n, c->batches, n, c->events, n, c->applied, n, c->duplicates, n, c->dead, n,
            c->ended, n, c->errors, n, c->unplaced, n, c->conflicts, n, c->refused_slides, n,
            c->refused_actions, n, eps, n, (long long)now);
    if (r == NULL) return soft_failed(c, -EIO, err);
    freeReplyObject(r);
    int rc = update_leases(c, now, err);
    return rc == 0 ? 0 : soft_failed(c, rc, err);
}

static int session(dp_collector *c, dp_err *err)
{
    int rc;
    memset(c->group_made, 0, sizeof(c->group_made));
    /* the script (its SHA): EVALSHA loads it again on any node that lacks it */
    if ((rc = dp_rollup_load(&c->ro, c->sync.ctl, err)) != 0) return rc;
    /* First our own pending entries (a previous run of ours died with them). */
    for (unsigned s = 0; s < (unsigned)c->cfg->shards && !*c->stop; s++) {
        size_t got;
        int full;
        if ((rc = enter_shard(c, s, err)) != 0) {
            if (rc == 1) continue;
            return rc;
        }
        do {
            if ((rc = read_group(c, s, "0", 0, &got, &full, err)) != 0 &&
                (rc = shard_failed(c, s, rc, err)) != 0)
                return rc;
        } while (rc == 0 && full && !*c->stop && c->group_made[s]);
    }
    c->leases.shards = (unsigned)c->cfg->shards;
    if ((rc = update_leases(c, dp_now_ms(), err)) != 0) return rc;
    int64_t last_tick = 0;
    while (!*c->stop) {
        size_t total = 0;
        int behind = 0;
        for (unsigned s = 0; s < (unsigned)c->cfg->shards && !*c->stop; s++) {
            size_t got = 0;
            int full = 0;
            if (!c->leases.held[s]) continue;
            if ((rc = enter_shard(c, s, err)) != 0) {
                if (rc == 1) continue;
                return rc;
            }
            int block = c->leases.nheld == 1;
            if ((rc = claim(c, s, err)) != 0 ||
                (rc = read_group(c, s, ">", block, &got, &full, err)) != 0) {
                if ((rc = shard_failed(c, s, rc, err)) != 0) return rc;
                continue;
            }
            total += got;
            if (full) behind = 1;
        }
        int64_t now = dp_now_ms();
        if (now - last_tick >= TICK_MS) {
            if ((rc = tick(c, err)) != 0) return rc;
            last_tick = now;
        }
        if (total == 0 && c->leases.nheld != 1) {
            usleep(50000);
        } else if (total > 0 && !behind) {
            /* caught up: let the next read gather what arrives meanwhile
             * (one large transaction costs Redis far less than many small
             * ones: bench/RESULTS.md) */
            for (int64_t w = 0; w < c->cfg->collector_wait_ms && !*c->stop; w += 20)
                usleep((useconds_t)(c->cfg->collector_wait_ms - w < 20
                                        ? c->cfg->collector_wait_ms - w
                                        : 20) *
                       1000);
        }
    }
    rc = tick(c, err);
    /* a clean stop: the shards to the others at once, and this collector
     * no longer counted among the living */
    dp_leases_release(&c->leases, c->name, dp_sync_for_shard, &c->sync);
    char key[32];
    dp_key_collectors(key, sizeof(key));
    if (at(c, key, err) == 0) {
        redisReply *r = redisCommand(c->rc, "HSET %s %s|updated 0", key, c->name);
        if (r) freeReplyObject(r);
    }
    return rc;
}

int dp_collector_run(dp_collector *c, const dp_config *cfg, volatile sig_atomic_t *stop,
                     dp_err *err)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->stop = stop;
    c->started_ms = dp_now_ms();
    c->ro.ttl_ms = cfg->dedup_ttl_s * 1000;
    c->ro.txn_sessions = (size_t)cfg->collector_txn_sessions;
    c->ro.shards = (unsigned)cfg->shards;
    c->ro.max_slides = cfg->max_slides_per_presentation;
    c->ro.quiet_ms = cfg->alert_quiet_days * 86400000LL;
    c->ro.max_actions = cfg->max_actions_per_presentation;
    dp_strmap_init(&c->erased);
    if (cfg->collector_name[0]) {
        snprintf(c->name, sizeof(c->name), "%s", cfg->collector_name);
    } else {
        char host[64] = "collector";
        gethostname(host, sizeof(host) - 1);
        snprintf(c->name, sizeof(c->name), "%s", host);
    }
    char tag[200];
    snprintf(tag, sizeof(tag), "%s-%lld", c->name, (long long)c->started_ms);
    int rc = dp_archive_open(&c->ar, cfg->data_dir, tag, err);
    if (rc != 0) return rc;
    uint64_t backoff = 50;
    while (!*stop) {
        if (dp_collector_connect(&c->sync, cfg, err) == 0) {
            dp_info("collector %s: consuming %lld shard(s) from %s%s", c->name,
                    (long long)cfg->shards, cfg->redis,
                    c->sync.cluster ? " (a cluster: each shard on its primary)" : "");
            int64_t began = dp_now_ms();
            c->rc = c->sync.ctl;
            c->ro.peer = c->sync.cluster ? dp_sync_for_shard : NULL;
            c->ro.peer_ud = &c->sync;
            rc = session(c, err);
            dp_sync_close(&c->sync);
            c->rc = NULL;
            if (rc == 0) break;
            c->errors++;
            if (dp_now_ms() - began > 5000) backoff = 50; /* it had been working */
        }
        dp_warn("collector: %s; retrying in %llu ms", err->msg, (unsigned long long)backoff);
        dp_archive_flush(&c->ar, NULL);
        for (uint64_t waited = 0; waited < backoff && !*stop; waited += 50)
            usleep(50000);
        backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
    }
    dp_archive_flush(&c->ar, NULL);
    dp_archive_close(&c->ar);
    dp_strmap_free(&c->erased);
    dp_peer_cache_free(c->ro.peer_cache);
    return 0;
}
