#include "resp.h"

#include <string.h>

#include "fmt.h"

static int header(dp_buf *b, char kind, uint64_t n)
{
    char tmp[24], *end = tmp + sizeof(tmp) - 2;
    end[0] = '\r';
    end[1] = '\n';
    char *p = dp_fmt_digits(end, n);
    *--p = kind;
    return dp_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* kind, n in decimal, CRLF at w; returns the end */
static char *put_header(char *w, char kind, uint64_t n)
{
    char tmp[24], *end = tmp + sizeof(tmp);
    char *p = dp_fmt_digits(end, n);
    *w++ = kind;
    memcpy(w, p, (size_t)(end - p));
    w += end - p;
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

int dp_resp_command(dp_buf *b, size_t argc, const char *const *argv, const size_t *lens)
{
    size_t need = 24; /* "*" + up to 20 digits + CRLF */
    for (size_t i = 0; i < argc; i++)
        need += 24 + lens[i] + 2;
    int rc = dp_buf_reserve(b, need);
    if (rc != 0) return rc;
    char *w = put_header(b->data + b->len, '*', argc);
    for (size_t i = 0; i < argc; i++) {
        w = put_header(w, '$', lens[i]);
        memcpy(w, argv[i], lens[i]);
        w += lens[i];
        *w++ = '\r';
        *w++ = '\n';
    }
    b->len = (size_t)(w - b->data);
    return 0;
}

int dp_resp_array(dp_buf *b, size_t argc)
{
    return header(b, '*', argc);
}

int dp_resp_arg(dp_buf *b, const char *s, size_t n)
{
    int rc = header(b, '$', n);
    if (rc == 0) rc = dp_buf_append(b, s, n);
    if (rc == 0) rc = dp_buf_append(b, "\r\n", 2);
    return rc;
}

int dp_resp_str(dp_buf *b, const char *s)
{
    return dp_resp_arg(b, s, strlen(s));
}

int dp_resp_int(dp_buf *b, int64_t v)
{
    char tmp[24], *end = tmp + sizeof(tmp);
    char *p = dp_fmt_digits(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    return dp_resp_arg(b, p, (size_t)(end - p));
}
