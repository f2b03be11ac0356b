/* Report tables written as JSON (an array of objects) or CSV (libcsv
 * quoting, a header line). In CSV, text cells that a spreadsheet would take
 * for a formula (beginning with = + - @ tab or carriage return) are
 * neutralised with a leading apostrophe; numeric cells are left alone. */
#ifndef DP_TABLE_H
#define DP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "report_params.h"

typedef struct dp_table {
    dp_buf *out;
    dp_report_format format;
    const char *const *cols;
    size_t ncols;
    size_t col; /* next column of the current row */
    size_t rows;
} dp_table;

void dp_table_begin(dp_table *t, dp_buf *out, dp_report_format format, const char *const *cols,
                    size_t ncols);
void dp_table_row(dp_table *t);
void dp_table_str(dp_table *t, const char *s);
void dp_table_int(dp_table *t, int64_t v);
void dp_table_num(dp_table *t, double v); /* 3 decimals; NaN/inf as null/empty */
void dp_table_null(dp_table *t);          /* null / empty cell */
/* A number already written as decimal digits (an amount), as it is. */
void dp_table_decimal(dp_table *t, const char *digits);
/* JSON: json as it is (an object, say); CSV: text as a (neutralised) cell. */
void dp_table_raw(dp_table *t, const char *json, const char *text);
void dp_table_end(dp_table *t);

/* Appends s as one CSV cell (quoted, neutralised). */
void dp_csv_cell(dp_buf *out, const char *s);

#endif
