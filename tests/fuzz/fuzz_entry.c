/* libFuzzer target: a batch stream entry as the collector reads it
 * (entry.h). The input's first byte says how many events the "n" field
 * promises (its low 7 bits) and which version: top bit clear, a version 2
 * entry whose "events" field is the rest of the input; top bit set, a
 * version 3 entry whose "k" is the second byte and whose "batches" field is
 * the rest. Whatever is accepted holds exactly n events, each with a known
 * type, a valid session and fields within their ranges; whatever is
 * refused leaves the list as it was. */
#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"

#define MAXF 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int v3 = (data[0] & 0x80) != 0;
    unsigned want = data[0] & 0x7f;
    if (v3 && size < 2) return 0;
    char n[8], k[8];
    snprintf(n, sizeof(n), "%u", want);
    snprintf(k, sizeof(k), "%u", v3 ? (unsigned)data[1] : 0);
    const char *v2f[] = {"v",
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
    const char *v3f[] = {"v", "3", "k", k, "n", n, "batches", NULL};
    const char *const *fv = v3 ? v3f : v2f;
    size_t nf = v3 ? sizeof(v3f) / sizeof(v3f[0]) : sizeof(v2f) / sizeof(v2f[0]);
    size_t skip = v3 ? 2 : 1;
    redisReply kv[MAXF], *el[MAXF];
    for (size_t i = 0; i < nf; i++) {
        const char *s = fv[i] ? fv[i] : (const char *)data + skip;
        size_t len = fv[i] ? strlen(s) : size - skip;
        kv[i] = (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)s, .len = len};
        el[i] = &kv[i];
    }
    redisReply id = {.type = REDIS_REPLY_STRING, .str = "1-1", .len = 3};
    redisReply fields = {.type = REDIS_REPLY_ARRAY, .elements = nf, .element = el};
    redisReply *top_el[] = {&id, &fields};
    redisReply top = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = top_el};
    /* the last value is not NUL-terminated here: the reader must go by its length */
    dp_entry_list l = {0};
    char eid[DP_ENTRY_ID_MAX];
    dp_err err;
    if (dp_entry_read(&top, &l, eid, sizeof(eid), &err) == 0) {
        if (l.n != want) __builtin_trap();
        for (size_t i = 0; i < l.n; i++) {
            const dp_entry *e = &l.v[i];
            if ((unsigned)e->type >= DP_EV__COUNT || !dp_id_valid(e->session, strlen(e->session)) ||
                (!v3 && strcmp(e->session, "s1") != 0) || strcmp(e->id, "1-1") != 0 || e->seq < 0 ||
                e->at < DP_AT_MIN || e->at > DP_AT_MAX || e->received < DP_AT_MIN ||
                e->received > DP_AT_MAX || e->viewer == NULL || strlen(e->viewer) != 34)
                __builtin_trap();
        }
    } else if (l.n != 0) {
        __builtin_trap();
    }
    dp_entry_list_free(&l);
    return 0;
}
