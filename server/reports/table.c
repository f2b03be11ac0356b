#include "table.h"

#include <csv.h>
#include <math.h>
#include <string.h>

#include "alloc.h"

void dp_csv_cell(dp_buf *out, const char *s)
{
    size_t n = strlen(s);
    const char *src = s;
    char *tmp = NULL;
    if (n > 0 && strchr("=+-@\t\r", s[0]) != NULL) {
        tmp = dp_malloc(n + 2);
        tmp[0] = '\'';
        memcpy(tmp + 1, s, n + 1);
        src = tmp;
        n++;
    }
    size_t need = csv_write(NULL, 0, src, n);
    if (dp_buf_reserve(out, need) == 0) {
        csv_write(out->data + out->len, need, src, n);
        out->len += need;
        out->data[out->len] = '\0';
    }
    dp_free(tmp);
}

void dp_table_begin(dp_table *t, dp_buf *out, dp_report_format format, const char *const *cols,
                    size_t ncols)
{
    memset(t, 0, sizeof(*t));
    t->out = out;
    t->format = format;
    t->cols = cols;
    t->ncols = ncols;
    if (format == DP_FORMAT_CSV) {
        for (size_t i = 0; i < ncols; i++) {
            if (i) dp_buf_puts(out, ",");
            dp_buf_puts(out, cols[i]);
        }
        dp_buf_puts(out, "\r\n");
    } else {
        dp_buf_puts(out, "[");
    }
}

static void close_row(dp_table *t)
{
    if (t->rows == 0) return;
    if (t->format == DP_FORMAT_CSV)
        dp_buf_puts(t->out, "\r\n");
    else
        dp_buf_puts(t->out, "}");
}

void dp_table_row(dp_table *t)
{
    close_row(t);
    if (t->format == DP_FORMAT_JSON) dp_buf_puts(t->out, t->rows ? ",{" : "{");
    t->rows++;
    t->col = 0;
}

static void cell_start(dp_table *t)
{
    if (t->format == DP_FORMAT_CSV) {
        if (t->col) dp_buf_puts(t->out, ",");
    } else {
        dp_buf_printf(t->out, "%s\"%s\":", t->col ? "," : "", t->cols[t->col]);
    }
    t->col++;
}

void dp_table_str(dp_table *t, const char *s)
{
    cell_start(t);
    if (t->format == DP_FORMAT_CSV) {
        dp_csv_cell(t->out, s ? s : "");
    } else if (s == NULL) {
        dp_buf_puts(t->out, "null");
    } else {
        dp_buf_puts(t->out, "\"");
        dp_buf_json_str(t->out, s, strlen(s));
        dp_buf_puts(t->out, "\"");
    }
}

void dp_table_int(dp_table *t, int64_t v)
{
    cell_start(t);
    dp_buf_printf(t->out, "%lld", (long long)v);
}

void dp_table_num(dp_table *t, double v)
{
    cell_start(t);
    if (!isfinite(v))
        dp_buf_puts(t->out, t->format == DP_FORMAT_CSV ? "" : "null");
    else
        dp_buf_printf(t->out, "%.3f", v);
}

void dp_table_decimal(dp_table *t, const char *digits)
{
    cell_start(t);
    dp_buf_puts(t->out, digits);
}

void dp_table_null(dp_table *t)
{
    cell_start(t);
    if (t->format == DP_FORMAT_JSON) dp_buf_puts(t->out, "null");
}

void dp_table_raw(dp_table *t, const char *json, const char *text)
{
    cell_start(t);
    if (t->format == DP_FORMAT_JSON)
        dp_buf_puts(t->out, json);
    else
        dp_csv_cell(t->out, text);
}

void dp_table_end(dp_table *t)
{
    close_row(t);
    if (t->format == DP_FORMAT_JSON) dp_buf_puts(t->out, "]");
}
