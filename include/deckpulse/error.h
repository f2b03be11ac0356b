/* deckpulse — the one error convention.
 *
 * Every fallible function returns 0 on success or a negative errno value
 * (as libuv does): -EINVAL for bad input, -E2BIG when a ceiling is crossed,
 * -EAGAIN when a dependency is unavailable, -EIO for I/O failures. When it can
 * say more, it writes one human-readable sentence into a caller-supplied
 * dp_err, naming the offending field or setting first ("events[2].ms: ...").
 * A call that fails never runs its callback. */
#ifndef DECKPULSE_ERROR_H
#define DECKPULSE_ERROR_H

#include <errno.h>

#define DP_ERR_MSG_MAX 256

typedef struct dp_err {
    char msg[DP_ERR_MSG_MAX];
} dp_err;

#if defined(__GNUC__)
#define DP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DP_PRINTF(a, b)
#endif

/* Formats the message into e (if e is not NULL) and returns code, so that
 * `return dp_err_set(err, -EINVAL, "...")` is one statement. */
int dp_err_set(dp_err *e, int code, const char *fmt, ...) DP_PRINTF(3, 4);

#endif
