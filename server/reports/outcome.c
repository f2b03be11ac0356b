/* Deal outcomes: outcome.h. */
#include "outcome.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json_fields.h"

const char *const dp_stage_names[3] = {"open", "won", "lost"};

#define AT_MIN 946684800000LL  /* 2000-01-01, as for events */
#define AT_MAX 4102444800000LL /* 2100-01-01 */

/* Each check: NULL when value[0..n) is good (and stored in o), else what
 * is wrong with it (the caller says where). */

static const char *set_id(char *out, const char *v, size_t n, int required)
{
    if (n == 0) return required ? "required" : NULL;
    if (!dp_id_valid(v, n)) return "must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    memcpy(out, v, n);
    out[n] = '\0';
    return NULL;
}

static const char *set_stage(dp_outcome *o, const char *v, size_t n)
{
    for (int i = 0; i < 3; i++)
        if (n == strlen(dp_stage_names[i]) && !memcmp(v, dp_stage_names[i], n)) {
            o->stage = (dp_stage)i;
            return NULL;
        }
    return n ? "must be open, won or lost" : "required";
}

static const char *set_amount(dp_outcome *o, const char *v, size_t n)
{
    static const char *const bad = "must be a decimal >= 0 (at most 15 digits, 6 decimals)";
    if (n == 0) return NULL;
    size_t i = 0, whole = 0, frac = 0;
    while (i < n && v[i] >= '0' && v[i] <= '9')
        i++, whole++;
    if (i < n && v[i] == '.') {
        i++;
        while (i < n && v[i] >= '0' && v[i] <= '9')
            i++, frac++;
        if (frac == 0) return bad;
    }
    if (i != n || whole == 0 || whole > 15 || frac > 6) return bad;
    memcpy(o->amount, v, n);
    o->amount[n] = '\0';
    return NULL;
}

static const char *set_currency(dp_outcome *o, const char *v, size_t n)
{
    if (n == 0) return NULL;
    if (n != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' || v[2] < 'A' || v[2] > 'Z')
        return "must be three capital letters (ISO 4217)";
    memcpy(o->currency, v, 3);
    o->currency[3] = '\0';
    return NULL;
}

static const char *set_at(dp_outcome *o, const char *v, size_t n)
{
    if (n == 0) return "required";
    char buf[24], *end;
    if (n >= sizeof(buf) || v[0] < '0' || v[0] > '9') return "must be epoch milliseconds";
    memcpy(buf, v, n);
    buf[n] = '\0';
    long long at = strtoll(buf, &end, 10);
    if (*end != '\0' || at < AT_MIN || at >= AT_MAX)
        return "must be epoch milliseconds between 2000-01-01 and 2100-01-01";
    o->at = at;
    return NULL;
}

static const char *add_prospect(dp_outcome *o, const char *v, size_t n)
{
    if (!dp_id_valid(v, n)) return "each must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    for (size_t i = 0; i < o->nprospects; i++)
        if (strlen(o->prospects[i]) == n && !memcmp(o->prospects[i], v, n)) return NULL;
    if (o->nprospects == DP_OUTCOME_PROSPECTS_MAX) return "at most 100 prospects";
    o->prospects = dp_realloc(o->prospects, (o->nprospects + 1) * sizeof(*o->prospects));
    memcpy(o->prospects[o->nprospects], v, n);
    o->prospects[o->nprospects++][n] = '\0';
    return NULL;
}

void dp_outcomes_free(dp_outcomes *o)
{
    for (size_t i = 0; i < o->n; i++)
        dp_free(o->v[i].prospects);
    dp_free(o->v);
    o->v = NULL;
    o->n = o->cap = 0;
}

static dp_outcome *next(dp_outcomes *o)
{
    if (o->n == o->cap) { /* doubling: one row at a time was quadratic */
        o->cap = o->cap ? 2 * o->cap : 16;
        o->v = dp_realloc(o->v, o->cap * sizeof(*o->v));
    }
    dp_outcome *x = &o->v[o->n++];
    memset(x, 0, sizeof(*x));
    return x;
}

/* ---- JSON ---- */

static const char *const fields[] = {"deal",     "account", "prospects", "stage",   "amount",
                                     "currency", "at",      "owner",     "campaign"};

/* A string member as (v, n); absent or null: n = 0. NULL or "must be a string". */
static const char *str_of(json_t *obj, const char *key, const char **v, size_t *n)
{
    json_t *x = json_object_get(obj, key);
    *v = "";
    *n = 0;
    if (x == NULL || json_is_null(x)) return NULL;
    if (!json_is_string(x)) return "must be a string";
    *v = json_string_value(x);
    *n = json_string_length(x);
    return NULL;
}

static const char *json_one(dp_outcome *o, json_t *e, const char **field)
{
    const char *v, *why;
    size_t n;
    char num[48];
    const char *ids[4] = {"deal", "account", "owner", "campaign"};
    char *outs[4] = {o->deal, o->account, o->owner, o->campaign};
    for (int i = 0; i < 4; i++) {
        *field = ids[i];
        if ((why = str_of(e, ids[i], &v, &n)) || (why = set_id(outs[i], v, n, i == 0))) return why;
    }
    *field = "stage";
    if ((why = str_of(e, "stage", &v, &n)) || (why = set_stage(o, v, n))) return why;
    *field = "amount";
    json_t *a = json_object_get(e, "amount");
    if (json_is_integer(a) || json_is_real(a)) {
        double d = json_number_value(a);
        if (!(d >= 0) || d >= 1e15) return "must be a decimal >= 0 (at most 15 digits, 6 decimals)";
        if (json_is_integer(a)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(a));
        } else {
            snprintf(num, sizeof(num), "%.6f", d);
            size_t k = strlen(num);
            while (num[k - 1] == '0')
                num[--k] = '\0';
            if (num[k - 1] == '.') num[--k] = '\0';
        }
        if ((why = set_amount(o, num, strlen(num)))) return why;
    } else if ((why = str_of(e, "amount", &v, &n)) || (why = set_amount(o, v, n))) {
        return why;
    }
    *field = "currency";
    if ((why = str_of(e, "currency", &v, &n)) || (why = set_currency(o, v, n))) return why;
    *field = "at";
    json_t *at = json_object_get(e, "at");
    if (at == NULL || json_is_null(at)) return "required";
    if (!json_is_integer(at)) return "must be epoch milliseconds";
    snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(at));
    if ((why = set_at(o, num, strlen(num)))) return why;
    *field = "prospects";
    json_t *ps = json_object_get(e, "prospects");
    if (ps != NULL && !json_is_null(ps)) {
        if (!json_is_array(ps)) return "must be an array of prospect ids";
        size_t i;
        json_t *p;
        json_array_foreach(ps, i, p)
        {
            if (!json_is_string(p)) return "each must be a prospect id";
            if ((why = add_prospect(o, json_string_value(p), json_string_length(p)))) return why;
        }
    }
    return NULL;
}

int dp_outcomes_from_json(dp_outcomes *o, const char *body, size_t len, dp_err *err)
{
    memset(o, 0, sizeof(*o));
    json_t *root;
    int rc = dp_json_parse_object(body, len, 8, &root, err);
    if (rc != 0) return rc;
    static const char *const top[] = {"outcomes"};
    json_t *arr = json_object_get(root, "outcomes");
    if ((rc = dp_json_known_fields(root, top, 1, "", err)) != 0) goto out;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        rc = dp_err_set(err, -EINVAL, "outcomes: must be a non-empty array");
        goto out;
    }
    if (json_array_size(arr) > DP_OUTCOMES_MAX) {
        rc = dp_err_set(err, -E2BIG, "outcomes: at most %d a request", DP_OUTCOMES_MAX);
        goto out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        char where[32];
        snprintf(where, sizeof(where), "outcomes[%zu]", i);
        if (!json_is_object(e)) {
            rc = dp_err_set(err, -EINVAL, "%s: must be an object", where);
            goto out;
        }
        if ((rc = dp_json_known_fields(e, fields, 9, where, err)) != 0) goto out;
        const char *field = "";
        const char *why = json_one(next(o), e, &field);
        if (why) {
            rc = dp_err_set(err, -EINVAL, "%s.%s: %s", where, field, why);
            goto out;
        }
    }
out:
    json_decref(root);
    if (rc != 0) dp_outcomes_free(o);
    return rc;
}

/* ---- CSV ---- */

typedef struct csv_state {
    dp_outcomes *o;
    char *cells[10];
    size_t lens[10];
    size_t ncells, line;
    int rc;
    dp_err *err;
} csv_state;

static void csv_cell(void *s, size_t n, void *ud)
{
    csv_state *st = ud;
    if (st->ncells < 10) {
        st->cells[st->ncells] = dp_strndup(s ? s : "", s ? n : 0);
        st->lens[st->ncells] = s ? n : 0;
    }
    st->ncells++;
}

static const char *csv_one(dp_outcome *o, char **v, const size_t *n, const char **field)
{
    const char *why;
    /* deal,account,prospects,stage,amount,currency,at,owner,campaign */
    if ((why = set_id(o->deal, v[0], n[0], 1))) return *field = "deal", why;
    if ((why = set_id(o->account, v[1], n[1], 0))) return *field = "account", why;
    *field = "prospects";
    for (size_t a = 0; a < n[2];) {
        size_t b = a;
        while (b < n[2] && v[2][b] != ';')
            b++;
        if ((why = add_prospect(o, v[2] + a, b - a))) return why;
        a = b + 1;
    }
    if ((why = set_stage(o, v[3], n[3]))) return *field = "stage", why;
    if ((why = set_amount(o, v[4], n[4]))) return *field = "amount", why;
    if ((why = set_currency(o, v[5], n[5]))) return *field = "currency", why;
    if ((why = set_at(o, v[6], n[6]))) return *field = "at", why;
    if ((why = set_id(o->owner, v[7], n[7], 0))) return *field = "owner", why;
    if ((why = set_id(o->campaign, v[8], n[8], 0))) return *field = "campaign", why;
    return NULL;
}

static void csv_row(int c, void *ud)
{
    csv_state *st = ud;
    (void)c;
    size_t line = ++st->line;
    if (st->rc == 0) {
        static const char *const header[] = {"deal",  "account", "prospects",
                                             "stage", "amount",  "currency",
                                             "at",    "owner",   "campaign"};
        if (line == 1) {
            int ok = st->ncells == 9;
            for (size_t i = 0; ok && i < 9; i++)
                ok = st->lens[i] == strlen(header[i]) && !strcmp(st->cells[i], header[i]);
            if (!ok)
                st->rc = dp_err_set(st->err, -EINVAL,
                                    "line 1: header must be deal,account,prospects,stage,amount,"
                                    "currency,at,owner,campaign");
        } else if (st->ncells != 9) {
            st->rc = dp_err_set(st->err, -EINVAL, "line %zu: expected 9 columns, got %zu", line,
                                st->ncells);
        } else if (st->o->n == DP_OUTCOMES_MAX) {
            st->rc = dp_err_set(st->err, -E2BIG, "line %zu: at most %d outcomes a request", line,
                                DP_OUTCOMES_MAX);
        } else {
            const char *field = "";
            const char *why = csv_one(next(st->o), st->cells, st->lens, &field);
            if (why) st->rc = dp_err_set(st->err, -EINVAL, "line %zu: %s: %s", line, field, why);
        }
    }
    for (size_t i = 0; i < st->ncells && i < 10; i++)
        dp_free(st->cells[i]);
    st->ncells = 0;
}

int dp_outcomes_from_csv(dp_outcomes *o, const char *body, size_t len, dp_err *err)
{
    memset(o, 0, sizeof(*o));
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI);
    csv_state st = {.o = o, .err = err};
    size_t done = csv_parse(&p, body, len, csv_cell, csv_row, &st);
    if (done != len && st.rc == 0)
        st.rc = dp_err_set(err, -EINVAL, "line %zu: %s", st.line + 1, csv_strerror(csv_error(&p)));
    if (st.rc == 0 && csv_fini(&p, csv_cell, csv_row, &st) != 0)
        st.rc = dp_err_set(err, -EINVAL, "line %zu: %s", st.line + 1, csv_strerror(csv_error(&p)));
    for (size_t i = 0; i < st.ncells && i < 10; i++)
        dp_free(st.cells[i]);
    csv_free(&p);
    if (st.rc == 0 && o->n == 0) st.rc = dp_err_set(err, -EINVAL, "body: no outcome rows");
    if (st.rc != 0) dp_outcomes_free(o);
    return st.rc;
}
