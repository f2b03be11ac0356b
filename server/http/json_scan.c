/* The pass over a JSON text before a parser sees it (json_scan.h). */
#include "json_scan.h"

#include <errno.h>
#include <stdint.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The code point of the 4 hex digits at s (len bytes there), or -1. */
static long hex4(const char *s, size_t len)
{
    if (len < 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (len < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    return n;
}

int dp_json_prescan(const char *t, size_t len, size_t max_depth, dp_json_fault *f)
{
    size_t depth = 0;
    int in_str = 0;
    f->off = SIZE_MAX;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!in_str) {
            /* skip what is neither a quote, a bracket nor \v or \f: ('[' | 0x20)
             * is '{', (']' | 0x20) is '}' */
            while (c != '"' && (c | 0x20) != '{' && (c | 0x20) != '}' &&
                   (unsigned char)(c - '\v') > 1) {
                if (++i == len) return 0;
                c = (unsigned char)t[i];
            }
            if (c == '"')
                in_str = 1;
            else if ((c == '\f' || c == '\v') && f->off == SIZE_MAX) {
                f->off = i; /* yajl's whitespace, not JSON's */
                f->msg = "invalid character: only space, tab, CR and LF separate tokens";
            } else if (c == '[' || c == '{') {
                if (++depth > max_depth) return -E2BIG;
            } else if ((c == ']' || c == '}') && depth > 0)
                depth--;
            continue;
        }
        /* most of a string is plain bytes: skip them in a tight loop */
        while (c != '"' && c != '\\' && c < 0x80 && i + 1 < len)
            c = (unsigned char)t[++i];
        if (c == '"') {
            in_str = 0;
        } else if (c == '\\') {
            if (i + 1 >= len) break;
            long cp = t[i + 1] == 'u' ? hex4(t + i + 2, len - i - 2) : -1;
            if (cp < 0) {
                i++; /* a one-character escape (or a bad one: yajl's to name) */
                continue;
            }
            const char *bad = NULL;
            if (cp == 0)
                bad = "\\u0000 is not allowed";
            else if (cp >= 0xDC00 && cp <= 0xDFFF)
                bad = "invalid Unicode escape: a lone low surrogate";
            else if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = i + 7 < len && t[i + 6] == '\\' && t[i + 7] == 'u'
                              ? hex4(t + i + 8, len - i - 8)
                              : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    bad = "invalid Unicode escape: a high surrogate without its low one";
                else
                    i += 6;
            }
            if (bad && f->off == SIZE_MAX) {
                f->off = i;
                f->msg = bad;
            }
            i += 5;
        } else if (c >= 0x80) {
            size_t n = utf8_len((const unsigned char *)t + i, len - i);
            if (n == 0) {
                if (f->off == SIZE_MAX) {
                    f->off = i;
                    f->msg = "invalid UTF-8 in a string";
                }
                continue;
            }
            i += n - 1;
        }
    }
    return 0;
}

int dp_json_depth_check(const char *json, size_t len, size_t max_depth)
{
    dp_json_fault f;
    return dp_json_prescan(json, len, max_depth, &f);
}
