#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int log_level = DP_LOG_INFO;
static const char *log_name = "deckpulse";

void dp_log_set_level(int level)
{
    log_level = level;
}

void dp_log_set_name(const char *name)
{
    log_name = name;
}

void dp_log_(int level, const char *file, int line, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > log_level) return;

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);

    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    if (level == DP_LOG_ERROR)
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s (%s:%d)\n",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                ts.tv_nsec / 1000000, log_name, (int)getpid(), names[level], msg, file, line);
    else
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s\n", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                log_name, (int)getpid(), names[level], msg);
}

void dp_log_abort_(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s[%d]: assertion failed: %s (%s:%d)\n", log_name, (int)getpid(), what, file,
            line);
    abort();
}
