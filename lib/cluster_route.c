#include "cluster_route.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define ROUTE_ARGS_MAX 4096 /* arguments looked at for a key, at most */

typedef struct reader {
    const char *p, *end;
} reader;

/* "<c><digits>\r\n" into *v; 0, or -1. */
static int read_num(reader *r, char c, long long *v)
{
    if (r->p >= r->end || *r->p != c) return -1;
    r->p++;
    long long n = 0;
    int digits = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        if (n > (INT64_MAX - 9) / 10) return -1;
        n = n * 10 + (*r->p++ - '0');
        digits++;
    }
    if (!digits || r->end - r->p < 2 || r->p[0] != '\r' || r->p[1] != '\n') return -1;
    r->p += 2;
    *v = n;
    return 0;
}

/* The next bulk argument. */
static int read_arg(reader *r, const char **s, size_t *n)
{
    long long len;
    if (read_num(r, '$', &len) != 0 || r->end - r->p < len + 2) return -1;
    *s = r->p;
    *n = (size_t)len;
    r->p += len + 2;
    return 0;
}

static int is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static dp_route_kind keyed(dp_route *out, const char *s, size_t n)
{
    out->kind = DP_ROUTE_KEY;
    out->key = s;
    out->keylen = n;
    return DP_ROUTE_KEY;
}

dp_route_kind dp_cluster_route(const char *cmd, size_t len, dp_route *out)
{
    reader r = {cmd, cmd + len};
    long long argc;
    const char *a0, *a;
    size_t n0, n;
    memset(out, 0, sizeof(*out));
    out->kind = DP_ROUTE_BAD;
    if (read_num(&r, '*', &argc) != 0 || argc < 1 || read_arg(&r, &a0, &n0) != 0)
        return DP_ROUTE_BAD;
    if (is(a0, n0, "MULTI")) return out->kind = DP_ROUTE_MULTI;
    if (is(a0, n0, "EXEC") || is(a0, n0, "DISCARD")) return out->kind = DP_ROUTE_END;
    static const char *const keyless[] = {"PING",   "INFO",     "CONFIG",  "CLUSTER",  "SCRIPT",
                                          "WAIT",   "ASKING",   "CLIENT",  "SELECT",   "TIME",
                                          "DBSIZE", "FLUSHALL", "COMMAND", "READONLY", "ECHO",
                                          "HELLO",  "AUTH",     "FLUSHDB", "UNWATCH"};
    for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++)
        if (is(a0, n0, keyless[i])) return out->kind = DP_ROUTE_KEYLESS;
    if (argc < 2) return out->kind = DP_ROUTE_KEYLESS;
    if (is(a0, n0, "EVAL") || is(a0, n0, "EVALSHA") || is(a0, n0, "FCALL") ||
        is(a0, n0, "EVAL_RO") || is(a0, n0, "EVALSHA_RO") || is(a0, n0, "FCALL_RO")) {
        const char *nk;
        size_t nkl;
        if (argc < 3 || read_arg(&r, &a, &n) != 0 || read_arg(&r, &nk, &nkl) != 0)
            return DP_ROUTE_BAD;
        long long keys = 0;
        for (size_t i = 0; i < nkl; i++) {
            if (nk[i] < '0' || nk[i] > '9' || keys > 1000000) return DP_ROUTE_BAD;
            keys = keys * 10 + (nk[i] - '0');
        }
        for (long long i = 3; i < argc && i < ROUTE_ARGS_MAX; i++) {
            if (read_arg(&r, &a, &n) != 0) return DP_ROUTE_BAD;
            if (keys > 0 || (n > 4 && !memcmp(a, "dp:{", 4))) return keyed(out, a, n);
        }
        return out->kind = DP_ROUTE_KEYLESS;
    }
    if (is(a0, n0, "XREAD") || is(a0, n0, "XREADGROUP")) {
        for (long long i = 1; i + 1 < argc && i < ROUTE_ARGS_MAX; i++) {
            if (read_arg(&r, &a, &n) != 0) return DP_ROUTE_BAD;
            if (is(a, n, "STREAMS")) {
                if (read_arg(&r, &a, &n) != 0) return DP_ROUTE_BAD;
                return keyed(out, a, n);
            }
        }
        return DP_ROUTE_BAD;
    }
    if (read_arg(&r, &a, &n) != 0) return DP_ROUTE_BAD;
    /* a subcommand first: XGROUP CREATE key, XINFO GROUPS key, OBJECT ... */
    if (is(a0, n0, "XGROUP") || is(a0, n0, "XINFO") || is(a0, n0, "OBJECT") ||
        is(a0, n0, "MEMORY")) {
        if (argc < 3) return out->kind = DP_ROUTE_KEYLESS; /* XINFO HELP */
        if (read_arg(&r, &a, &n) != 0) return DP_ROUTE_BAD;
    }
    return keyed(out, a, n);
}
