/* The rollup of one batch (rollup_apply.c), split by responsibility: what
 * this header holds is shared by its parts and by their unit tests, and by
 * nothing else in the collector.
 *
 *   rollup_batch.c    the batch under construction: its sessions, seen
 *                     ranges, presentation viewers and the MULTI block
 *   rollup_rules.c    the rules: a session's state and one event -> the
 *                     writes (pure: no Redis)
 *   rollup_state.c    reading the state a batch depends on (under WATCH)
 *   rollup_migrate.c  sessions written by an earlier collector, moved
 *   rollup_caps.c     what one presentation may name
 *   rollup_write.c    the session state, marks and acknowledgements written
 *   rollup_apply.c    the transaction: read, apply, write, EXEC, retry
 */
#ifndef DP_ROLLUP_BATCH_H
#define DP_ROLLUP_BATCH_H

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "deckpulse/error.h"
#include "deckpulse/keys.h"
#include "entry.h"
#include "rollup.h"
#include "rollup_ops.h"
#include "strmap.h"

/* A field of a cached hash (or a member of a cached set). */
typedef struct cval {
    const char *field, *value;
    int dirty;
    struct cval *next;
} cval;

/* One of a session's small hashes or sets, read once per batch. */
typedef struct cache {
    const char *key;
    dp_strmap map; /* field -> cval */
    cval *list;
    int dirty;
} cache;

typedef struct sess {
    const char *sid;
    const char *presentation, *prospect, *account, *mode, *last, *exit;
    int64_t slides, maxidx, seen, lastseq, lastrecv;
    int completed, ended, isnew, dirty;
    int started;       /* its first event is in this batch: index it under its prospect */
    dp_strmap known;   /* seqs applied before or in this batch */
    const char **seqs; /* the batch's seqs of this session (for SMISMEMBER) */
    size_t nseqs;
    const char **fresh; /* seqs applied now */
    size_t nfresh;
    /* materials, slide versions and positions seen: fields "m:", "v:" and
     * "p:" of the session's hash (keys.h) */
    cache smat, ssv, sseen;
    int legacy; /* written by a collector before that: in keys of their own */
    /* for its alerts (keys.h, alerts:): the link's owner and campaign, its
     * first material, dwell and actions so far, session.started sent */
    const char *owner, *campaign, *material;
    int64_t dwell, nactions;
    int alerted;
    int ids_dirty;   /* owner, campaign or material set in this batch */
    int alert_dirty; /* dwell, actions or alerted changed in this batch */
} sess;

/* first/last seen of a prospect or account hash */
typedef struct seen_range {
    const char *key;
    int has_first, has_last, touched;
    int64_t first, last, bmin, bmax;
} seen_range;

/* viewers of a presentation on a day (forwarding) */
typedef struct pvd {
    const char *key, *pres, *day;
    int was_forwarded; /* the presentation was already (presentation.forwarded sent) */
    const char **viewers;
    size_t n;
    int applied;
    int forwarded; /* more than one browser that day, on any shard (rollup_state.c) */
} pvd;

/* the names a presentation's events bring, and what is known of them
 * (rollup_caps.h) */
typedef struct pcap {
    const char *pres, *tri_key, *act_key;
    dp_strmap tri, act; /* triple "material|slide|version" / action name -> state */
    const char **tris, **acts;
    size_t ntris, nacts;
    long long ntri_known, nact_known; /* in every shard's sets, plus admitted now */
} pcap;

typedef struct batch {
    dp_arena a;
    dp_ops ops;
    unsigned shard;  /* the batch's: its keys are dp:{shard}:... */
    char kbuf[512];  /* where KEY builds a key before the arena keeps it */
    unsigned shards; /* of the streams: the presentation viewers of a day are on all */
    /* in a cluster, another shard's connection (rollup_peers.h); NULL: one Redis */
    redisContext *(*peer)(void *ud, unsigned shard, dp_err *err);
    void *peer_ud;
    struct dp_peer_cache **peer_cache; /* the rollup's (rollup_peers.h) */
    sess **sv;
    size_t nsess;
    dp_strmap sessions; /* sid -> sess */
    seen_range *ranges;
    size_t nranges;
    dp_strmap range_ix; /* key -> seen_range index + 1 */
    pvd *pvds;
    size_t npvds;
    dp_strmap pvd_ix; /* key -> pvd index + 1 */
    pcap *pcaps;
    size_t npcaps;
    dp_strmap pcap_ix;                 /* presentation -> pcap index + 1 */
    long long max_slides, max_actions; /* per presentation (rollup_caps.h) */
    long long quiet_ms;                /* prospect.returned after this long */
    dp_strmap once;                    /* prospects whose link fields were set, timelines */
    dp_strmap touched;                 /* materials */
    const char **touched_list;
    size_t ntouched;
    const char **prospects; /* with events applied: re-ranked, timeline trimmed */
    size_t nprospects;
    const char *cur_day;
    const dp_entry *cur_ev; /* the event being applied */
    dp_buf out;             /* the MULTI block */
    dp_buf alerts;          /* the batch's alerts, one line each (rollup_alerts.h) */
    size_t nalerts;
    size_t ncmds;
    int out_err;
    dp_rollup_counts k;
} batch;

/* The prefixes of the session hash's fields that hold smat, ssv, sseen. */
extern const char *const dp__rollup_cache_prefix[3];

/* A key of the batch's shard, made by its kind's builder (deckpulse/keys.h),
 * in the arena: KEY(b, pd, prospect, day, mode), KEY0(b, open). */
#define KEY(b, kind, ...)                                                                          \
    dp__rb_key((b), dp_key_##kind((b)->kbuf, sizeof((b)->kbuf), (b)->shard, __VA_ARGS__))
#define KEY0(b, kind) dp__rb_key((b), dp_key_##kind((b)->kbuf, sizeof((b)->kbuf), (b)->shard))
#define CAT(b, ...)   dp_arena_cat(&(b)->a, __VA_ARGS__, (const char *)NULL)
#define LIST_MAX      1000 /* values of a list per command (an even number: pairs stay whole) */

static inline void *grow(void *p, size_t n, size_t size)
{
    /* arrays grow by doubling at powers of two */
    if (n == 0 || (n & (n - 1)) == 0) p = dp_realloc(p, (n ? n * 2 : 4) * size);
    return p;
}

static inline void hincr(batch *b, const char *key, const char *field, int64_t n)
{
    dp_ops_add(&b->ops, DP_OP_HINCR, key, field, NULL, n);
}

static inline void add(batch *b, dp_op_kind kind, const char *key, const char *member)
{
    dp_ops_add(&b->ops, kind, key, member, NULL, 0);
}

/* Appends head[0..nhead) followed by list[0..nlist) in RESP to o: one
 * command, or several of at most LIST_MAX list values each, all with the
 * same head. *ncmds counts them. 0 or -E2BIG. */
int dp__rb_put_cmds(dp_buf *o, size_t *ncmds, const char *const *head, size_t nhead,
                    const char *const *list, size_t nlist);

/* Commands of the MULTI block: head + list as above. */
static inline void write_list(batch *b, const char *const *head, size_t nhead,
                              const char *const *list, size_t nlist)
{
    if (dp__rb_put_cmds(&b->out, &b->ncmds, head, nhead, list, nlist) != 0) b->out_err = 1;
}

/* One command of the MULTI block. */
static inline void write_cmd(batch *b, int argc, const char *const *argv)
{
    write_list(b, argv, (size_t)argc, NULL, 0);
}

/* --- caches --- */

static inline cval *cache_get(const cache *c, const char *field)
{
    return dp_strmap_get(&c->map, field, strlen(field));
}

static inline void cache_put(batch *b, cache *c, const char *field, const char *value, int dirty)
{
    cval *v = cache_get(c, field);
    if (v == NULL) {
        v = dp_arena_alloc(&b->a, sizeof(cval));
        v->field = dp_arena_strn(&b->a, field, strlen(field));
        v->next = c->list;
        c->list = v;
        v->dirty = 0;
        dp_strmap_put(&c->map, v->field, strlen(v->field), v);
    }
    v->value = value;
    if (dirty) {
        v->dirty = 1;
        c->dirty = 1;
    }
}

static inline const char *cache_value(const cache *c, const char *field)
{
    cval *v = cache_get(c, field);
    return v ? v->value : NULL;
}

/* --- the batch's sessions, ranges and viewers --- */

/* The session sid of the batch (created, zeroed, the first time). */
sess *dp__rb_session(batch *b, const char *sid);
/* The first/last seen range of a prospect or account hash key. */
seen_range *dp__rb_range(batch *b, const char *key);
/* The viewers of presentation pres on day. */
pvd *dp__rb_pvd(batch *b, const char *pres, const char *day);
/* The key a builder just made in b->kbuf (its length, as the builder
 * returned it), kept in the arena. */
const char *dp__rb_key(batch *b, int len);
/* Frees what the batch holds (not b itself). */
void dp__rb_free(batch *b);
/* The next reply of rc, or NULL with err set (-EIO). */
redisReply *dp__rollup_next_reply(redisContext *rc, dp_err *err);

/* 1 the first time tag is seen in the batch, then 0. */
static inline int once(batch *b, const char *tag)
{
    size_t n = strlen(tag);
    if (dp_strmap_get(&b->once, tag, n)) return 0;
    dp_strmap_put(&b->once, tag, n, (void *)1);
    return 1;
}

static inline void touch(batch *b, const char *material)
{
    size_t n = strlen(material);
    if (dp_strmap_get(&b->touched, material, n)) return;
    dp_strmap_put(&b->touched, material, n, (void *)1);
    b->touched_list = grow(b->touched_list, b->ntouched, sizeof(char *));
    b->touched_list[b->ntouched++] = material;
}

#endif
