/* Decoding one POST /v1/events body without building a tree: yajl calls
 * back for each token, the values of the fields deckpulse knows are kept as
 * they come (strings copied once into the batch's block), each event is
 * checked as soon as its object closes, and the body's fields are checked
 * after the whole text parsed, in the order below, so that a body with
 * several faults always gets the same message (syntax first, then unknown
 * fields, token, session, presentation, mode, events, then the first bad
 * event). tests/fuzz/fuzz_batch.c holds this to the jansson tree decoder it
 * replaced, message for message. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "alloc.h"
#include "json_scan.h"

/* ---- fields ------------------------------------------------------------- */

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
enum { E_SEQ, E_TYPE, E_AT, E_SLIDES, E_MATERIAL, E_SLIDE, E_VERSION, E_INDEX, E_MS, E_NAME, NEF };
static const char *const event_names[NEF] = {"seq",   "type",    "at",    "slides", "material",
                                             "slide", "version", "index", "ms",     "name"};
static const unsigned event_flags[NEF] = {0,       0,         0,       F_SLIDES, F_MATERIAL,
                                          F_SLIDE, F_VERSION, F_INDEX, F_MS,     F_NAME};
enum { T_TOKEN, T_SESSION, T_MODE, T_PRESENTATION, T_EVENTS, NTF };
static const char *const top_names[NTF] = {"token", "session", "mode", "presentation", "events"};

/* names[i] equal to the key, or -1 */
static int field_index(const char *const *names, int n, const unsigned char *k, size_t klen)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == klen && memcmp(names[i], k, klen) == 0) return i;
    return -1;
}

/* One value as it came, for the fields deckpulse reads. */
enum { J_ABSENT = 0, J_NULL, J_BOOL, J_INT, J_REAL, J_STR, J_OBJECT, J_ARRAY };
typedef struct jval {
    int kind;
    size_t len;    /* J_STR: bytes */
    const char *s; /* J_STR: NUL-terminated copy in the batch's block */
    int64_t i;     /* J_INT */
} jval;

/* A key that is not one of the known fields, for "...: unknown field". */
typedef struct unknown_key {
    int present;
    int echo; /* it is an identifier, so it may be echoed back */
    char text[DP_ID_MAX + 1];
} unknown_key;

static void unknown_keep(unknown_key *u, const unsigned char *k, size_t klen)
{
    if (u->present) return;
    u->present = 1;
    u->echo = dp_id_valid((const char *)k, klen);
    if (u->echo) {
        memcpy(u->text, k, klen);
        u->text[klen] = '\0';
    }
}

/* The event object being read. */
typedef struct raw_event {
    jval f[NEF];
    unsigned seen;            /* bit per field: a second one is a duplicate key */
    unsigned char order[NEF]; /* known keys in text order, up to the first unknown one */
    size_t norder;
    unknown_key unknown;
} raw_event;

static int get_id(const jval *v, const char *where, int required, const char **out, dp_err *err)
{
    *out = NULL;
    if (v->kind == J_ABSENT || v->kind == J_NULL) {
        if (required) return dp_err_set(err, -EINVAL, "%s: required", where);
        return 0;
    }
    if (v->kind != J_STR || !dp_id_valid(v->s, v->len))
        return dp_err_set(err, -EINVAL, "%s: must be 1-64 characters of A-Z a-z 0-9 . _ : -",
                          where);
    *out = v->s;
    return 0;
}

static int get_int(const jval *v, const char *where, int required, int64_t min, int64_t max,
                   int64_t def, int64_t *out, dp_err *err)
{
    if (v->kind == J_ABSENT || v->kind == J_NULL) {
        if (required) return dp_err_set(err, -EINVAL, "%s: required", where);
        *out = def;
        return 0;
    }
    if (v->kind != J_INT || v->i < min || v->i > max)
        return dp_err_set(err, -EINVAL, "%s: must be an integer between %lld and %lld", where,
                          (long long)min, (long long)max);
    *out = v->i;
    return 0;
}

/* The fields of one event once its type is known. Messages name the bare
 * field ("ms: ..."); decode_event puts the event's path in front. */
static int event_values(const jval *f, dp_event *ev, dp_err *err)
{
    int rc;
    if ((rc = get_int(&f[E_SEQ], "seq", 1, 0, DP_SEQ_MAX, 0, &ev->seq, err)) != 0) return rc;
    if ((rc = get_int(&f[E_AT], "at", 1, DP_AT_MIN, DP_AT_MAX, 0, &ev->at, err)) != 0) return rc;
    switch (ev->type) {
    case DP_EV_OPEN:
        return get_int(&f[E_SLIDES], "slides", 0, 1, DP_SLIDES_MAX, 0, &ev->slides, err);
    case DP_EV_VIEW:
    case DP_EV_DWELL:
    case DP_EV_ACTION:
        if ((rc = get_id(&f[E_MATERIAL], "material", 1, &ev->material, err)) != 0) return rc;
        if ((rc = get_id(&f[E_SLIDE], "slide", 1, &ev->slide, err)) != 0) return rc;
        if ((rc = get_int(&f[E_VERSION], "version", 0, 1, DP_VERSION_MAX, 1, &ev->version, err)) !=
            0)
            return rc;
        if (ev->type == DP_EV_VIEW)
            return get_int(&f[E_INDEX], "index", 1, 0, DP_SLIDES_MAX - 1, 0, &ev->index, err);
        if (ev->type == DP_EV_DWELL)
            return get_int(&f[E_MS], "ms", 1, 0, DP_DWELL_MS_MAX, 0, &ev->ms, err);
        return get_id(&f[E_NAME], "name", 1, &ev->name, err);
    default:
        return 0;
    }
}

static int decode_event(const raw_event *r, size_t i, dp_event *ev, dp_err *err)
{
    memset(ev, 0, sizeof(*ev));
    const jval *t = &r->f[E_TYPE];
    if (t->kind == J_ABSENT) return dp_err_set(err, -EINVAL, "events[%zu].type: required", i);
    int type = -1;
    if (t->kind == J_STR)
        for (int k = 0; k < DP_EV__COUNT; k++)
            if (!strcmp(t->s, dp_event_type_names[k])) type = k;
    if (type < 0)
        return dp_err_set(err, -EINVAL,
                          "events[%zu].type: must be open, view, dwell, action or close", i);
    ev->type = (dp_event_type)type;
    for (size_t k = 0; k < r->norder; k++) {
        unsigned flag = event_flags[r->order[k]];
        if (flag && !(flag & type_fields[type]))
            return dp_err_set(err, -EINVAL, "events[%zu].%s: not allowed in a %s event", i,
                              event_names[r->order[k]], dp_event_type_names[type]);
    }
    if (r->unknown.present)
        return dp_err_set(err, -EINVAL, "events[%zu].%s: unknown field", i,
                          r->unknown.echo ? r->unknown.text : "?");
    int rc = event_values(r->f, ev, err);
    if (rc != 0) {
        /* Name the field by its path; built only on failure, never per field. */
        char msg[DP_ERR_MSG_MAX];
        memcpy(msg, err->msg, sizeof(msg));
        dp_err_set(err, rc, "events[%zu].%s", i, msg);
    }
    return rc;
}

/* ---- the parse ---------------------------------------------------------- */

typedef struct parser {
    yajl_handle h;
    const dp_batch_limits *lim;
    char *strs; /* the batch's block: every kept string, NUL-terminated */
    size_t strs_len, strs_cap;
    size_t depth;    /* containers open */
    int root;        /* J_OBJECT or J_ARRAY once the text has begun */
    size_t root_end; /* just past the root's closing bracket */
    int key;         /* the field of the value that comes next (depth 1 or 3), -1: not ours */
    unsigned top_seen;
    jval top[NTF];
    unknown_key top_unknown;
    int in_events;    /* inside the events array */
    int elem_object;  /* the events element open at depth 3 is an object */
    size_t nevents;   /* elements of the events array */
    dp_event *events; /* the first min(nevents, max_events), decoded */
    size_t cap;       /* room in events */
    raw_event ev;
    int ev_rc; /* the first bad event's error */
    dp_err ev_err;
    const char *fault; /* a syntax error of ours (duplicate key, number out of range) */
    size_t fault_off;
    const char *text;
    size_t len;   /* of the text */
    int suspect;  /* a string had an escape or a byte past ASCII: scan the text */
    size_t ynext; /* yajl's allocations: from block while it lasts */
    _Alignas(16) unsigned char block[4096]; /* yajl's lexer buffer takes 2 KB */
    int finishing; /* in yajl_complete_parse: its offsets are not the text's */
} parser;

static int stop(parser *p, const char *why)
{
    p->fault = why;
    p->fault_off = p->finishing ? p->len : yajl_get_bytes_consumed(p->h);
    return 0;
}

/* Where the value that comes now belongs: 1 top, 2 an event, 0 nowhere. */
static int place(const parser *p)
{
    if (p->depth == 1 && p->root == J_OBJECT) return p->key >= 0 ? 1 : 0;
    if (p->depth == 3 && p->in_events && p->elem_object) return p->key >= 0 ? 2 : 0;
    return 0;
}

static void set(parser *p, jval v)
{
    switch (place(p)) {
    case 1:
        p->top[p->key] = v;
        break;
    case 2:
        p->ev.f[p->key] = v;
        break;
    default:
        break;
    }
}

/* An element of the events array that is not an object, or one that just
 * closed: decoded now, while the batch is under max_events. */
static void event_done(parser *p, int is_object)
{
    size_t i = p->nevents++;
    if (i >= p->lim->max_events || p->ev_rc != 0) return;
    /* decoded only while every element so far was an object: each has its
     * '{', and the room counted them all */
    if (i >= p->cap) abort();
    if (!is_object)
        p->ev_rc = dp_err_set(&p->ev_err, -EINVAL, "events[%zu]: must be an object", i);
    else
        p->ev_rc = decode_event(&p->ev, i, &p->events[i], &p->ev_err);
}

/* A scalar at depth 2 inside the events array is an element of its own. */
static int scalar(parser *p, jval v)
{
    if (p->depth == 0) return stop(p, "'[' or '{' expected");
    if (p->depth == 2 && p->in_events) event_done(p, 0);
    set(p, v);
    return 1;
}

static int on_null(void *ctx)
{
    return scalar(ctx, (jval){.kind = J_NULL});
}

static int on_bool(void *ctx, int b)
{
    (void)b;
    return scalar(ctx, (jval){.kind = J_BOOL});
}

/* Numbers as jansson read them: an integer unless it has a fraction or an
 * exponent; an integer outside int64 or a real outside double is not a
 * number deckpulse can hold, so the text is refused. yajl's lexer has
 * checked the grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int on_number(void *ctx, const char *s, size_t len)
{
    parser *p = ctx;
    int neg = s[0] == '-';
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    int overflow = 0;
    size_t k = (size_t)neg;
    for (; k < len; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (d > 9) break;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v)) overflow = 1;
    }
    if (k == len) { /* an integer */
        if (overflow || v > limit)
            return stop(p, neg ? "too big negative integer" : "too big integer");
        jval iv = {.kind = J_INT};
        iv.i = !neg ? (int64_t)v : v == limit ? INT64_MIN : -(int64_t)v;
        return scalar(p, iv);
    }
    char tmp[64];
    char *z = len < sizeof(tmp) ? tmp : dp_malloc(len + 1);
    memcpy(z, s, len);
    z[len] = '\0';
    errno = 0;
    double d = strtod(z, NULL);
    overflow = errno == ERANGE && (d > 1.0 || d < -1.0);
    if (z != tmp) dp_free(z);
    if (overflow) return stop(p, "real number overflow");
    return scalar(p, (jval){.kind = J_REAL});
}

/* A string kept for a field: copied into the batch's block (its room is
 * the body's length: a string's copy and NUL never outgrow its quoted
 * form), unless it belongs nowhere. */
/* A string yajl decoded (it had escapes) is handed over from its own
 * buffer, not the text. */
static void look_at(parser *p, const unsigned char *s, size_t len)
{
    uintptr_t at = (uintptr_t)s, from = (uintptr_t)p->text;
    if (at < from || at > from + p->len) {
        p->suspect = 1;
        return;
    }
    unsigned char hi = 0;
    for (size_t k = 0; k < len; k++)
        hi |= s[k];
    if (hi & 0x80) p->suspect = 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    parser *p = ctx;
    look_at(p, s, len);
    jval v = {.kind = J_STR, .len = len, .s = ""};
    if (place(p)) {
        if (p->strs_len + len + 1 > p->strs_cap) return stop(p, "string larger than the body");
        char *d = p->strs + p->strs_len;
        memcpy(d, s, len);
        d[len] = '\0';
        p->strs_len += len + 1;
        v.s = d;
    }
    return scalar(p, v);
}

static const char too_deep[] = "nested deeper than max_json_depth";

static int open_container(parser *p, int kind)
{
    if (p->depth >= p->lim->max_depth) return stop(p, too_deep);
    if (p->depth == 0) {
        p->root = kind;
    } else if (p->depth == 2 && p->in_events) {
        p->elem_object = kind == J_OBJECT;
        if (kind == J_OBJECT)
            memset(&p->ev, 0, sizeof(p->ev));
        else
            event_done(p, 0);
    } else {
        if (p->depth == 1 && p->root == J_OBJECT && p->key == T_EVENTS && kind == J_ARRAY)
            p->in_events = 1;
        set(p, (jval){.kind = kind});
    }
    p->depth++;
    p->key = -1;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, J_OBJECT);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, J_ARRAY);
}

static int close_container(parser *p)
{
    if (--p->depth == 0) p->root_end = yajl_get_bytes_consumed(p->h);
    if (p->depth == 2 && p->in_events && p->elem_object) {
        p->elem_object = 0;
        event_done(p, 1);
    } else if (p->depth == 1 && p->in_events) {
        p->in_events = 0;
    }
    p->key = -1;
    return 1;
}

static int on_end(void *ctx)
{
    return close_container(ctx);
}

static int on_key(void *ctx, const unsigned char *k, size_t klen)
{
    parser *p = ctx;
    look_at(p, k, klen);
    p->key = -1;
    if (p->depth == 1 && p->root == J_OBJECT) {
        int f = field_index(top_names, NTF, k, klen);
        if (f < 0) {
            unknown_keep(&p->top_unknown, k, klen);
            return 1;
        }
        if (p->top_seen & (1u << f)) return stop(p, "duplicate object key");
        p->top_seen |= 1u << f;
        p->key = f;
    } else if (p->depth == 3 && p->in_events && p->elem_object) {
        raw_event *r = &p->ev;
        int f = field_index(event_names, NEF, k, klen);
        if (f < 0) {
            unknown_keep(&r->unknown, k, klen);
            return 1;
        }
        if (r->seen & (1u << f)) return stop(p, "duplicate object key");
        r->seen |= 1u << f;
        if (!r->unknown.present) r->order[r->norder++] = (unsigned char)f;
        p->key = f;
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

static int syntax_error(dp_err *err, const char *text, size_t off, const char *what)
{
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    return dp_err_set(err, -EINVAL, "body: invalid JSON at line %d column %zu: %s", line,
                      off - line_start, what);
}

/* yajl's handle, lexer and stack (a few hundred bytes) and the lexer's
 * 2 KB buffer (which it allocates at the end of every text, even for
 * nothing) come from a block in the parser, each after a 16-byte header
 * holding its size (for realloc); what does not fit comes from the heap. */
static int in_block(const parser *p, const void *ptr)
{
    return (const unsigned char *)ptr >= p->block &&
           (const unsigned char *)ptr < p->block + sizeof(p->block);
}

static void *y_malloc(void *ctx, size_t n)
{
    parser *p = ctx;
    size_t need = 16 + ((n + 15) & ~(size_t)15);
    if (n > sizeof(p->block) || p->ynext + need > sizeof(p->block)) return dp_malloc(n);
    unsigned char *h = p->block + p->ynext;
    p->ynext += need;
    memcpy(h, &n, sizeof(n));
    return h + 16;
}

static void *y_realloc(void *ctx, void *ptr, size_t n)
{
    parser *p = ctx;
    if (ptr == NULL) return y_malloc(p, n);
    if (!in_block(p, ptr)) return dp_realloc(ptr, n);
    size_t old;
    memcpy(&old, (unsigned char *)ptr - 16, sizeof(old));
    void *q = y_malloc(p, n);
    memcpy(q, ptr, old < n ? old : n);
    return q;
}

static void y_free(void *ctx, void *ptr)
{
    if (ptr && !in_block(ctx, ptr)) dp_free(ptr);
}

/* The text parsed: 0, or -EINVAL with err when it is not JSON or nests
 * deeper than max_depth. The pass over every byte (prescan) runs only when
 * the parse failed, or a string held an escape or a byte past ASCII, or
 * the text a form feed or vertical tab: a beacon's body has none of them,
 * and then yajl's own checks are all it needs. When it runs, its verdict
 * is the one the text always got: too deep wins over anything else, then
 * the first fault in the text. */
static int parse(parser *p, const char *text, size_t len, dp_err *err)
{
    yajl_alloc_funcs af = {y_malloc, y_realloc, y_free, p};
    p->h = yajl_alloc(&callbacks, &af, p);
    p->text = text;
    p->len = len;
    yajl_status st = yajl_parse(p->h, (const unsigned char *)text, len);
    size_t off = yajl_get_bytes_consumed(p->h);
    if (st == yajl_status_ok) {
        p->finishing = 1;
        st = yajl_complete_parse(p->h);
        off = len;
    }
    if (p->fault) off = p->fault_off;
    /* yajl misses trailing garbage that is an unfinished token ("} \"x") */
    if (st == yajl_status_ok && p->fault == NULL) {
        size_t i = p->root_end;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
            i++;
        if (i < len) {
            st = yajl_status_client_canceled;
            p->fault = "trailing garbage";
            off = i;
        }
    }
    int rc = 0;
    dp_json_fault f = {.off = SIZE_MAX};
    if (st != yajl_status_ok || p->suspect || memchr(text, '\f', len) || memchr(text, '\v', len)) {
        if (dp_json_prescan(text, len, p->lim->max_depth, &f) != 0 || p->fault == too_deep) {
            rc = dp_err_set(err, -EINVAL, "body: JSON nested deeper than max_json_depth (%zu)",
                            p->lim->max_depth);
            goto done;
        }
    }
    if (f.off != SIZE_MAX && (st == yajl_status_ok || f.off < off)) {
        rc = syntax_error(err, text, f.off, f.msg);
    } else if (st == yajl_status_client_canceled) {
        rc = syntax_error(err, text, off, p->fault);
    } else if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(p->h, 0, (const unsigned char *)text, len);
        size_t n = strlen((const char *)msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        rc = syntax_error(err, text, off < len ? off : len, (const char *)msg);
        yajl_free_error(p->h, msg);
    }
done:
    yajl_free(p->h);
    return rc;
}

int dp_batch_decode(dp_batch *b, const char *text, size_t len, const dp_batch_limits *lim,
                    dp_err *err)
{
    memset(b, 0, sizeof(*b));
    parser p;
    memset(&p, 0, sizeof(p));
    p.lim = lim;
    p.key = -1;
    /* one block for the batch: room for an event per '{' (at most
     * max_events), then every kept string (at most the text's length) */
    size_t objects = 0;
    for (const char *q = text, *end = text + len; (q = memchr(q, '{', (size_t)(end - q))) != NULL;
         q++)
        objects++;
    p.cap = objects < lim->max_events ? objects : lim->max_events;
    p.events = dp_malloc(p.cap * sizeof(dp_event) + len + 1);
    p.strs = (char *)(p.events + p.cap);
    p.strs_cap = len + 1;
    int rc = parse(&p, text, len, err);
    if (rc != 0) goto fail;
    rc = -EINVAL;
    if (p.root != J_OBJECT) {
        dp_err_set(err, rc, "body: must be a JSON object");
        goto fail;
    }
    if (p.top_unknown.present) {
        dp_err_set(err, rc, "%s: unknown field", p.top_unknown.echo ? p.top_unknown.text : "?");
        goto fail;
    }
    const jval *tok = &p.top[T_TOKEN];
    if (tok->kind != J_ABSENT && tok->kind != J_NULL) {
        if (tok->kind != J_STR || tok->len == 0 || tok->len > 1024) {
            dp_err_set(err, rc, "token: must be a string of 1 to 1024 characters");
            goto fail;
        }
        b->token = tok->s;
    }
    if (get_id(&p.top[T_SESSION], "session", 1, &b->session, err) != 0) goto fail;
    if (get_id(&p.top[T_PRESENTATION], "presentation", 0, &b->presentation, err) != 0) goto fail;
    const jval *mode = &p.top[T_MODE];
    b->mode = DP_MODE_SELF;
    if (mode->kind != J_ABSENT && mode->kind != J_NULL) {
        const char *m = mode->kind == J_STR ? mode->s : "";
        if (!strcmp(m, "live"))
            b->mode = DP_MODE_LIVE;
        else if (strcmp(m, "self") != 0) {
            dp_err_set(err, rc, "mode: must be \"self\" or \"live\"");
            goto fail;
        }
    }
    if (p.top[T_EVENTS].kind != J_ARRAY || p.nevents == 0) {
        dp_err_set(err, rc, "events: must be a non-empty array");
        goto fail;
    }
    if (p.nevents > lim->max_events) {
        rc = dp_err_set(err, -E2BIG, "events: %zu events, more than max_events (%zu)", p.nevents,
                        lim->max_events);
        goto fail;
    }
    if (p.ev_rc != 0) {
        rc = p.ev_rc;
        *err = p.ev_err;
        goto fail;
    }
    b->nevents = p.nevents;
    b->events = p.events;
    b->mem_ = p.events;
    return 0;
fail:
    dp_free(p.events);
    memset(b, 0, sizeof(*b));
    return rc;
}

void dp_batch_free(dp_batch *b)
{
    dp_free(b->mem_);
    memset(b, 0, sizeof(*b));
}
