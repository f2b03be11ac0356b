/* Answers of report queries kept in memory, least recently used out first,
 * within report_cache_mb. An entry is keyed by the route and its canonical
 * parameters and stamped with the generation of the data it was made from
 * (the collectors' dp:{N}:gen counters and the catalog's dp:{c}:gen); it is
 * served only while that stamp is current, so a cached answer is always the
 * answer the data gives now. */
#ifndef DP_REPORT_CACHE_H
#define DP_REPORT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

typedef struct dp_rcache_entry {
    struct dp_rcache_entry *prev, *next; /* LRU list, most recent first */
    char *key;
    char *stamp;
    const char *ctype; /* a static string */
    char *body;
    size_t len;
    size_t bytes;
} dp_rcache_entry;

typedef struct dp_rcache {
    dp_strmap index;
    dp_rcache_entry *head, *tail;
    size_t bytes, max_bytes;
    uint64_t hits, misses;
} dp_rcache;

void dp_rcache_init(dp_rcache *c, size_t max_bytes);
void dp_rcache_free(dp_rcache *c);
/* The entry for key if its stamp is stamp, else NULL (a stale one is
 * dropped). */
const dp_rcache_entry *dp_rcache_get(dp_rcache *c, const char *key, const char *stamp);
void dp_rcache_put(dp_rcache *c, const char *key, const char *stamp, const char *ctype,
                   const char *body, size_t len);

#endif
