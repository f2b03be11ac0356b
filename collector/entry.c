#include "entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (v == NULL || strcmp(v, DP_ENTRY_VERSION) != 0)
        return dp_err_set(err, -EINVAL, "entry: v must be " DP_ENTRY_VERSION);
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

int dp_entry_from_reply(dp_entry *e, const redisReply *r, dp_err *err)
{
    e->id[0] = '\0';
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return dp_err_set(err, -EINVAL, "entry: malformed reply");
    snprintf(e->id, sizeof(e->id), "%s", r->element[0]->str);
    const redisReply *f = r->element[1];
    if (f->type != REDIS_REPLY_ARRAY || f->elements > 64)
        return dp_err_set(err, -EINVAL, "entry: malformed fields");
    const char *fv[64];
    for (size_t i = 0; i < f->elements; i++) {
        if (f->element[i]->type != REDIS_REPLY_STRING)
            return dp_err_set(err, -EINVAL, "entry: malformed fields");
        fv[i] = f->element[i]->str;
    }
    return dp_entry_parse(e, fv, f->elements, err);
}
