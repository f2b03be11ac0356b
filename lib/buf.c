#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

void dp_buf_init(dp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : SIZE_MAX;
}

void dp_buf_free(dp_buf *b)
{
    dp_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void dp_buf_reset(dp_buf *b)
{
    b->len = 0;
}

int dp_buf_reserve(dp_buf *b, size_t n)
{
    if (n > b->max - b->len) return -E2BIG;
    size_t need = b->len + n;
    if (need + 1 <= b->cap) return 0; /* keep room for a NUL terminator */
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (b->max < SIZE_MAX && cap > b->max + 1) cap = b->max + 1;
    b->data = dp_realloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int dp_buf_append(dp_buf *b, const void *p, size_t n)
{
    int rc = dp_buf_reserve(b, n);
    if (rc != 0) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dp_buf_puts(dp_buf *b, const char *s)
{
    return dp_buf_append(b, s, strlen(s));
}

int dp_buf_printf(dp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return -EINVAL;
    if ((size_t)n < sizeof(small)) return dp_buf_append(b, small, (size_t)n);
    int rc = dp_buf_reserve(b, (size_t)n);
    if (rc != 0) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int dp_buf_json_str(dp_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = dp_buf_append(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = dp_buf_append(b, e, 6);
        } else {
            rc = dp_buf_append(b, &s[i], 1);
        }
        if (rc != 0) return rc;
    }
    return 0;
}

char *dp_buf_steal(dp_buf *b, size_t *len)
{
    char *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
