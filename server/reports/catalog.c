#include "catalog.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "json_fields.h"

/* Titles: 1-200 bytes of valid UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF: exactly what the JSON reader accepts back), no
 * control characters. */
static int title_ok(const char *s, size_t n)
{
    if (n == 0 || n > DP_TITLE_MAX) return 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return 0;
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        } else {
            return 0;
        }
        if (i + k > n) return 0;
        unsigned char c1 = (unsigned char)s[i + 1];
        if (c1 < lo || c1 > hi) return 0;
        for (size_t j = 2; j < k; j++)
            if (((unsigned char)s[i + j] >> 6) != 2) return 0;
        i += k;
    }
    return 1;
}

static const char *const material_fields[] = {"title", "slides"};
static const char *const slide_fields[] = {"slide", "title", "version"};

int dp_material_from_json(dp_material *m, const char *id, const char *json, size_t len, dp_err *err)
{
    memset(m, 0, sizeof(*m));
    if (!dp_id_valid(id, strlen(id)))
        return dp_err_set(err, -EINVAL, "material: must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    snprintf(m->id, sizeof(m->id), "%s", id);
    json_t *root;
    int rc = dp_json_parse_object(json, len, 8, &root, err);
    if (rc != 0) return rc;
    rc = -EINVAL;
    if (dp_json_known_fields(root, material_fields, 2, "", err) != 0) goto out;
    json_t *t = json_object_get(root, "title");
    if (!json_is_string(t) || !title_ok(json_string_value(t), json_string_length(t))) {
        dp_err_set(err, rc, "title: must be a string of 1 to %d characters", DP_TITLE_MAX);
        goto out;
    }
    json_t *slides = json_object_get(root, "slides");
    if (!json_is_array(slides) || json_array_size(slides) > DP_SLIDES_MAX) {
        dp_err_set(err, rc, "slides: must be an array of at most %d slides", DP_SLIDES_MAX);
        goto out;
    }
    m->title = dp_strdup(json_string_value(t));
    m->nslides = json_array_size(slides);
    m->slides = dp_calloc(m->nslides ? m->nslides : 1, sizeof(dp_catalog_slide));
    for (size_t i = 0; i < m->nslides; i++) {
        json_t *s = json_array_get(slides, i);
        char where[48], prefix[32];
        snprintf(prefix, sizeof(prefix), "slides[%zu]", i);
        if (!json_is_object(s)) {
            dp_err_set(err, rc, "%s: must be an object", prefix);
            goto out;
        }
        if (dp_json_known_fields(s, slide_fields, 3, prefix, err) != 0) goto out;
        const char *sid;
        snprintf(where, sizeof(where), "%s.slide", prefix);
        if (dp_json_get_id(s, "slide", where, 1, &sid, err) != 0) goto out;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(m->slides[k].slide, sid)) {
                dp_err_set(err, rc, "%s: slide '%s' appears twice", where, sid);
                goto out;
            }
        snprintf(m->slides[i].slide, sizeof(m->slides[i].slide), "%s", sid);
        json_t *st = json_object_get(s, "title");
        snprintf(where, sizeof(where), "%s.title", prefix);
        if (!json_is_string(st) || !title_ok(json_string_value(st), json_string_length(st))) {
            dp_err_set(err, rc, "%s: must be a string of 1 to %d characters", where, DP_TITLE_MAX);
            goto out;
        }
        m->slides[i].title = dp_strdup(json_string_value(st));
        snprintf(where, sizeof(where), "%s.version", prefix);
        if (dp_json_get_int(s, "version", where, 0, 1, DP_VERSION_MAX, 1, &m->slides[i].version,
                            err) != 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(root);
    if (rc != 0) dp_material_free(m);
    return rc;
}

/* CSV */

typedef struct csv_state {
    dp_catalog *cat;
    char *cells[8];
    size_t lens[8];
    size_t ncells;
    size_t line; /* of the row being read; the header is line 1 */
    int rc;
    dp_err *err;
} csv_state;

static void csv_cell(void *s, size_t n, void *ud)
{
    csv_state *st = ud;
    if (st->ncells < 8) {
        st->cells[st->ncells] = dp_strndup(s ? s : "", s ? n : 0);
        st->lens[st->ncells] = s ? n : 0;
    }
    st->ncells++;
}

static void csv_row(int c, void *ud)
{
    csv_state *st = ud;
    (void)c;
    st->line++;
    size_t line = st->line;
    if (st->rc == 0) {
        static const char *const header[] = {"material", "title", "slide", "slide_title",
                                             "version"};
        if (line == 1) {
            int ok = st->ncells == 5;
            for (size_t i = 0; ok && i < 5; i++)
                ok = st->lens[i] == strlen(header[i]) && !strcmp(st->cells[i], header[i]);
            if (!ok)
                st->rc = dp_err_set(st->err, -EINVAL,
                                    "line 1: header must be material,title,slide,slide_title,"
                                    "version");
        } else if (st->ncells != 5) {
            st->rc = dp_err_set(st->err, -EINVAL, "line %zu: expected 5 columns, got %zu", line,
                                st->ncells);
        } else {
            char **v = st->cells;
            size_t *len = st->lens; /* a NUL inside a cell must not shorten it */
            dp_catalog *cat = st->cat;
            char *end;
            long long ver = v[4][0] ? strtoll(v[4], &end, 10) : 1;
            if (!dp_id_valid(v[0], len[0]))
                st->rc = dp_err_set(
                    st->err, -EINVAL,
                    "line %zu: material: must be 1-64 characters of A-Z a-z 0-9 . _ : -", line);
            else if (!title_ok(v[1], len[1]))
                st->rc = dp_err_set(st->err, -EINVAL, "line %zu: title: must be 1 to %d characters",
                                    line, DP_TITLE_MAX);
            else if (!dp_id_valid(v[2], len[2]))
                st->rc = dp_err_set(
                    st->err, -EINVAL,
                    "line %zu: slide: must be 1-64 characters of A-Z a-z 0-9 . _ : -", line);
            else if (!title_ok(v[3], len[3]))
                st->rc = dp_err_set(st->err, -EINVAL,
                                    "line %zu: slide_title: must be 1 to %d characters", line,
                                    DP_TITLE_MAX);
            else if ((len[4] &&
                      ((size_t)(end - v[4]) != len[4] || v[4][0] < '0' || v[4][0] > '9')) ||
                     ver < 1 || ver > DP_VERSION_MAX)
                st->rc = dp_err_set(st->err, -EINVAL,
                                    "line %zu: version: must be an integer between 1 and %d", line,
                                    DP_VERSION_MAX);
            if (st->rc == 0) {
                dp_material *m = NULL;
                for (size_t i = 0; i < cat->n; i++)
                    if (!strcmp(cat->materials[i].id, v[0])) m = &cat->materials[i];
                if (m == NULL) {
                    if (cat->n == DP_CATALOG_MATERIALS_MAX) {
                        st->rc = dp_err_set(st->err, -E2BIG, "line %zu: more than %d materials",
                                            line, DP_CATALOG_MATERIALS_MAX);
                        goto done;
                    }
                    cat->materials = dp_realloc(cat->materials, (cat->n + 1) * sizeof(dp_material));
                    m = &cat->materials[cat->n++];
                    memset(m, 0, sizeof(*m));
                    snprintf(m->id, sizeof(m->id), "%s", v[0]);
                    m->title = dp_strdup(v[1]);
                } else if (strcmp(m->title, v[1]) != 0) {
                    st->rc = dp_err_set(st->err, -EINVAL,
                                        "line %zu: title: differs from an earlier row of %s", line,
                                        m->id);
                    goto done;
                }
                for (size_t k = 0; k < m->nslides; k++)
                    if (!strcmp(m->slides[k].slide, v[2])) {
                        st->rc = dp_err_set(st->err, -EINVAL,
                                            "line %zu: slide: '%s' appears twice in %s", line, v[2],
                                            m->id);
                        goto done;
                    }
                if (m->nslides == DP_SLIDES_MAX) {
                    st->rc = dp_err_set(st->err, -E2BIG, "line %zu: more than %d slides in %s",
                                        line, DP_SLIDES_MAX, m->id);
                    goto done;
                }
                m->slides = dp_realloc(m->slides, (m->nslides + 1) * sizeof(dp_catalog_slide));
                dp_catalog_slide *s = &m->slides[m->nslides++];
                snprintf(s->slide, sizeof(s->slide), "%s", v[2]);
                s->title = dp_strdup(v[3]);
                s->version = ver;
            }
        }
    }
done:
    for (size_t i = 0; i < st->ncells && i < 8; i++)
        dp_free(st->cells[i]);
    st->ncells = 0;
}

int dp_catalog_from_csv(dp_catalog *c, const char *csv, size_t len, dp_err *err)
{
    memset(c, 0, sizeof(*c));
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI);
    csv_state st = {.cat = c, .err = err};
    size_t done = csv_parse(&p, csv, len, csv_cell, csv_row, &st);
    if (done != len && st.rc == 0)
        st.rc = dp_err_set(err, -EINVAL, "line %zu: %s", st.line + 1, csv_strerror(csv_error(&p)));
    if (st.rc == 0 && csv_fini(&p, csv_cell, csv_row, &st) != 0)
        st.rc = dp_err_set(err, -EINVAL, "line %zu: %s", st.line + 1, csv_strerror(csv_error(&p)));
    for (size_t i = 0; i < st.ncells && i < 8; i++)
        dp_free(st.cells[i]);
    csv_free(&p);
    if (st.rc == 0 && st.line < 2) st.rc = dp_err_set(err, -EINVAL, "body: no catalog rows");
    if (st.rc != 0) dp_catalog_free(c);
    return st.rc;
}

char *dp_material_slides_json(const dp_material *m)
{
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "[");
    for (size_t i = 0; i < m->nslides; i++) {
        dp_buf_printf(&b, "%s{\"slide\":\"%s\",\"title\":\"", i ? "," : "", m->slides[i].slide);
        dp_buf_json_str(&b, m->slides[i].title, strlen(m->slides[i].title));
        dp_buf_printf(&b, "\",\"version\":%lld}", (long long)m->slides[i].version);
    }
    dp_buf_puts(&b, "]");
    return dp_buf_steal(&b, NULL);
}

void dp_material_free(dp_material *m)
{
    for (size_t i = 0; i < m->nslides; i++)
        dp_free(m->slides[i].title);
    dp_free(m->slides);
    dp_free(m->title);
    memset(m, 0, sizeof(*m));
}

void dp_catalog_free(dp_catalog *c)
{
    for (size_t i = 0; i < c->n; i++)
        dp_material_free(&c->materials[i]);
    dp_free(c->materials);
    memset(c, 0, sizeof(*c));
}
