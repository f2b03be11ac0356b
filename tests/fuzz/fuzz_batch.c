/* libFuzzer target: the event decoder (JSON wire format and validation).
 * Anything accepted must satisfy the documented invariants, and the
 * streaming decoder must agree with the jansson tree decoder it replaced
 * (batch_jansson.c): the same events, or the same error message; text that
 * is not JSON refused as invalid JSON by both. One difference is allowed:
 * a duplicate key inside a value deckpulse does not read (an unknown field,
 * a nested object) is not looked for, so that body is refused for the
 * unknown field or the wrong type instead. And one jansson quirk is not
 * followed: it reads past a NUL byte between tokens as if it were not
 * there; JSON has no such byte, so such text is refused here. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "batch_jansson.h"

static int same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return a == b;
    return strcmp(a, b) == 0;
}

static int same_events(const dp_batch *a, const dp_batch *b)
{
    if (!same_str(a->token, b->token) || !same_str(a->session, b->session) ||
        !same_str(a->presentation, b->presentation) || a->mode != b->mode ||
        a->nevents != b->nevents)
        return 0;
    for (size_t i = 0; i < a->nevents; i++) {
        const dp_event *x = &a->events[i], *y = &b->events[i];
        if (x->type != y->type || x->seq != y->seq || x->at != y->at || x->slides != y->slides ||
            x->version != y->version || x->index != y->index || x->ms != y->ms ||
            !same_str(x->material, y->material) || !same_str(x->slide, y->slide) ||
            !same_str(x->name, y->name))
            return 0;
    }
    return 1;
}

static int is_syntax(const dp_err *e)
{
    return strncmp(e->msg, "body: invalid JSON", 18) == 0;
}

static void disagree(const char *what, const uint8_t *data, size_t size, int rc, const dp_err *e,
                     int ref_rc, const dp_err *ref_e)
{
    fprintf(stderr, "fuzz_batch: %s\n  input: %.*s\n  ours:    %d %s\n  jansson: %d %s\n", what,
            (int)size, (const char *)data, rc, rc ? e->msg : "", ref_rc, ref_rc ? ref_e->msg : "");
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const dp_batch_limits lim = {.max_events = 50, .max_depth = 16};
    dp_batch b, ref;
    dp_err err = {""}, ref_err = {""};
    json_t *root;
    int rc = dp_batch_decode(&b, (const char *)data, size, &lim, &err);
    int ref_rc = dp_batch_decode_jansson(&ref, &root, (const char *)data, size, &lim, &ref_err);
    if (rc != 0) {
        if (rc != -EINVAL && rc != -E2BIG) __builtin_trap();
        if (err.msg[0] == '\0') __builtin_trap();
        int nul = memchr(data, '\0', size) != NULL;
        if (ref_rc == 0 && !nul)
            disagree("refused what jansson took", data, size, rc, &err, 0, &ref_err);
        if (ref_rc == 0) {
            json_decref(root);
            dp_free(ref.events);
        }
        if (nul && is_syntax(&err)) return 0;
        if (is_syntax(&err) && !is_syntax(&ref_err))
            disagree("called JSON invalid", data, size, rc, &err, ref_rc, &ref_err);
        if (!is_syntax(&ref_err) && (rc != ref_rc || strcmp(err.msg, ref_err.msg) != 0))
            disagree("another message", data, size, rc, &err, ref_rc, &ref_err);
        if (is_syntax(&ref_err) && !is_syntax(&err) && !strstr(ref_err.msg, "duplicate object key"))
            disagree("took text jansson could not parse", data, size, rc, &err, ref_rc, &ref_err);
        return 0;
    }
    if (ref_rc != 0) disagree("took what jansson refused", data, size, 0, &err, ref_rc, &ref_err);
    if (!same_events(&b, &ref)) disagree("other values", data, size, 0, &err, 0, &ref_err);
    json_decref(root);
    dp_free(ref.events);
    if (b.nevents == 0 || b.nevents > lim.max_events) __builtin_trap();
    if (!dp_id_valid(b.session, strlen(b.session))) __builtin_trap();
    for (size_t i = 0; i < b.nevents; i++) {
        const dp_event *e = &b.events[i];
        if (e->seq < 0 || e->seq > DP_SEQ_MAX || e->at < DP_AT_MIN || e->at > DP_AT_MAX)
            __builtin_trap();
        if (e->material && !dp_id_valid(e->material, strlen(e->material))) __builtin_trap();
        if (e->type == DP_EV_DWELL && (e->ms < 0 || e->ms > DP_DWELL_MS_MAX)) __builtin_trap();
    }
    dp_batch_free(&b);
    return 0;
}
