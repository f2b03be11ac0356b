/* Integers in decimal without printf: the ingest path formats a dozen a
 * request (event times, RESP lengths, counters). */
#ifndef DP_FMT_H
#define DP_FMT_H

#include <stddef.h>
#include <stdint.h>

/* v in decimal, written backwards from end; two digits a step (event
 * times have 13: 3 % of the server's instructions went to one a step). */
static inline char *dp_fmt_digits(char *end, uint64_t v)
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

/* v in decimal into buf (at least 24 bytes), NUL-terminated; returns where
 * the digits start and their length in *len. */
const char *dp_i64_to_str(int64_t v, char *buf, size_t *len);

#endif
