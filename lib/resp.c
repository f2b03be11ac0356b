#include "resp.h"

#include <string.h>

/* v in decimal, written backwards from end; two digits a step (event
 * times have 13: 3 % of the server's instructions went to one a step). */
static char *digits(char *end, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        const char *d = pairs + (v % 100) * 2;
        v /= 100;
        *--p = d[1];
        *--p = d[0];
    }
    if (v >= 10) {
        *--p = pairs[v * 2 + 1];
        *--p = pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

static int header(dp_buf *b, char kind, uint64_t n)
{
    char tmp[24], *end = tmp + sizeof(tmp) - 2;
    end[0] = '\r';
    end[1] = '\n';
    char *p = digits(end, n);
    *--p = kind;
    return dp_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* kind, n in decimal, CRLF at w; returns the end */
static char *put_header(char *w, char kind, uint64_t n)
{
    char tmp[24], *end = tmp + sizeof(tmp);
    char *p = digits(end, n);
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

const char *dp_i64_to_str(int64_t v, char *buf, size_t *len)
{
    char *end = buf + 23;
    *end = '\0';
    char *p = digits(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    *len = (size_t)(end - p);
    return p;
}

int dp_resp_int(dp_buf *b, int64_t v)
{
    char tmp[24], *end = tmp + sizeof(tmp);
    char *p = digits(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) *--p = '-';
    return dp_resp_arg(b, p, (size_t)(end - p));
}
