/* The decoder deckpulse had before it parsed batches as a stream (a
 * jansson tree, then the same checks): kept here as the oracle that
 * fuzz_batch.c holds dp_batch_decode to, message for message. Test code
 * only; it is not linked into the server. */
#include "batch_jansson.h"

#include <string.h>

#include "alloc.h"
#include "json_fields.h"

/* Which fields each type takes, besides seq, type and at. */
enum {
    F_SLIDES = 1,
    F_MATERIAL = 2,
    F_SLIDE = 4,
    F_VERSION = 8,
    F_INDEX = 16,
    F_MS = 32,
    F_NAME = 64
};
static const unsigned type_fields[DP_EV__COUNT] = {
    [DP_EV_OPEN] = F_SLIDES,
    [DP_EV_VIEW] = F_MATERIAL | F_SLIDE | F_VERSION | F_INDEX,
    [DP_EV_DWELL] = F_MATERIAL | F_SLIDE | F_VERSION | F_MS,
    [DP_EV_ACTION] = F_MATERIAL | F_SLIDE | F_VERSION | F_NAME,
    [DP_EV_CLOSE] = 0,
};
static const struct {
    const char *name;
    unsigned flag;
} field_names[] = {{"seq", 0},
                   {"type", 0},
                   {"at", 0},
                   {"slides", F_SLIDES},
                   {"material", F_MATERIAL},
                   {"slide", F_SLIDE},
                   {"version", F_VERSION},
                   {"index", F_INDEX},
                   {"ms", F_MS},
                   {"name", F_NAME}};

/* The fields of one event once its type is known. Messages name the bare
 * field ("ms: ..."); decode_event puts the event's path in front. */
static int ref_event_fields(json_t *o, dp_event *ev, dp_err *err)
{
    int rc;
    if ((rc = dp_json_get_int(o, "seq", "seq", 1, 0, DP_SEQ_MAX, 0, &ev->seq, err)) != 0) return rc;
    if ((rc = dp_json_get_int(o, "at", "at", 1, DP_AT_MIN, DP_AT_MAX, 0, &ev->at, err)) != 0)
        return rc;
    switch (ev->type) {
    case DP_EV_OPEN:
        return dp_json_get_int(o, "slides", "slides", 0, 1, DP_SLIDES_MAX, 0, &ev->slides, err);
    case DP_EV_VIEW:
    case DP_EV_DWELL:
    case DP_EV_ACTION:
        if ((rc = dp_json_get_id(o, "material", "material", 1, &ev->material, err)) != 0) return rc;
        if ((rc = dp_json_get_id(o, "slide", "slide", 1, &ev->slide, err)) != 0) return rc;
        if ((rc = dp_json_get_int(o, "version", "version", 0, 1, DP_VERSION_MAX, 1, &ev->version,
                                  err)) != 0)
            return rc;
        if (ev->type == DP_EV_VIEW)
            return dp_json_get_int(o, "index", "index", 1, 0, DP_SLIDES_MAX - 1, 0, &ev->index,
                                   err);
        if (ev->type == DP_EV_DWELL)
            return dp_json_get_int(o, "ms", "ms", 1, 0, DP_DWELL_MS_MAX, 0, &ev->ms, err);
        return dp_json_get_id(o, "name", "name", 1, &ev->name, err);
    default:
        return 0;
    }
}

static int ref_decode_event(json_t *o, size_t i, dp_event *ev, dp_err *err)
{
    if (!json_is_object(o)) return dp_err_set(err, -EINVAL, "events[%zu]: must be an object", i);
    memset(ev, 0, sizeof(*ev));

    json_t *t = json_object_get(o, "type");
    if (t == NULL) return dp_err_set(err, -EINVAL, "events[%zu].type: required", i);
    int type = -1;
    if (json_is_string(t))
        for (int k = 0; k < DP_EV__COUNT; k++)
            if (!strcmp(json_string_value(t), dp_event_type_names[k])) type = k;
    if (type < 0)
        return dp_err_set(err, -EINVAL,
                          "events[%zu].type: must be open, view, dwell, action or close", i);
    ev->type = (dp_event_type)type;
    unsigned allowed = type_fields[type];

    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        size_t k, nf = sizeof(field_names) / sizeof(field_names[0]);
        for (k = 0; k < nf; k++)
            if (!strcmp(key, field_names[k].name)) break;
        if (k == nf)
            return dp_err_set(err, -EINVAL, "events[%zu].%.64s: unknown field", i,
                              dp_id_valid(key, strlen(key)) ? key : "?");
        if (field_names[k].flag && !(field_names[k].flag & allowed))
            return dp_err_set(err, -EINVAL, "events[%zu].%s: not allowed in a %s event", i, key,
                              dp_event_type_names[type]);
    }

    int rc = ref_event_fields(o, ev, err);
    if (rc != 0) {
        /* Name the field by its path; built only on failure, never per field. */
        char msg[DP_ERR_MSG_MAX];
        memcpy(msg, err->msg, sizeof(msg));
        dp_err_set(err, rc, "events[%zu].%s", i, msg);
    }
    return rc;
}

static const char *const top_fields[] = {"token", "session", "mode", "presentation", "events"};

int dp_batch_decode_jansson(dp_batch *b, json_t **out, const char *text, size_t len,
                            const dp_batch_limits *lim, dp_err *err)
{
    memset(b, 0, sizeof(*b));
    *out = NULL;
    json_t *root = NULL;
    int rc = dp_json_parse_object(text, len, lim->max_depth, &root, err);
    if (rc != 0) return rc;
    rc = -EINVAL;
    if (dp_json_known_fields(root, top_fields, sizeof(top_fields) / sizeof(top_fields[0]), "",
                             err) != 0)
        goto fail;
    json_t *tok = json_object_get(root, "token");
    if (tok != NULL && !json_is_null(tok)) {
        if (!json_is_string(tok) || json_string_length(tok) == 0 ||
            json_string_length(tok) > 1024) {
            dp_err_set(err, rc, "token: must be a string of 1 to 1024 characters");
            goto fail;
        }
        b->token = json_string_value(tok);
    }
    if (dp_json_get_id(root, "session", "session", 1, &b->session, err) != 0) goto fail;
    if (dp_json_get_id(root, "presentation", "presentation", 0, &b->presentation, err) != 0)
        goto fail;
    json_t *mode = json_object_get(root, "mode");
    b->mode = DP_MODE_SELF;
    if (mode != NULL && !json_is_null(mode)) {
        const char *m = json_is_string(mode) ? json_string_value(mode) : "";
        if (!strcmp(m, "live"))
            b->mode = DP_MODE_LIVE;
        else if (strcmp(m, "self") != 0) {
            dp_err_set(err, rc, "mode: must be \"self\" or \"live\"");
            goto fail;
        }
    }
    json_t *evs = json_object_get(root, "events");
    if (!json_is_array(evs) || json_array_size(evs) == 0) {
        dp_err_set(err, rc, "events: must be a non-empty array");
        goto fail;
    }
    size_t n = json_array_size(evs);
    if (n > lim->max_events) {
        rc = dp_err_set(err, -E2BIG, "events: %zu events, more than max_events (%zu)", n,
                        lim->max_events);
        goto fail;
    }
    b->events = dp_calloc(n, sizeof(dp_event));
    for (size_t i = 0; i < n; i++)
        if (ref_decode_event(json_array_get(evs, i), i, &b->events[i], err) != 0) goto fail;
    b->nevents = n;
    *out = root;
    return 0;
fail:
    dp_free(b->events);
    json_decref(root);
    memset(b, 0, sizeof(*b));
    return rc;
}
