/* Answers of report queries kept in memory, least recently used out first,
 * within report_cache_mb. An entry is keyed by the route and its canonical
 * parameters and stamped with the generation of the data it was made from
 * (the collectors' dp:{N}:gen counters and the catalog's dp:{c}:gen). It is
 * served as it is while that stamp is current. When the data has changed,
 * an answer computed at most report_stale_ms ago is still served while a
 * fresh one is computed in the background (stale-while-revalidate), so a
 * dashboard polling a material that is being viewed right now gets numbers
 * at most that old, at once; report_stale_ms = 0 always waits. */
#ifndef DP_REPORT_CACHE_H
#define DP_REPORT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "body.h"
#include "strmap.h"

typedef struct dp_rcache_entry {
    struct dp_rcache_entry *prev, *next; /* LRU list, most recent first */
    char *key;
    char *stamp;
    const char *ctype; /* a static string */
    dp_body *body;     /* shared with the connections writing it */
    size_t bytes;
    uint64_t made_ms; /* loop time when computed */
    char etag[24];    /* "" until made (reply.c) */
    dp_body *gz;      /* gzip of body once a client asked for it, or NULL */
    int refreshing;   /* a newer answer is being computed */
    char extra[96];   /* header lines of the answer ("X-Total-Count: ...\r\n"), "" if none */
} dp_rcache_entry;

typedef struct dp_rcache {
    dp_strmap index;
    dp_rcache_entry *head, *tail;
    size_t bytes, max_bytes;
    uint64_t hits, misses, refreshes;
} dp_rcache;

void dp_rcache_init(dp_rcache *c, size_t max_bytes);
void dp_rcache_free(dp_rcache *c);
/* The entry for key if its stamp is stamp (*fresh = 1), or if it is older
 * data computed at most stale_ms ago (*fresh = 0: serve it, refresh it);
 * else NULL (a stale entry is dropped). */
dp_rcache_entry *dp_rcache_get(dp_rcache *c, const char *key, const char *stamp, uint64_t now_ms,
                               uint64_t stale_ms, int *fresh);
void dp_rcache_put(dp_rcache *c, const char *key, const char *stamp, const char *ctype,
                   const char *body, size_t len, uint64_t now_ms);
/* Drops every entry (after an erasure: nothing personal may be served). */
void dp_rcache_clear(dp_rcache *c);
/* The entry of key, whatever its stamp, or NULL. */
dp_rcache_entry *dp_rcache_find(dp_rcache *c, const char *key);

#endif
