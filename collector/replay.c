#include "replay.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "archive.h"
#include "clock.h"
#include "collector.h"
#include "deckpulse/keys.h"
#include "log.h"
#include "rollup.h"
#include "rollup_peers.h"

typedef struct pending {
    dp_entry *e;
    char **store;
    size_t n;
} pending;

typedef struct replay {
    const dp_config *cfg;
    dp_sync sync;
    redisContext *rc; /* the shard's */
    dp_rollup ro;
    pending *shards;
    long long events, applied, dups, bad;
    int tty;
    dp_err err;
} replay;

/* r->rc: the shard's connection (a cluster's primary for its {N}). */
static int shard_conn(replay *r, unsigned s)
{
    r->rc = dp_sync_for_shard(&r->sync, s, &r->err);
    return r->rc ? 0 : -EIO;
}

static int flush_shard(replay *r, unsigned s)
{
    pending *p = &r->shards[s];
    if (p->n == 0) return 0;
    dp_rollup_counts k = {0};
    size_t done;
    if (shard_conn(r, s) != 0) return -EIO;
    int rc = dp_rollup_apply(&r->ro, r->rc, s, "", p->e, p->n, &k, &done, &r->err);
    r->applied += k.applied;
    r->dups += k.dups;
    for (size_t i = 0; i < p->n; i++)
        dp_free(p->store[i]);
    p->n = 0;
    return rc;
}

static int on_row(const char *const *fv, size_t n, void *ud)
{
    replay *r = ud;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(fv[i]) + 1;
    char *store = dp_malloc(total), *at = store;
    const char *copy[66];
    for (size_t i = 0; i < n && i < 66; i++) {
        size_t l = strlen(fv[i]) + 1;
        memcpy(at, fv[i], l);
        copy[i] = at;
        at += l;
    }
    dp_entry e;
    memset(&e, 0, sizeof(e));
    dp_err why;
    if (dp_entry_parse(&e, copy, n, &why) != 0) {
        if (r->bad++ < 10) dp_warn("replay: skipping a bad row: %s", why.msg);
        dp_free(store);
        return 0;
    }
    unsigned s = dp_shard_of(e.session, strlen(e.session), (unsigned)r->cfg->shards);
    pending *p = &r->shards[s];
    p->e[p->n] = e;
    p->store[p->n] = store;
    p->n++;
    r->events++;
    if (p->n == (size_t)r->cfg->collector_batch) return flush_shard(r, s);
    return 0;
}

static void on_progress(size_t file, size_t nfiles, void *ud)
{
    replay *r = ud;
    if (r->tty) fprintf(stderr, "\rreplay: %zu/%zu files, %lld events", file, nfiles, r->events);
}

int dp_replay(const dp_config *cfg, const char *dir, dp_err *err)
{
    replay r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.tty = isatty(2);
    r.ro.ttl_ms = cfg->dedup_ttl_s * 1000;
    r.ro.txn_sessions = (size_t)cfg->collector_txn_sessions;
    r.ro.shards = (unsigned)cfg->shards;
    r.ro.max_slides = cfg->max_slides_per_presentation;
    r.ro.quiet_ms = cfg->alert_quiet_days * 86400000LL;
    r.ro.max_actions = cfg->max_actions_per_presentation;
    if (dp_collector_connect(&r.sync, cfg, err) != 0) return -EIO;
    r.ro.peer = r.sync.cluster ? dp_sync_for_shard : NULL;
    r.ro.peer_ud = &r.sync;
    int rc = 0;
    for (unsigned s = 0; rc == 0 && s < (unsigned)cfg->shards; s++)
        if ((rc = shard_conn(&r, s)) != 0 || (rc = dp_rollup_load(&r.ro, r.rc, err)) != 0) {
            if (r.err.msg[0] && rc == -EIO && r.rc == NULL) *err = r.err;
            dp_sync_close(&r.sync);
            return rc;
        }
    r.shards = dp_calloc((size_t)cfg->shards, sizeof(pending));
    for (unsigned s = 0; s < (unsigned)cfg->shards; s++) {
        r.shards[s].e = dp_calloc((size_t)cfg->collector_batch, sizeof(dp_entry));
        r.shards[s].store = dp_calloc((size_t)cfg->collector_batch, sizeof(char *));
    }
    size_t damaged = 0;
    rc = dp_archive_read_dir(dir, on_row, on_progress, &r, &damaged, err);
    if (rc != 0 && r.err.msg[0]) *err = r.err;
    for (unsigned s = 0; rc == 0 && s < (unsigned)cfg->shards; s++)
        if ((rc = flush_shard(&r, s)) != 0) *err = r.err;
    /* Sessions idle past the timeout have ended, as the live sweep would say. */
    long long ended = 0;
    for (unsigned s = 0; rc == 0 && s < (unsigned)cfg->shards; s++) {
        long long e = 0;
        if ((rc = shard_conn(&r, s)) != 0) {
            *err = r.err;
            break;
        }
        do {
            rc = dp_rollup_sweep(&r.ro, r.rc, s, dp_now_ms() - cfg->session_timeout_ms, &e, err);
            ended += e;
        } while (rc == 0 && e > 0);
    }
    if (r.tty) fputc('\n', stderr);
    dp_info("replay: %lld events read, %lld applied, %lld duplicates, %lld bad rows, %zu damaged "
            "files, %lld sessions ended",
            r.events, r.applied, r.dups, r.bad, damaged, ended);
    for (unsigned s = 0; s < (unsigned)cfg->shards; s++) {
        for (size_t i = 0; i < r.shards[s].n; i++)
            dp_free(r.shards[s].store[i]);
        dp_free(r.shards[s].e);
        dp_free(r.shards[s].store);
    }
    dp_free(r.shards);
    dp_peer_cache_free(r.ro.peer_cache);
    dp_sync_close(&r.sync);
    return rc;
}
