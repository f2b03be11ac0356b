/* libFuzzer target: a batch stream entry's "events" field as the collector
 * reads it (entry.h). The input's first byte says how many events the "n"
 * field promises, the rest is the field. Whatever is accepted holds exactly
 * n events, each with a known type, the batch's session and fields within
 * their ranges; whatever is refused leaves the list as it was. */
#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    char n[8];
    snprintf(n, sizeof(n), "%u", (unsigned)data[0]);
    const char *fv[] = {"v",
                        "2",
                        "received",
                        "1795000000000",
                        "session",
                        "s1",
                        "mode",
                        "self",
                        "presentation",
                        "p1",
                        "viewer",
                        "a:0123456789abcdef0123456789abcdef",
                        "n",
                        n,
                        "events",
                        NULL};
    const size_t nf = sizeof(fv) / sizeof(fv[0]);
    redisReply kv[sizeof(fv) / sizeof(fv[0])], *el[sizeof(fv) / sizeof(fv[0])];
    for (size_t i = 0; i < nf; i++) {
        const char *s = fv[i] ? fv[i] : (const char *)data + 1;
        size_t len = fv[i] ? strlen(s) : size - 1;
        kv[i] = (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)s, .len = len};
        el[i] = &kv[i];
    }
    redisReply id = {.type = REDIS_REPLY_STRING, .str = "1-1", .len = 3};
    redisReply fields = {.type = REDIS_REPLY_ARRAY, .elements = nf, .element = el};
    redisReply *top_el[] = {&id, &fields};
    redisReply top = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = top_el};
    /* the "events" value is not NUL-terminated here: the reader must go by its length */
    dp_entry_list l = {0};
    char eid[DP_ENTRY_ID_MAX];
    dp_err err;
    if (dp_entry_read(&top, &l, eid, sizeof(eid), &err) == 0) {
        if (l.n != data[0]) __builtin_trap();
        for (size_t i = 0; i < l.n; i++) {
            const dp_entry *e = &l.v[i];
            if ((unsigned)e->type >= DP_EV__COUNT || strcmp(e->session, "s1") != 0 ||
                strcmp(e->id, "1-1") != 0 || e->seq < 0 || e->at < DP_AT_MIN || e->at > DP_AT_MAX)
                __builtin_trap();
        }
    } else if (l.n != 0) {
        __builtin_trap();
    }
    dp_entry_list_free(&l);
    return 0;
}
