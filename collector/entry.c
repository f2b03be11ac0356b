#include "entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "deckpulse/keys.h"

static int to_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || *s == '\0') return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int id_ok(const char *s)
{
    return s != NULL && dp_id_valid(s, strlen(s));
}

int dp_entry_parse(dp_entry *e, const char *const *fv, size_t n, dp_err *err)
{
    const char *v = NULL, *received = NULL, *seq = NULL, *type = NULL, *at = NULL;
    const char *slides = NULL, *version = NULL, *index = NULL, *ms = NULL;
    char keep_id[DP_ENTRY_ID_MAX];
    memcpy(keep_id, e->id, sizeof(keep_id));
    memset(e, 0, sizeof(*e));
    memcpy(e->id, keep_id, sizeof(keep_id));
    if (n % 2) return dp_err_set(err, -EINVAL, "entry: odd number of fields");
    for (size_t i = 0; i < n; i += 2) {
        const char *f = fv[i], *val = fv[i + 1];
#define F(name, var) else if (f[0] == name[0] && !strcmp(f, name)) var = val
        if (0) {
        }
        F("v", v);
        F("received", received);
        F("source", e->source);
        F("session", e->session);
        F("seq", seq);
        F("type", type);
        F("at", at);
        F("mode", e->mode);
        F("presentation", e->presentation);
        F("prospect", e->prospect);
        F("account", e->account);
        F("campaign", e->campaign);
        F("owner", e->owner);
        F("viewer", e->viewer);
        F("slides", slides);
        F("material", e->material);
        F("slide", e->slide);
        F("version", version);
        F("index", index);
        F("ms", ms);
        F("name", e->name);
        else return dp_err_set(err, -EINVAL, "entry: unknown field '%.32s'", f);
#undef F
    }
    if (v == NULL || strcmp(v, DP_ENTRY_VERSION_V1) != 0)
        return dp_err_set(err, -EINVAL,
                          "entry: v must be " DP_ENTRY_VERSION_V1 ", " DP_ENTRY_VERSION_V2
                          " or " DP_ENTRY_VERSION);
    if (to_int(received, DP_AT_MIN, DP_AT_MAX, &e->received) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad received");
    if (!id_ok(e->session)) return dp_err_set(err, -EINVAL, "entry: bad session");
    if (to_int(seq, 0, DP_SEQ_MAX, &e->seq) != 0) return dp_err_set(err, -EINVAL, "entry: bad seq");
    int t = -1;
    for (int k = 0; type && k < DP_EV__COUNT; k++)
        if (!strcmp(type, dp_event_type_names[k])) t = k;
    if (t < 0) return dp_err_set(err, -EINVAL, "entry: bad type");
    e->type = (dp_event_type)t;
    if (to_int(at, DP_AT_MIN, DP_AT_MAX, &e->at) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad at");
    if (e->mode == NULL || (strcmp(e->mode, "self") && strcmp(e->mode, "live")))
        return dp_err_set(err, -EINVAL, "entry: bad mode");
    if (!id_ok(e->presentation)) return dp_err_set(err, -EINVAL, "entry: bad presentation");
    if (e->viewer == NULL || strlen(e->viewer) != 34 || strncmp(e->viewer, "a:", 2) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad viewer");
    if ((e->prospect && !id_ok(e->prospect)) || (e->account && !id_ok(e->account)) ||
        (e->campaign && !id_ok(e->campaign)) || (e->owner && !id_ok(e->owner)))
        return dp_err_set(err, -EINVAL, "entry: bad prospect, account, campaign or owner");
    if (e->account && !e->prospect)
        return dp_err_set(err, -EINVAL, "entry: account without prospect");
    switch (e->type) {
    case DP_EV_OPEN:
        if (slides && to_int(slides, 1, DP_SLIDES_MAX, &e->slides) != 0)
            return dp_err_set(err, -EINVAL, "entry: bad slides");
        break;
    case DP_EV_VIEW:
    case DP_EV_DWELL:
    case DP_EV_ACTION:
        if (!id_ok(e->material) || !id_ok(e->slide))
            return dp_err_set(err, -EINVAL, "entry: bad material or slide");
        if (to_int(version, 1, DP_VERSION_MAX, &e->version) != 0)
            return dp_err_set(err, -EINVAL, "entry: bad version");
        if (e->type == DP_EV_VIEW && to_int(index, 0, DP_SLIDES_MAX - 1, &e->index) != 0)
            return dp_err_set(err, -EINVAL, "entry: bad index");
        if (e->type == DP_EV_DWELL && to_int(ms, 0, DP_DWELL_MS_MAX, &e->ms) != 0)
            return dp_err_set(err, -EINVAL, "entry: bad ms");
        if (e->type == DP_EV_ACTION && !id_ok(e->name))
            return dp_err_set(err, -EINVAL, "entry: bad name");
        break;
    default:
        break;
    }
    dp_day(e->received, e->day);
    e->bucket = dp_dwell_bucket(e->ms);
    return 0;
}

void dp_entry_list_free(dp_entry_list *l)
{
    for (size_t i = 0; i < l->ntexts; i++)
        dp_free(l->texts[i]);
    dp_free(l->texts);
    dp_free(l->v);
    memset(l, 0, sizeof(*l));
}

static dp_entry *list_push(dp_entry_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = dp_realloc(l->v, l->cap * sizeof(dp_entry));
    }
    return &l->v[l->n++];
}

/* Cuts line at each space (in place) into at most max values; how many. */
static int split(char *line, char **tok, int max)
{
    int nt = 0;
    for (char *p = line; nt < max;) {
        tok[nt++] = p;
        char *sp = strchr(p, ' ');
        if (sp == NULL) break;
        *sp = '\0';
        p = sp + 1;
    }
    return nt;
}

/* Keeps text (the copy the list's strings point into). */
static void keep_text(dp_entry_list *l, char *text)
{
    if ((l->ntexts & (l->ntexts - 1)) == 0)
        l->texts = dp_realloc(l->texts, (l->ntexts ? l->ntexts * 2 : 8) * sizeof(char *));
    l->texts[l->ntexts++] = text;
}

/* The n event lines at *line (text changed in place) of a batch whose
 * fields are pairs[0..np), each checked as the one-event (version 1)
 * entry it stands for; *line moves past them (NULL when the text ends). */
static int batch_events(const char *id, const char *const *pairs, size_t np, int64_t n,
                        char **line_p, dp_entry_list *l, dp_err *err)
{
    char *line = *line_p;
    int rc = 0;
    for (int64_t k = 0; k < n && rc == 0; k++) {
        if (line == NULL)
            return dp_err_set(err, -EINVAL, "entry: %lld events where n says %lld", (long long)k,
                              (long long)n);
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *tok[8];
        int nt = split(line, tok, 8);
        const char *ev[40];
        size_t m = 0;
        ev[m++] = "v";
        ev[m++] = DP_ENTRY_VERSION_V1;
        memcpy(ev + m, pairs, np * sizeof(char *));
        m += np;
        static const char *const base[] = {"seq", "type", "at"};
        static const char *const views[] = {"material", "slide", "version"};
        const char *last = NULL;
        int want = -1;
        if (nt >= 2 && !strcmp(tok[1], "open")) {
            want = nt == 4 ? 4 : 3;
            last = "slides";
        } else if (nt >= 2 && !strcmp(tok[1], "close")) {
            want = 3;
        } else if (nt >= 2) {
            want = 7;
            last = !strcmp(tok[1], "view") ? "index" : !strcmp(tok[1], "dwell") ? "ms" : "name";
        }
        if (nt != want)
            return dp_err_set(err, -EINVAL, "entry: event %lld: bad line", (long long)k);
        for (int t = 0; t < nt; t++) {
            ev[m++] = t < 3 ? base[t] : (t < 6 && nt == 7) ? views[t - 3] : last;
            ev[m++] = tok[t];
        }
        dp_entry *e = list_push(l);
        snprintf(e->id, sizeof(e->id), "%s", id);
        rc = dp_entry_parse(e, ev, m, err);
        if (rc != 0) l->n--;
        line = nl ? nl + 1 : NULL;
    }
    *line_p = line;
    return rc;
}

/* A version 2 entry: the batch's fields once, then its event lines. */
static int read_batch(const char *id, const char *const *fv, size_t nf, const char *events,
                      size_t evlen, dp_entry_list *l, dp_err *err)
{
    const char *pairs[40];
    size_t np = 0;
    const char *count = NULL;
    for (size_t i = 0; i + 1 < nf; i += 2) {
        if (!strcmp(fv[i], "v") || !strcmp(fv[i], "events")) continue;
        if (!strcmp(fv[i], "n")) {
            count = fv[i + 1];
            continue;
        }
        if (np + 2 > 24) return dp_err_set(err, -EINVAL, "entry: too many fields");
        pairs[np++] = fv[i];
        pairs[np++] = fv[i + 1];
    }
    int64_t n;
    if (to_int(count, 1, DP_ENTRY_EVENTS_MAX, &n) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad n");
    if (events == NULL || memchr(events, '\0', evlen) != NULL)
        return dp_err_set(err, -EINVAL, "entry: bad events");
    char *text = dp_strndup(events, evlen);
    size_t start = l->n;
    char *line = text;
    int rc = batch_events(id, pairs, np, n, &line, l, err);
    if (rc == 0 && line != NULL)
        rc = dp_err_set(err, -EINVAL, "entry: more events than n says (%lld)", (long long)n);
    if (rc != 0) {
        l->n = start;
        dp_free(text);
        return rc;
    }
    keep_text(l, text);
    return 0;
}

/* The fields a version 3 head line names, in order (event.h). */
static const char *const head_fields[] = {"received",     "source", "session",  "mode",
                                          "presentation", "viewer", "prospect", "account",
                                          "campaign",     "owner"};
#define HEAD_VALUES 11

/* A version 3 entry: k batches, each a head line and its event lines. */
static int read_batches(const char *id, const char *const *fv, size_t nf, const char *batches,
                        size_t blen, dp_entry_list *l, dp_err *err)
{
    const char *kstr = NULL, *nstr = NULL;
    for (size_t i = 0; i + 1 < nf; i += 2) {
        if (!strcmp(fv[i], "k"))
            kstr = fv[i + 1];
        else if (!strcmp(fv[i], "n"))
            nstr = fv[i + 1];
        else if (strcmp(fv[i], "v") != 0 && strcmp(fv[i], "batches") != 0)
            return dp_err_set(err, -EINVAL, "entry: unknown field '%.32s'", fv[i]);
    }
    int64_t k, n;
    if (to_int(kstr, 1, DP_ENTRY_BATCHES_MAX, &k) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad k");
    if (to_int(nstr, 1, DP_ENTRY_BATCHES_MAX * (int64_t)DP_ENTRY_EVENTS_MAX, &n) != 0)
        return dp_err_set(err, -EINVAL, "entry: bad n");
    if (batches == NULL || memchr(batches, '\0', blen) != NULL)
        return dp_err_set(err, -EINVAL, "entry: bad batches");
    char *text = dp_strndup(batches, blen);
    size_t start = l->n;
    char *line = text;
    int64_t events = 0;
    int rc = 0;
    for (int64_t b = 0; b < k && rc == 0; b++) {
        if (line == NULL) {
            rc = dp_err_set(err, -EINVAL, "entry: %lld batches where k says %lld", (long long)b,
                            (long long)k);
            break;
        }
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        char *tok[HEAD_VALUES + 1];
        int nt = split(line, tok, HEAD_VALUES + 1); /* one more than a head has: refused */
        int64_t bn;
        if (nt != HEAD_VALUES || to_int(tok[HEAD_VALUES - 1], 1, DP_ENTRY_EVENTS_MAX, &bn) != 0) {
            rc = dp_err_set(err, -EINVAL, "entry: batch %lld: bad head line", (long long)b);
            break;
        }
        const char *pairs[2 * (HEAD_VALUES - 1)];
        size_t np = 0;
        for (int t = 0; t < HEAD_VALUES - 1; t++) {
            if (t >= 6 && tok[t][0] == '\0') continue; /* absent prospect, account, ... */
            pairs[np++] = head_fields[t];
            pairs[np++] = tok[t];
        }
        line = nl ? nl + 1 : NULL;
        rc = batch_events(id, pairs, np, bn, &line, l, err);
        events += bn;
    }
    if (rc == 0 && line != NULL)
        rc = dp_err_set(err, -EINVAL, "entry: more batches than k says (%lld)", (long long)k);
    if (rc == 0 && events != n)
        rc = dp_err_set(err, -EINVAL, "entry: %lld events where n says %lld", (long long)events,
                        (long long)n);
    if (rc != 0) {
        l->n = start;
        dp_free(text);
        return rc;
    }
    keep_text(l, text);
    return 0;
}

int dp_entry_read(const redisReply *r, dp_entry_list *l, char *id, size_t idsz, dp_err *err)
{
    id[0] = '\0';
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return dp_err_set(err, -EINVAL, "entry: malformed reply");
    snprintf(id, idsz, "%s", r->element[0]->str);
    const redisReply *f = r->element[1];
    if (f->type != REDIS_REPLY_ARRAY || f->elements > 64 || f->elements % 2)
        return dp_err_set(err, -EINVAL, "entry: malformed fields");
    const char *fv[64];
    const char *v = NULL, *events = NULL, *batches = NULL;
    size_t evlen = 0, blen = 0;
    for (size_t i = 0; i < f->elements; i++) {
        if (f->element[i]->type != REDIS_REPLY_STRING)
            return dp_err_set(err, -EINVAL, "entry: malformed fields");
        fv[i] = f->element[i]->str;
        if (i % 2 == 1 && !strcmp(fv[i - 1], "v")) v = fv[i];
        if (i % 2 == 1 && !strcmp(fv[i - 1], "events")) {
            events = fv[i];
            evlen = f->element[i]->len;
        }
        if (i % 2 == 1 && !strcmp(fv[i - 1], "batches")) {
            batches = fv[i];
            blen = f->element[i]->len;
        }
    }
    if (v && !strcmp(v, DP_ENTRY_VERSION))
        return read_batches(id, fv, f->elements, batches, blen, l, err);
    if (v && !strcmp(v, DP_ENTRY_VERSION_V2))
        return read_batch(id, fv, f->elements, events, evlen, l, err);
    dp_entry *e = list_push(l);
    snprintf(e->id, sizeof(e->id), "%s", id);
    int rc = dp_entry_parse(e, fv, f->elements, err);
    if (rc != 0) l->n--;
    return rc;
}
