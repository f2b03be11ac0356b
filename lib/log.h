/* Logging: one line per message on stderr, printf-checked, with the level
 * and the source location for errors. */
#ifndef DP_LOG_H
#define DP_LOG_H

#include "deckpulse/error.h"

enum { DP_LOG_ERROR = 0, DP_LOG_WARN = 1, DP_LOG_INFO = 2, DP_LOG_DEBUG = 3 };

void dp_log_set_level(int level);
void dp_log_set_name(const char *name);
void dp_log_(int level, const char *file, int line, const char *fmt, ...) DP_PRINTF(4, 5);

#define dp_error(...) dp_log_(DP_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define dp_warn(...)  dp_log_(DP_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define dp_info(...)  dp_log_(DP_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define dp_debug(...) dp_log_(DP_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/* Broken invariant: log and abort (Redis serverAssert). */
#define dp_assert(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) dp_log_abort_(__FILE__, __LINE__, #cond);                                     \
    } while (0)
void dp_log_abort_(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
