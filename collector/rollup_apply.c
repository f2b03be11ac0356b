/* Applying a batch of events in the collector, exactly once and atomically
 * (the rules of PRODUCT.md's metric definitions; the key layout of
 * include/deckpulse/keys.h):
 *
 *  1. read the state the batch depends on: each session's hash (with its
 *     materials, slide versions and positions seen: keys.h), which of its
 *     seqs were applied before (SMISMEMBER), and the first/last seen of
 *     its prospect and account; the session hashes and the seen ranges
 *     under WATCH (read_state says why that covers the rest);
 *  2. apply the events to that state here, gathering every write
 *     (rollup_ops.h: one HINCRBY per counter field, one SADD / PFADD /
 *     ZADD per key);
 *  3. send the writes and the XACK in one MULTI/EXEC. If any watched key
 *     changed meanwhile (another collector, a sweep, an erasure) EXEC does
 *     nothing and the batch starts again from 1.
 *
 * A Lua script doing the same per event cost Redis ~30 us an event, most
 * of it in the interpreter (bench/RESULTS.md); here Redis runs a few plain
 * commands per event and the logic runs in C. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/keys.h"
#include "log.h"
#include "resp.h"
#include "rollup.h"
#include "rollup_ops.h"
#include "strmap.h"

#define ATTEMPTS 8 /* EXECs refused because a watched key changed, then -EIO */

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
} sess;

/* The prefixes of the session hash's fields that hold smat, ssv, sseen. */
static const char *const cache_prefix[3] = {"m:", "v:", "p:"};

/* first/last seen of a prospect or account hash */
typedef struct seen_range {
    const char *key;
    int has_first, has_last, touched;
    int64_t first, last, bmin, bmax;
} seen_range;

/* viewers of a presentation on a day (forwarding) */
typedef struct pvd {
    const char *key, *pres, *day;
    const char **viewers;
    size_t n;
    int applied;
    long long count; /* PFCOUNT after adding the batch's viewers, over every shard */
} pvd;

typedef struct batch {
    dp_arena a;
    dp_ops ops;
    const char *P;   /* "dp:{N}:" */
    unsigned shards; /* of the streams: the presentation viewers of a day are on all */
    sess **sv;
    size_t nsess;
    dp_strmap sessions; /* sid -> sess */
    seen_range *ranges;
    size_t nranges;
    dp_strmap range_ix; /* key -> seen_range index + 1 */
    pvd *pvds;
    size_t npvds;
    dp_strmap pvd_ix;  /* key -> pvd index + 1 */
    dp_strmap once;    /* prospects whose link fields were set, timelines */
    dp_strmap touched; /* materials */
    const char **touched_list;
    size_t ntouched;
    const char **prospects; /* with events applied: re-ranked, timeline trimmed */
    size_t nprospects;
    const char *cur_day;
    dp_buf out; /* the MULTI block */
    size_t ncmds;
    int out_err;
    dp_rollup_counts k;
} batch;

#define KEY(b, ...) dp_arena_cat(&(b)->a, (b)->P, __VA_ARGS__, (const char *)NULL)
#define CAT(b, ...) dp_arena_cat(&(b)->a, __VA_ARGS__, (const char *)NULL)

static void *grow(void *p, size_t n, size_t size)
{
    /* arrays grow by doubling at powers of two */
    if (n == 0 || (n & (n - 1)) == 0) p = dp_realloc(p, (n ? n * 2 : 4) * size);
    return p;
}

static void hincr(batch *b, const char *key, const char *field, int64_t n)
{
    dp_ops_add(&b->ops, DP_OP_HINCR, key, field, NULL, n);
}

static void add(batch *b, dp_op_kind kind, const char *key, const char *member)
{
    dp_ops_add(&b->ops, kind, key, member, NULL, 0);
}

#define LIST_MAX 1000 /* values of a list per command (an even number: pairs stay whole) */

/* Appends head[0..nhead) followed by list[0..nlist) in RESP to o: one
 * command, or several of at most LIST_MAX list values each, all with the
 * same head. *ncmds counts them. 0 or -E2BIG. */
static int put_cmds(dp_buf *o, size_t *ncmds, const char *const *head, size_t nhead,
                    const char *const *list, size_t nlist)
{
    int rc = 0;
    size_t i = 0;
    do {
        size_t k = nlist - i < LIST_MAX ? nlist - i : LIST_MAX;
        rc |= dp_resp_array(o, nhead + k);
        for (size_t j = 0; j < nhead; j++)
            rc |= dp_resp_str(o, head[j]);
        for (size_t j = 0; j < k; j++)
            rc |= dp_resp_str(o, list[i + j]);
        (*ncmds)++;
        i += k;
    } while (i < nlist);
    return rc ? -E2BIG : 0;
}

/* Commands of the MULTI block: head + list as above. */
static void write_list(batch *b, const char *const *head, size_t nhead, const char *const *list,
                       size_t nlist)
{
    if (put_cmds(&b->out, &b->ncmds, head, nhead, list, nlist) != 0) b->out_err = 1;
}

/* One command of the MULTI block. */
static void write_cmd(batch *b, int argc, const char *const *argv)
{
    write_list(b, argv, (size_t)argc, NULL, 0);
}

/* --- caches --- */

static cval *cache_get(const cache *c, const char *field)
{
    return dp_strmap_get(&c->map, field, strlen(field));
}

static void cache_put(batch *b, cache *c, const char *field, const char *value, int dirty)
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

static const char *cache_value(const cache *c, const char *field)
{
    cval *v = cache_get(c, field);
    return v ? v->value : NULL;
}

/* --- the batch's sessions, ranges and viewers --- */

static sess *session_of(batch *b, const char *sid)
{
    sess *s = dp_strmap_get(&b->sessions, sid, strlen(sid));
    if (s) return s;
    s = dp_calloc(1, sizeof(*s));
    s->sid = sid;
    s->smat.key = KEY(b, "smat:", sid);
    s->ssv.key = KEY(b, "ssv:", sid);
    s->sseen.key = KEY(b, "sseen:", sid);
    dp_strmap_put(&b->sessions, sid, strlen(sid), s);
    b->sv = grow(b->sv, b->nsess, sizeof(sess *));
    b->sv[b->nsess++] = s;
    return s;
}

static seen_range *range_of(batch *b, const char *key)
{
    uintptr_t ix = (uintptr_t)dp_strmap_get(&b->range_ix, key, strlen(key));
    if (ix) return &b->ranges[ix - 1];
    b->ranges = grow(b->ranges, b->nranges, sizeof(seen_range));
    seen_range *r = &b->ranges[b->nranges++];
    memset(r, 0, sizeof(*r));
    r->key = key;
    dp_strmap_put(&b->range_ix, key, strlen(key), (void *)(uintptr_t)b->nranges);
    return r;
}

static pvd *pvd_of(batch *b, const char *pres, const char *day)
{
    const char *key = KEY(b, "pvd:", pres, ":", day);
    uintptr_t ix = (uintptr_t)dp_strmap_get(&b->pvd_ix, key, strlen(key));
    if (ix) return &b->pvds[ix - 1];
    b->pvds = grow(b->pvds, b->npvds, sizeof(pvd));
    pvd *p = &b->pvds[b->npvds++];
    memset(p, 0, sizeof(*p));
    p->key = key;
    p->pres = pres;
    p->day = day;
    dp_strmap_put(&b->pvd_ix, key, strlen(key), (void *)(uintptr_t)b->npvds);
    return p;
}

static int once(batch *b, const char *tag)
{
    size_t n = strlen(tag);
    if (dp_strmap_get(&b->once, tag, n)) return 0;
    dp_strmap_put(&b->once, tag, n, (void *)1);
    return 1;
}

static void touch(batch *b, const char *material)
{
    size_t n = strlen(material);
    if (dp_strmap_get(&b->touched, material, n)) return;
    dp_strmap_put(&b->touched, material, n, (void *)1);
    b->touched_list = grow(b->touched_list, b->ntouched, sizeof(char *));
    b->touched_list[b->ntouched++] = material;
}

/* --- the rules --- */

/* "material|slide|version|day|mode" -> its exits counter */
static void move_exit(batch *b, const char *old, const char *new)
{
    const char *ends[2] = {old, new};
    for (int i = 0; i < 2; i++) {
        const char *x = ends[i];
        if (x == NULL || *x == '\0') continue;
        char part[5][72];
        const char *p = x;
        int k = 0;
        for (; k < 5; k++) {
            const char *bar = k < 4 ? strchr(p, '|') : p + strlen(p);
            if (bar == NULL || (size_t)(bar - p) >= sizeof(part[k])) break;
            memcpy(part[k], p, (size_t)(bar - p));
            part[k][bar - p] = '\0';
            p = bar + 1;
        }
        if (k < 5) continue; /* not ours: written by a future version */
        hincr(b, KEY(b, "slides:", part[0], ":", part[3], ":", part[4]),
              CAT(b, part[1], "|", part[2], "|exits"), i == 0 ? -1 : 1);
    }
}

static void end_session(batch *b, sess *s)
{
    if (s->ended) return;
    s->ended = 1;
    s->dirty = 1;
    if (s->last && *s->last) {
        move_exit(b, NULL, s->last);
        s->exit = s->last;
        const char *bar = strchr(s->last, '|');
        touch(b, dp_arena_strn(&b->a, s->last, bar ? (size_t)(bar - s->last) : strlen(s->last)));
    }
}

/* The session just became complete: count it for every material it viewed. */
static void complete(batch *b, sess *s)
{
    s->completed = 1;
    s->dirty = 1;
    for (cval *v = s->smat.list; v; v = v->next) {
        if (strncmp(v->field, "x|", 2) == 0) continue;
        hincr(b, KEY(b, "mat:", v->field, ":", v->value, ":", s->mode), "completed", 1);
        if (s->prospect && *s->prospect)
            hincr(b, KEY(b, "pd:", s->prospect, ":", v->value, ":", s->mode),
                  CAT(b, "m:", v->field, ":completed"), 1);
    }
    hincr(b, KEY(b, "pres:", s->presentation), "completed", 1);
    hincr(b, KEY(b, "presd:", s->presentation, ":", b->cur_day, ":", s->mode), "completed", 1);
}

static void check_complete(batch *b, sess *s)
{
    if (!s->completed && s->slides > 0 && s->maxidx >= s->slides - 1) complete(b, s);
}

static void minmax(batch *b, const char *key, int64_t received)
{
    seen_range *r = range_of(b, key);
    if (!r->touched || received < r->bmin) r->bmin = received;
    if (!r->touched || received > r->bmax) r->bmax = received;
    r->touched = 1;
}

static void apply_view(batch *b, sess *s, const dp_entry *e, const char *pr, const char *prk,
                       const char *sk, const char *sv, const char *mk, const char *pdk,
                       const char *ps, const char *idx, const char *version, const char *who)
{
    const char *m = e->material;
    int placed = s->slides == 0 || e->index < s->slides;
    if (!placed) b->k.unplaced++;
    hincr(b, sk, CAT(b, sv, "views"), 1);
    add(b, DP_OP_PFADD, KEY(b, "sv:", m, ":", e->slide, ":", version, ":", e->day, ":", e->mode),
        who);
    hincr(b, mk, "views", 1);
    add(b, DP_OP_PFADD, KEY(b, "mv:", m, ":", e->day, ":", e->mode), who);
    /* the session counts for the material on the day of its earliest view
     * of it; x<k>: sessions whose deepest position in the material is k */
    const char *xm = CAT(b, "x|", m);
    const char *had = cache_value(&s->smat, m), *deep = cache_value(&s->smat, xm);
    const char *day = had;
    if (had == NULL || strcmp(e->day, had) < 0) {
        day = e->day;
        cache_put(b, &s->smat, m, e->day, 1);
        const char *msk = KEY(b, "mat:", m, ":", e->day, ":", s->mode);
        hincr(b, msk, "sessions", 1);
        if (s->completed) hincr(b, msk, "completed", 1);
        if (had) {
            const char *old = KEY(b, "mat:", m, ":", had, ":", s->mode);
            hincr(b, old, "sessions", -1);
            if (s->completed) hincr(b, old, "completed", -1);
            if (deep) {
                hincr(b, old, CAT(b, "x", deep), -1);
                hincr(b, msk, CAT(b, "x", deep), 1);
            }
        }
        if (s->completed && prk) {
            const char *f = CAT(b, "m:", m, ":completed");
            if (had) hincr(b, KEY(b, "pd:", pr, ":", had, ":", s->mode), f, -1);
            hincr(b, pdk, f, 1);
        }
    }
    if (placed && (deep == NULL || e->index > strtoll(deep, NULL, 10))) {
        cache_put(b, &s->smat, xm, idx, 1);
        const char *msk = KEY(b, "mat:", m, ":", day, ":", s->mode);
        if (deep) hincr(b, msk, CAT(b, "x", deep), -1);
        hincr(b, msk, CAT(b, "x", idx), 1);
    }
    /* sessions per slide version, on the day of the session's earliest view of it */
    const char *svf = CAT(b, m, "|", sv);
    const char *shad = cache_value(&s->ssv, svf);
    if (shad == NULL || strcmp(e->day, shad) < 0) {
        cache_put(b, &s->ssv, svf, e->day, 1);
        hincr(b, sk, CAT(b, sv, "sessions"), 1);
        if (shad)
            hincr(b, KEY(b, "slides:", m, ":", shad, ":", e->mode), CAT(b, sv, "sessions"), -1);
    }
    if (prk) {
        hincr(b, pdk, "views", 1);
        hincr(b, pdk, CAT(b, ps, ":views"), 1);
        add(b, DP_OP_SADD, KEY(b, "pseen:", pr, ":", m), e->slide);
    }
    /* exit slide: the view with the highest seq */
    if (e->seq > s->lastseq) {
        const char *nw = CAT(b, m, "|", e->slide, "|", version, "|", e->day, "|", e->mode);
        s->lastseq = e->seq;
        if (s->ended) {
            move_exit(b, s->exit, nw);
            s->exit = nw;
        }
        s->last = nw;
    }
    /* slides seen: distinct positions of the presentation viewed */
    if (placed && cache_get(&s->sseen, idx) == NULL) {
        cache_put(b, &s->sseen, idx, "", 1);
        s->seen++;
    }
    if (placed && e->index > s->maxidx) {
        s->maxidx = e->index;
        check_complete(b, s);
    }
}

static void apply(batch *b, sess *s, const dp_entry *e)
{
    b->cur_day = e->day;
    const char *pr = e->prospect ? e->prospect : "";
    const char *acct = e->prospect && e->account ? e->account : "";
    const char *who = e->prospect ? e->prospect : e->viewer;
    const char *prk = *pr ? KEY(b, "prospect:", pr) : NULL;
    const char *ack = *acct ? KEY(b, "account:", acct) : NULL;
    if (s->isnew) {
        s->isnew = 0;
        s->started = 1;
        s->presentation = e->presentation;
        s->prospect = pr;
        s->account = acct;
        s->mode = e->mode;
        s->maxidx = s->lastseq = -1;
        s->slides = s->completed = s->ended = 0;
        hincr(b, KEY(b, "pres:", e->presentation), "sessions", 1);
        hincr(b, KEY(b, "presd:", e->presentation, ":", e->day, ":", e->mode), "sessions", 1);
        if (prk) hincr(b, KEY(b, "pd:", pr, ":", e->day, ":", s->mode), "sessions", 1);
    }
    s->lastrecv = e->received;
    s->dirty = 1;

    /* presentation: distinct browsers, forwarding */
    const char *pres = e->presentation;
    add(b, DP_OP_SADD, KEY(b, "presentations"), pres);
    add(b, DP_OP_PFADD, KEY(b, "pv:", pres), e->viewer);
    add(b, DP_OP_SADD, KEY(b, "pvdays:", pres), e->day);
    pvd_of(b, pres, e->day)->applied = 1;

    if (prk) {
        minmax(b, prk, e->received);
        /* the link's account, campaign and owner, for filters (latest link wins) */
        if (once(b, CAT(b, "A|", pr))) {
            const char *argv[] = {"HSET",     prk,
                                  "account",  acct,
                                  "campaign", e->campaign ? e->campaign : "",
                                  "owner",    e->owner ? e->owner : ""};
            write_cmd(b, 8, argv);
        }
        if (ack) {
            minmax(b, ack, e->received);
            add(b, DP_OP_SADD, KEY(b, "aprospects:", acct), pr);
        }
        add(b, DP_OP_SADD, KEY(b, "pdays:", pr), e->day);
        add(b, DP_OP_SADD, KEY(b, "ppres:", pr), pres);
        if (once(b, CAT(b, "P|", pr))) {
            b->prospects = grow(b->prospects, b->nprospects, sizeof(char *));
            b->prospects[b->nprospects++] = pr;
        }
    }
    const char *pdk = prk ? KEY(b, "pd:", pr, ":", e->day, ":", s->mode) : NULL;
    const char *m = "", *slide = "", *version = "", *value = "";
    switch (e->type) {
    case DP_EV_OPEN:
        if (e->slides > 0) {
            s->slides = e->slides;
            value = dp_arena_i64(&b->a, e->slides);
            check_complete(b, s);
        }
        break;
    case DP_EV_VIEW:
    case DP_EV_DWELL:
    case DP_EV_ACTION: {
        m = e->material;
        slide = e->slide;
        version = dp_arena_i64(&b->a, e->version);
        const char *sk = KEY(b, "slides:", m, ":", e->day, ":", e->mode);
        const char *sv = CAT(b, slide, "|", version, "|");
        const char *mk = KEY(b, "mat:", m, ":", e->day, ":", e->mode);
        add(b, DP_OP_SADD, KEY(b, "materials"), m);
        add(b, DP_OP_SADD, KEY(b, "days:", m), e->day);
        touch(b, m);
        const char *ps = CAT(b, "s:", m, "|", slide, "|", version);
        if (e->type == DP_EV_VIEW) {
            value = dp_arena_i64(&b->a, e->index);
            apply_view(b, s, e, pr, prk, sk, sv, mk, pdk, ps, value, version, who);
        } else if (e->type == DP_EV_DWELL) {
            char bucket[16];
            snprintf(bucket, sizeof(bucket), "h%d", e->bucket);
            value = dp_arena_i64(&b->a, e->ms);
            hincr(b, sk, CAT(b, sv, "dwell_sum"), e->ms);
            hincr(b, sk, CAT(b, sv, "dwell_n"), 1);
            hincr(b, sk, CAT(b, sv, bucket), 1);
            hincr(b, mk, "dwell_sum", e->ms);
            hincr(b, mk, "dwell_n", 1);
            hincr(b, mk, CAT(b, bucket), 1);
            if (prk) {
                hincr(b, pdk, "dwell", e->ms);
                hincr(b, pdk, CAT(b, "m:", m, ":dwell"), e->ms);
                hincr(b, pdk, CAT(b, ps, ":dwell"), e->ms);
            }
        } else {
            value = e->name;
            hincr(b, sk, CAT(b, sv, "a:", e->name), 1);
            if (prk) hincr(b, pdk, CAT(b, "a:", e->name), 1);
        }
        break;
    }
    case DP_EV_CLOSE:
        end_session(b, s);
        break;
    default:
        break;
    }
    if (prk) {
        const char *at = dp_arena_i64(&b->a, e->at);
        dp_ops_add(&b->ops, DP_OP_ZADD, KEY(b, "ptl:", pr),
                   CAT(b, at, "|", s->sid, "|", dp_arena_i64(&b->a, e->seq), "|",
                       dp_event_type_names[e->type], "|", m, "|", slide, "|", version, "|", value),
                   at, 0);
    }
}

/* --- 1. reading the state --- */

static const char *field_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && !strcmp(r->element[i]->str, name) &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

static int64_t int_or(const char *s, int64_t dflt)
{
    return s ? strtoll(s, NULL, 10) : dflt;
}

static void load_session(batch *b, sess *s, const redisReply *r)
{
    s->isnew = r->elements == 0;
    if (s->isnew) return;
    const char *str[6] = {field_of(r, "presentation"), field_of(r, "prospect"),
                          field_of(r, "account"),      field_of(r, "mode"),
                          field_of(r, "last"),         field_of(r, "exit")};
    const char **dst[6] = {&s->presentation, &s->prospect, &s->account,
                           &s->mode,         &s->last,     &s->exit};
    for (int i = 0; i < 6; i++)
        *dst[i] = str[i] ? dp_arena_strn(&b->a, str[i], strlen(str[i])) : (i < 4 ? "" : NULL);
    s->slides = int_or(field_of(r, "slides"), 0);
    s->maxidx = int_or(field_of(r, "maxidx"), -1);
    s->seen = int_or(field_of(r, "seen"), 0);
    s->lastseq = int_or(field_of(r, "lastseq"), -1);
    s->lastrecv = int_or(field_of(r, "lastrecv"), 0);
    const char *c = field_of(r, "completed"), *e = field_of(r, "ended");
    s->completed = c && !strcmp(c, "1");
    s->ended = e && !strcmp(e, "1");
}

/* The session hash's "m:", "v:" and "p:" fields into its caches; a
 * session written before they were there (no "f" field) is legacy. */
static void load_caches(batch *b, sess *s, const redisReply *r)
{
    cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING || f->len < 3 ||
            f->str[1] != ':')
            continue;
        for (int k = 0; k < 3; k++)
            if (f->str[0] == cache_prefix[k][0])
                cache_put(b, cs[k], f->str + 2, k == 2 ? "" : dp_arena_strn(&b->a, v->str, v->len),
                          0);
    }
    s->legacy = !s->isnew && field_of(r, "f") == NULL;
}

/* A legacy session's smat/ssv hash or sseen set, all of it to be written
 * into the session hash (dirty). */
static void load_cache(batch *b, cache *c, const redisReply *r, int is_set)
{
    for (size_t i = 0; i < r->elements; i += is_set ? 1 : 2) {
        const redisReply *f = r->element[i];
        const redisReply *v = is_set ? NULL : r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || (v && v->type != REDIS_REPLY_STRING)) continue;
        cache_put(b, c, f->str, v ? dp_arena_strn(&b->a, v->str, v->len) : "", 1);
    }
}

static redisReply *next_reply(redisContext *rc, dp_err *err)
{
    void *r = NULL;
    if (redisGetReply(rc, &r) != REDIS_OK) {
        dp_err_set(err, -EIO, "redis: %s", rc->errstr);
        return NULL;
    }
    return r;
}

/* Sessions a collector before this one wrote keep their materials, slide
 * versions and positions in keys of their own: read them (once: the write
 * moves them into the session hash and deletes the keys). */
static int read_legacy(batch *b, redisContext *rc, dp_err *err)
{
    dp_buf q;
    dp_buf_init(&q, 0);
    size_t nq = 0;
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (!s->legacy) continue;
        const char *a2[] = {"HGETALL", s->smat.key};
        const char *a3[] = {"HGETALL", s->ssv.key};
        const char *a4[] = {"SMEMBERS", s->sseen.key};
        put_cmds(&q, &nq, a2, 2, NULL, 0);
        put_cmds(&q, &nq, a3, 2, NULL, 0);
        put_cmds(&q, &nq, a4, 2, NULL, 0);
    }
    if (nq == 0) {
        dp_buf_free(&q);
        return 0;
    }
    int rc2 = 0;
    if (redisAppendFormattedCommand(rc, q.data, q.len) != REDIS_OK) {
        dp_buf_free(&q);
        return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    }
    dp_buf_free(&q);
    /* every reply is read, whatever happens */
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (!s->legacy) continue;
        cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
        for (int k = 0; k < 3; k++) {
            redisReply *r = next_reply(rc, err);
            if (r == NULL) return -EIO;
            if (r->type == REDIS_REPLY_ARRAY)
                load_cache(b, cs[k], r, k == 2);
            else if (rc2 == 0)
                rc2 = dp_err_set(err, -EINVAL, "rollup read: legacy session state: %.200s",
                                 r->type == REDIS_REPLY_ERROR ? r->str : "not a hash or set");
            freeReplyObject(r);
        }
    }
    return rc2;
}

static int read_state(batch *b, redisContext *rc, dp_err *err)
{
    dp_buf q;
    dp_buf_init(&q, 0);
    size_t nq = 0;
    /* WATCH each session's hash and the seen ranges. A session's other
     * state (its seen set, and a legacy session's smat, ssv, sseen) is
     * only ever written together with its hash (write_back: any applied
     * event rewrites the hash; the sweep and the erasure change the hash
     * too), so a change to any of them changes the hash. Redis 7.0's WATCH
     * compares each key with every key already watched: five keys a
     * session made it 25 times dearer. */
    const char **keys = NULL;
    size_t nk = 0;
    for (size_t i = 0; i < b->nsess; i++) {
        keys = grow(keys, nk, sizeof(char *));
        keys[nk++] = KEY(b, "sess:", b->sv[i]->sid);
    }
    for (size_t i = 0; i < b->nranges; i++) {
        keys = grow(keys, nk, sizeof(char *));
        keys[nk++] = b->ranges[i].key;
    }
    const char *watch[] = {"WATCH"};
    put_cmds(&q, &nq, watch, 1, keys, nk);
    size_t nwatch = nq;
    size_t *nmis = dp_calloc(b->nsess ? b->nsess : 1, sizeof(size_t));
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        const char *a1[] = {"HGETALL", keys[i]};
        put_cmds(&q, &nq, a1, 2, NULL, 0);
        const char *mis[] = {"SMISMEMBER", KEY(b, "seen:", s->sid)};
        size_t before = nq;
        put_cmds(&q, &nq, mis, 2, s->seqs, s->nseqs);
        nmis[i] = nq - before;
    }
    for (size_t i = 0; i < b->nranges; i++) {
        const char *a[] = {"HMGET", b->ranges[i].key, "first_seen", "last_seen"};
        put_cmds(&q, &nq, a, 4, NULL, 0);
    }
    /* viewers per presentation and day: added now (adding twice changes
     * nothing), so the count says whether it was forwarded. Sessions of one
     * presentation spread over the shards, so the count is the union of
     * every shard's (one PFCOUNT on one Redis): whichever of two browsers
     * on different shards is added last sees both. */
    for (size_t i = 0; i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        const char *add[] = {"PFADD", p->key};
        put_cmds(&q, &nq, add, 2, p->viewers, p->n);
        const char *a[] = {"PFCOUNT"};
        const char *shard_keys[DP_SHARDS_MAX];
        unsigned ns = b->shards > 1 && b->shards <= DP_SHARDS_MAX ? b->shards : 0;
        for (unsigned k = 0; k < ns; k++)
            shard_keys[k] = dp_arena_cat(&b->a, "dp:{", dp_arena_i64(&b->a, k), "}:pvd:", p->pres,
                                         ":", p->day, (const char *)NULL);
        if (ns)
            put_cmds(&q, &nq, a, 1, shard_keys, ns);
        else
            put_cmds(&q, &nq, (const char *const[]){"PFCOUNT", p->key}, 2, NULL, 0);
    }
    int rc2 = 0;
    if (redisAppendFormattedCommand(rc, q.data, q.len) != REDIS_OK)
        rc2 = dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    dp_buf_free(&q);
    /* the replies, in the same order; all of them are read whatever happens */
    size_t got = 0;
    redisReply **rs = dp_calloc(nq ? nq : 1, sizeof(redisReply *));
    for (; rc2 == 0 && got < nq; got++)
        if ((rs[got] = next_reply(rc, err)) == NULL) rc2 = -EIO;
    for (size_t i = 0; rc2 == 0 && i < nq; i++)
        if (rs[i]->type == REDIS_REPLY_ERROR)
            rc2 = dp_err_set(err, -EINVAL, "rollup read: %.200s", rs[i]->str);
    size_t at = nwatch;
    for (size_t i = 0; rc2 == 0 && i < b->nsess; i++) {
        sess *s = b->sv[i];
        const redisReply *h = rs[at++];
        if (h->type != REDIS_REPLY_ARRAY) {
            rc2 = dp_err_set(err, -EINVAL, "rollup read: session state is not a hash");
            break;
        }
        load_session(b, s, h);
        load_caches(b, s, h);
        size_t base = 0;
        for (size_t c = 0; c < nmis[i]; c++, at++) {
            const redisReply *r = rs[at];
            for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j < r->elements; j++)
                if (r->element[j]->integer == 1)
                    dp_strmap_put(&s->known, s->seqs[base + j], strlen(s->seqs[base + j]),
                                  (void *)1);
            base += LIST_MAX;
        }
    }
    for (size_t i = 0; rc2 == 0 && i < b->nranges; i++) {
        const redisReply *r = rs[at++];
        seen_range *g = &b->ranges[i];
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            g->has_first = r->element[0]->type == REDIS_REPLY_STRING;
            g->has_last = r->element[1]->type == REDIS_REPLY_STRING;
            if (g->has_first) g->first = strtoll(r->element[0]->str, NULL, 10);
            if (g->has_last) g->last = strtoll(r->element[1]->str, NULL, 10);
        }
    }
    for (size_t i = 0; rc2 == 0 && i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        at += (p->n + LIST_MAX - 1) / LIST_MAX;
        p->count = rs[at++]->integer;
    }
    for (size_t i = 0; i < got; i++)
        if (rs[i]) freeReplyObject(rs[i]);
    dp_free(rs);
    dp_free(nmis);
    dp_free(keys);
    if (rc2 == 0) rc2 = read_legacy(b, rc, err);
    return rc2;
}

/* --- 3. the writes --- */

/* The dirty fields of a session's caches, prefixed, as HSET pairs. */
static const char **cache_fields(batch *b, sess *s, const char **argv, size_t *n)
{
    cache *cs[3] = {&s->smat, &s->ssv, &s->sseen};
    for (int k = 0; k < 3; k++) {
        if (!cs[k]->dirty) continue;
        for (cval *v = cs[k]->list; v; v = v->next) {
            if (!v->dirty) continue;
            argv = grow(argv, *n, sizeof(char *));
            argv[(*n)++] = CAT(b, cache_prefix[k], v->field);
            argv = grow(argv, *n, sizeof(char *));
            argv[(*n)++] = k == 2 ? "1" : v->value;
        }
    }
    return argv;
}

static void write_back(batch *b, const char *ttl, const char *stream, const char *group,
                       const char **acks, size_t nacks)
{
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        if (s->nfresh) {
            const char *seen = KEY(b, "seen:", s->sid);
            const char *head[] = {"SADD", seen};
            write_list(b, head, 2, s->fresh, s->nfresh);
            const char *pe[] = {"PEXPIRE", seen, ttl};
            write_cmd(b, 3, pe);
        }
        if (s->started && s->prospect && *s->prospect) {
            /* the prospect's sessions, so an erasure finds every one of them
             * (the timeline keeps only the newest events) */
            const char *ps = KEY(b, "psess:", s->prospect);
            const char *sa[] = {"SADD", ps, s->sid};
            write_cmd(b, 3, sa);
            const char *pe[] = {"PEXPIRE", ps, ttl};
            write_cmd(b, 3, pe);
        }
        if (!s->dirty) continue;
        const char *k = KEY(b, "sess:", s->sid);
        const char *lastrecv = dp_arena_i64(&b->a, s->lastrecv);
        /* the state and the dirty cache fields in one HSET, one PEXPIRE */
        const char *hs[] = {"f",
                            "2",
                            "presentation",
                            s->presentation,
                            "prospect",
                            s->prospect ? s->prospect : "",
                            "account",
                            s->account ? s->account : "",
                            "mode",
                            s->mode,
                            "slides",
                            dp_arena_i64(&b->a, s->slides),
                            "maxidx",
                            dp_arena_i64(&b->a, s->maxidx),
                            "seen",
                            dp_arena_i64(&b->a, s->seen),
                            "completed",
                            s->completed ? "1" : "0",
                            "lastseq",
                            dp_arena_i64(&b->a, s->lastseq),
                            "last",
                            s->last ? s->last : "",
                            "ended",
                            s->ended ? "1" : "0",
                            "exit",
                            s->exit ? s->exit : "",
                            "lastrecv",
                            lastrecv};
        size_t nf = sizeof(hs) / sizeof(hs[0]);
        size_t cap = 4;
        while (cap < nf)
            cap *= 2; /* what grow() expects: it doubles at powers of two */
        const char **fields = dp_malloc(cap * sizeof(char *));
        memcpy(fields, hs, sizeof(hs));
        fields = cache_fields(b, s, fields, &nf);
        const char *head[] = {"HSET", k};
        write_list(b, head, 2, fields, nf);
        dp_free(fields);
        if (s->legacy) {
            const char *del[] = {"DEL", s->smat.key, s->ssv.key, s->sseen.key};
            write_cmd(b, 4, del);
        }
        const char *pe[] = {"PEXPIRE", k, ttl};
        write_cmd(b, 3, pe);
        const char *open = KEY(b, "open");
        if (s->ended) {
            const char *z[] = {"ZREM", open, s->sid};
            write_cmd(b, 3, z);
        } else {
            const char *z[] = {"ZADD", open, lastrecv, s->sid};
            write_cmd(b, 4, z);
        }
    }
    if (dp_ops_emit(&b->ops, &b->out, &b->ncmds) != 0) b->out_err = 1;
    /* first and last seen of prospects and accounts */
    for (size_t i = 0; i < b->nranges; i++) {
        seen_range *g = &b->ranges[i];
        if (!g->touched) continue;
        if (!g->has_first || g->first > g->bmin) {
            const char *a[] = {"HSET", g->key, "first_seen", dp_arena_i64(&b->a, g->bmin)};
            write_cmd(b, 4, a);
        }
        if (!g->has_last || g->last < g->bmax) {
            g->last = g->bmax;
            const char *a[] = {"HSET", g->key, "last_seen", dp_arena_i64(&b->a, g->bmax)};
            write_cmd(b, 4, a);
        }
    }
    for (size_t i = 0; i < b->nprospects; i++) {
        const char *pr = b->prospects[i];
        const char *prk = KEY(b, "prospect:", pr);
        seen_range *g = range_of(b, prk);
        const char *z[] = {"ZADD", KEY(b, "prospects"), dp_arena_i64(&b->a, g->last), pr};
        write_cmd(b, 4, z);
        const char *t[] = {"ZREMRANGEBYRANK", KEY(b, "ptl:", pr), "0",
                           dp_arena_i64(&b->a, -1 - DP_TIMELINE_MAX)};
        write_cmd(b, 4, t);
    }
    for (size_t i = 0; i < b->npvds; i++) {
        pvd *p = &b->pvds[i];
        if (p->applied && p->count > 1) {
            const char *a[] = {"HSET", KEY(b, "pres:", p->pres), "forwarded", "1"};
            write_cmd(b, 4, a);
        }
    }
    if (b->k.applied > 0) {
        /* report caches compare these to know whether what they hold is current */
        const char *gen = KEY(b, "gen");
        const char *a[] = {"HINCRBY", gen, "*", "1"};
        write_cmd(b, 4, a);
        for (size_t i = 0; i < b->ntouched; i++) {
            const char *t[] = {"HINCRBY", gen, b->touched_list[i], "1"};
            write_cmd(b, 4, t);
        }
    }
    if (*group && nacks > 0) {
        const char *head[] = {"XACK", stream, group};
        write_list(b, head, 3, acks, nacks);
    }
    const char *ex[] = {"EXEC"};
    write_cmd(b, 1, ex);
}

/* --- the batch --- */

static void batch_free(batch *b)
{
    for (size_t i = 0; i < b->nsess; i++) {
        sess *s = b->sv[i];
        dp_strmap_free(&s->known);
        dp_strmap_free(&s->smat.map);
        dp_strmap_free(&s->ssv.map);
        dp_strmap_free(&s->sseen.map);
        dp_free(s->seqs);
        dp_free(s->fresh);
        dp_free(s);
    }
    dp_free(b->sv);
    dp_strmap_free(&b->sessions);
    dp_free(b->ranges);
    dp_strmap_free(&b->range_ix);
    for (size_t i = 0; i < b->npvds; i++)
        dp_free(b->pvds[i].viewers);
    dp_free(b->pvds);
    dp_strmap_free(&b->pvd_ix);
    dp_strmap_free(&b->once);
    dp_strmap_free(&b->touched);
    dp_free(b->touched_list);
    dp_free(b->prospects);
    dp_ops_free(&b->ops);
    dp_buf_free(&b->out);
    dp_arena_free(&b->a);
}

/* One attempt: 0, 1 (a watched key changed: try again), or an error. */
static int attempt(dp_rollup *ro, redisContext *rc, const char *P, const char *stream,
                   const char *group, const dp_entry *e, size_t n, dp_rollup_counts *counts,
                   dp_err *err)
{
    batch b;
    memset(&b, 0, sizeof(b));
    b.P = P;
    b.shards = ro->shards;
    b.ops.zadd_keep = DP_TIMELINE_MAX; /* the only ZADDs: timelines, trimmed to that */
    dp_buf_init(&b.out, 0);
    const char **acks = dp_malloc((n ? n : 1) * sizeof(char *));
    const char **seqstr = dp_malloc((n ? n : 1) * sizeof(char *));
    size_t nacks = 0;
    /* what the batch touches: its sessions, prospects, accounts, viewers */
    for (size_t i = 0; i < n; i++) {
        sess *s = session_of(&b, e[i].session);
        seqstr[i] = dp_arena_i64(&b.a, e[i].seq);
        s->seqs = grow(s->seqs, s->nseqs, sizeof(char *));
        s->seqs[s->nseqs++] = seqstr[i];
        if (e[i].prospect) {
            range_of(&b, KEY(&b, "prospect:", e[i].prospect));
            if (e[i].account) range_of(&b, KEY(&b, "account:", e[i].account));
        }
        pvd *p = pvd_of(&b, e[i].presentation, e[i].day);
        p->viewers = grow(p->viewers, p->n, sizeof(char *));
        p->viewers[p->n++] = e[i].viewer;
    }
    int rc2 = read_state(&b, rc, err);
    if (rc2 == 0) {
        const char *multi[] = {"MULTI"};
        write_cmd(&b, 1, multi);
        for (size_t i = 0; i < n; i++) {
            sess *s = session_of(&b, e[i].session);
            const char *seq = seqstr[i];
            if (dp_strmap_get(&s->known, seq, strlen(seq)) == NULL) {
                dp_strmap_put(&s->known, seq, strlen(seq), (void *)1);
                s->fresh = grow(s->fresh, s->nfresh, sizeof(char *));
                s->fresh[s->nfresh++] = seq;
                apply(&b, s, &e[i]);
                b.k.applied++;
            } else {
                b.k.dups++;
            }
            /* the events of a batch entry share its id: acknowledged once */
            if (e[i].id[0] && (nacks == 0 || strcmp(acks[nacks - 1], e[i].id) != 0))
                acks[nacks++] = e[i].id;
        }
        char ttl[24];
        snprintf(ttl, sizeof(ttl), "%lld", (long long)ro->ttl_ms);
        write_back(&b, ttl, stream, group, acks, nacks);
        if (b.out_err) rc2 = dp_err_set(err, -E2BIG, "rollup: batch too large");
    }
    if (rc2 == 0 && redisAppendFormattedCommand(rc, b.out.data, b.out.len) != REDIS_OK)
        rc2 = dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    if (rc2 == 0) {
        /* MULTI's OK, a QUEUED each, then EXEC's answer */
        size_t errors = 0;
        redisReply *r = NULL;
        for (size_t i = 0; i < b.ncmds; i++) {
            if ((r = next_reply(rc, err)) == NULL) {
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
            }
            freeReplyObject(r);
        }
    } else if (rc2 != -EIO) {
        redisReply *r = redisCommand(rc, "UNWATCH");
        if (r) freeReplyObject(r);
    }
    dp_free(acks);
    dp_free(seqstr);
    batch_free(&b);
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
static int apply_txn(dp_rollup *ro, redisContext *rc, const char *P, const char *stream,
                     const char *group, const dp_entry *e, size_t n, dp_rollup_counts *counts,
                     dp_err *err)
{
    int r = 1;
    for (int i = 0; i < ATTEMPTS && r > 0; i++) {
        r = attempt(ro, rc, P, stream, group, e, n, counts, err);
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
    char stream[32], prefix[24];
    dp_key_stream(stream, sizeof(stream), shard);
    snprintf(prefix, sizeof(prefix), "dp:{%u}:", shard);
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
        r = apply_txn(ro, rc, prefix, stream, group, e, n, counts, err);
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
            r = apply_txn(ro, rc, prefix, stream, "", sorted + start[k], start[k + 1] - start[k],
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
