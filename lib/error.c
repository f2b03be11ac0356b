#include "deckpulse/error.h"

#include <stdarg.h>
#include <stdio.h>

int dp_err_set(dp_err *e, int code, const char *fmt, ...)
{
    if (e != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}
