/* The rules: a session's state and one event in, the writes out (the
 * definitions of docs/metrics.md, the key layout of docs/keys.md and
 * include/deckpulse/keys.h). No Redis: what is read is in the batch
 * already (rollup_state.c), what is written goes to its ops and MULTI block
 * (rollup_write.c). */
#include <stdio.h>
#include <stdlib.h>

#include "deckpulse/keys.h"
#include "rollup_alerts.h"
#include "rollup_batch.h"
#include "rollup_rules.h"

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
        hincr(b, KEY(b, slides, part[0], part[3], part[4]), CAT(b, part[1], "|", part[2], "|exits"),
              i == 0 ? -1 : 1);
    }
}

static void end_session(batch *b, sess *s)
{
    if (s->ended) return;
    s->ended = 1;
    s->dirty = 1;
    dp__rollup_alert_ended(b, s, b->cur_ev ? b->cur_ev->received : s->lastrecv);
    if (s->last && *s->last) {
        move_exit(b, NULL, s->last);
        s->exit = s->last;
        const char *bar = strchr(s->last, '|');
        touch(b, dp_arena_strn(&b->a, s->last, bar ? (size_t)(bar - s->last) : strlen(s->last)));
    }
}

/* A counter of the sessions of the link's owner and campaign that day
 * (od:, cd:), with the indexes retention and the reports walk. */
static void group_incr(batch *b, const char *day, const char *mode, const char *field, int64_t n)
{
    const dp_entry *e = b->cur_ev;
    if (e == NULL || e->prospect == NULL) return;
    if (e->owner && *e->owner) {
        hincr(b, KEY(b, od, e->owner, day, mode), field, n);
        add(b, DP_OP_SADD, KEY(b, odays, e->owner), day);
        add(b, DP_OP_SADD, KEY0(b, owners), e->owner);
    }
    if (e->campaign && *e->campaign) {
        hincr(b, KEY(b, cd, e->campaign, day, mode), field, n);
        add(b, DP_OP_SADD, KEY(b, cdays, e->campaign), day);
        add(b, DP_OP_SADD, KEY0(b, campaigns), e->campaign);
    }
}

/* The earliest view (its `at`) of a material and of a slide version by a
 * prospect and by its account, per mode: what deal attribution compares
 * with a deal's close (docs/attribution.md). */
static void first_views(batch *b, const dp_entry *e, const char *pr, const char *acct,
                        const char *version)
{
    const char *at = dp_arena_i64(&b->a, e->at < 0 ? 0 : e->at);
    const char *mm = CAT(b, e->mode, "|", e->material);
    const char *ms = CAT(b, mm, "|", e->slide, "|", version);
    const char *keys[2] = {*pr ? KEY(b, pfv, pr) : NULL, *acct ? KEY(b, afv, acct) : NULL};
    for (int i = 0; i < 2; i++)
        if (keys[i]) {
            dp_ops_add(&b->ops, DP_OP_ZMIN, keys[i], mm, at, 0);
            dp_ops_add(&b->ops, DP_OP_ZMIN, keys[i], ms, at, 0);
        }
}

/* The session just became complete: count it for every material it viewed. */
static void complete(batch *b, sess *s)
{
    s->completed = 1;
    s->dirty = 1;
    for (cval *v = s->smat.list; v; v = v->next) {
        if (strncmp(v->field, "x|", 2) == 0) continue;
        hincr(b, KEY(b, mat, v->field, v->value, s->mode), "completed", 1);
        if (s->prospect && *s->prospect)
            hincr(b, KEY(b, pd, s->prospect, v->value, s->mode),
                  CAT(b, "m:", v->field, ":completed"), 1);
    }
    hincr(b, KEY(b, pres, s->presentation), "completed", 1);
    hincr(b, KEY(b, presd, s->presentation, b->cur_day, s->mode), "completed", 1);
    group_incr(b, b->cur_day, s->mode, "completed", 1);
}

static void check_complete(batch *b, sess *s)
{
    if (!s->completed && s->slides > 0 && s->maxidx >= s->slides - 1) complete(b, s);
}

static void minmax(batch *b, const char *key, int64_t received)
{
    seen_range *r = dp__rb_range(b, key);
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
    add(b, DP_OP_PFADD, KEY(b, sv, m, e->slide, version, e->day, e->mode), who);
    hincr(b, mk, "views", 1);
    add(b, DP_OP_PFADD, KEY(b, mv, m, e->day, e->mode), who);
    /* the session counts for the material on the day of its earliest view
     * of it; x<k>: sessions whose deepest position in the material is k */
    const char *xm = CAT(b, "x|", m);
    const char *had = cache_value(&s->smat, m), *deep = cache_value(&s->smat, xm);
    const char *day = had;
    if (had == NULL || strcmp(e->day, had) < 0) {
        day = e->day;
        cache_put(b, &s->smat, m, e->day, 1);
        const char *msk = KEY(b, mat, m, e->day, s->mode);
        hincr(b, msk, "sessions", 1);
        if (s->completed) hincr(b, msk, "completed", 1);
        const char *gms = CAT(b, "m:", m, ":sessions");
        group_incr(b, e->day, s->mode, gms, 1);
        if (had) group_incr(b, had, s->mode, gms, -1);
        if (had) {
            const char *old = KEY(b, mat, m, had, s->mode);
            hincr(b, old, "sessions", -1);
            if (s->completed) hincr(b, old, "completed", -1);
            if (deep) {
                hincr(b, old, CAT(b, "x", deep), -1);
                hincr(b, msk, CAT(b, "x", deep), 1);
            }
        }
        if (s->completed && prk) {
            const char *f = CAT(b, "m:", m, ":completed");
            if (had) hincr(b, KEY(b, pd, pr, had, s->mode), f, -1);
            hincr(b, pdk, f, 1);
        }
    }
    if (placed && (deep == NULL || e->index > strtoll(deep, NULL, 10))) {
        cache_put(b, &s->smat, xm, idx, 1);
        const char *msk = KEY(b, mat, m, day, s->mode);
        if (deep) hincr(b, msk, CAT(b, "x", deep), -1);
        hincr(b, msk, CAT(b, "x", idx), 1);
    }
    /* sessions per slide version, on the day of the session's earliest view of it */
    const char *svf = CAT(b, m, "|", sv);
    const char *shad = cache_value(&s->ssv, svf);
    if (shad == NULL || strcmp(e->day, shad) < 0) {
        cache_put(b, &s->ssv, svf, e->day, 1);
        hincr(b, sk, CAT(b, sv, "sessions"), 1);
        if (shad) hincr(b, KEY(b, slides, m, shad, e->mode), CAT(b, sv, "sessions"), -1);
    }
    if (prk || (s->account && *s->account))
        first_views(b, e, pr, s->account ? s->account : "", version);
    if (prk && !s->alerted) { /* the session's first view: it started */
        s->alerted = 1;
        s->material = m;
        s->ids_dirty = s->alert_dirty = 1;
        dp__rollup_alert(b, s, "session.started", e->received,
                         CAT(b, "{\"material\":\"", m, "\",\"slide\":\"", e->slide,
                             "\",\"version\":", version, "}"));
    }
    if (prk) {
        hincr(b, pdk, "views", 1);
        hincr(b, pdk, CAT(b, ps, ":views"), 1);
        add(b, DP_OP_SADD, KEY(b, pseen, pr, m), e->slide);
        add(b, DP_OP_SADD, KEY(b, pmats, pr), m); /* what an erasure deletes */
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

void dp__rollup_apply_event(batch *b, sess *s, const dp_entry *e)
{
    b->cur_day = e->day;
    b->cur_ev = e;
    const char *pr = e->prospect ? e->prospect : "";
    const char *acct = e->prospect && e->account ? e->account : "";
    const char *who = e->prospect ? e->prospect : e->viewer;
    const char *prk = *pr ? KEY(b, prospect, pr) : NULL;
    const char *ack = *acct ? KEY(b, account, acct) : NULL;
    if (s->isnew) {
        s->isnew = 0;
        s->started = 1;
        s->presentation = e->presentation;
        s->prospect = pr;
        s->account = acct;
        s->mode = e->mode;
        s->maxidx = s->lastseq = -1;
        s->slides = s->completed = s->ended = 0;
        s->owner = e->owner ? e->owner : "";
        s->campaign = e->campaign ? e->campaign : "";
        s->material = "";
        s->ids_dirty = 1;
        s->dwell = s->nactions = 0;
        s->alerted = 0;
        s->alert_dirty = 1;
        hincr(b, KEY(b, pres, e->presentation), "sessions", 1);
        hincr(b, KEY(b, presd, e->presentation, e->day, e->mode), "sessions", 1);
        if (prk) hincr(b, KEY(b, pd, pr, e->day, s->mode), "sessions", 1);
        if (prk) { /* the first session after alert_quiet_days without one */
            seen_range *r = dp__rb_range(b, prk);
            int64_t last = r->has_last ? r->last : -1;
            if (r->touched && r->bmax > last) last = r->bmax;
            if (last >= 0 && b->quiet_ms > 0 && e->received - last >= b->quiet_ms)
                dp__rollup_alert(b, s, "prospect.returned", e->received,
                                 CAT(b, "{\"days_away\":",
                                     dp_arena_i64(&b->a, (e->received - last) / 86400000), "}"));
        }
        group_incr(b, e->day, e->mode, "sessions", 1);
    }
    s->lastrecv = e->received;
    s->dirty = 1;
    if (s->owner == NULL || (!*s->owner && e->owner && *e->owner)) {
        s->owner = e->owner ? e->owner : "";
        s->ids_dirty = 1;
    }
    if (s->campaign == NULL || (!*s->campaign && e->campaign && *e->campaign)) {
        s->campaign = e->campaign ? e->campaign : "";
        s->ids_dirty = 1;
    }

    /* presentation: distinct browsers, forwarding */
    const char *pres = e->presentation;
    add(b, DP_OP_SADD, KEY0(b, presentations), pres);
    add(b, DP_OP_PFADD, KEY(b, pv, pres), e->viewer);
    add(b, DP_OP_SADD, KEY(b, pvdays, pres), e->day);
    dp__rb_pvd(b, pres, e->day)->applied = 1;

    if (prk) {
        minmax(b, prk, e->received);
        /* the link's account, campaign and owner, for filters (latest link wins) */
        if (once(b, CAT(b, "A|", pr, "|", acct, "|", e->owner ? e->owner : "", "|",
                        e->campaign ? e->campaign : ""))) {
            /* for each link of the batch (the last written wins: the
             * latest link); and every account, owner and campaign its
             * links ever named
             * ("a:<id>", "o:<id>", "c:<id>"), whose sets an erasure leaves */
            /* "pm": its materials are listed in pmats: (what an erasure reads) */
            const char *argv[16] = {"HSET",     prk,
                                    "account",  acct,
                                    "campaign", e->campaign ? e->campaign : "",
                                    "owner",    e->owner ? e->owner : "",
                                    "pm",       "1"};
            int argc = 10;
            const char *tags[3][2] = {{"a:", acct}, {"o:", e->owner}, {"c:", e->campaign}};
            for (int t = 0; t < 3; t++)
                if (tags[t][1] && *tags[t][1]) {
                    argv[argc++] = CAT(b, tags[t][0], tags[t][1]);
                    argv[argc++] = "1";
                }
            write_cmd(b, argc, argv);
        }
        if (ack) {
            minmax(b, ack, e->received);
            add(b, DP_OP_SADD, KEY(b, aprospects, acct), pr);
        }
        /* the hot list's owner= and campaign= read these: complete at any size */
        if (e->owner && *e->owner) add(b, DP_OP_SADD, KEY(b, oprospects, e->owner), pr);
        if (e->campaign && *e->campaign) add(b, DP_OP_SADD, KEY(b, cprospects, e->campaign), pr);
        add(b, DP_OP_SADD, KEY(b, pdays, pr), e->day);
        add(b, DP_OP_SADD, KEY(b, ppres, pr), pres);
        if (once(b, CAT(b, "P|", pr))) {
            b->prospects = grow(b->prospects, b->nprospects, sizeof(char *));
            b->prospects[b->nprospects++] = pr;
        }
    }
    const char *pdk = prk ? KEY(b, pd, pr, e->day, s->mode) : NULL;
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
        const char *sk = KEY(b, slides, m, e->day, e->mode);
        const char *sv = CAT(b, slide, "|", version, "|");
        const char *mk = KEY(b, mat, m, e->day, e->mode);
        add(b, DP_OP_SADD, KEY0(b, materials), m);
        add(b, DP_OP_SADD, KEY(b, days, m), e->day);
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
            s->dwell += e->ms;
            s->alert_dirty = 1;
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
            s->nactions++;
            s->alert_dirty = 1;
            if (prk)
                dp__rollup_alert(b, s, "action", e->received,
                                 CAT(b, "{\"material\":\"", m, "\",\"slide\":\"", slide,
                                     "\",\"version\":", version, ",\"name\":\"", e->name, "\"}"));
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
        dp_ops_add(&b->ops, DP_OP_ZADD, KEY(b, ptl, pr),
                   CAT(b, at, "|", s->sid, "|", dp_arena_i64(&b->a, e->seq), "|",
                       dp_event_type_names[e->type], "|", m, "|", slide, "|", version, "|", value),
                   at, 0);
    }
}
