#include "report_cache.h"

#include <string.h>

#include "alloc.h"

void dp_rcache_init(dp_rcache *c, size_t max_bytes)
{
    memset(c, 0, sizeof(*c));
    dp_strmap_init(&c->index);
    c->max_bytes = max_bytes;
}

static void unlink_entry(dp_rcache *c, dp_rcache_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(dp_rcache *c, dp_rcache_entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (c->tail == NULL) c->tail = e;
}

static void drop(dp_rcache *c, dp_rcache_entry *e)
{
    unlink_entry(c, e);
    dp_strmap_del(&c->index, e->key, strlen(e->key));
    c->bytes -= e->bytes;
    dp_free(e->key);
    dp_free(e->stamp);
    dp_body_unref(e->body);
    dp_body_unref(e->gz);
    dp_free(e);
}

void dp_rcache_clear(dp_rcache *c)
{
    while (c->head)
        drop(c, c->head);
}

void dp_rcache_free(dp_rcache *c)
{
    while (c->head)
        drop(c, c->head);
    dp_strmap_free(&c->index);
}

dp_rcache_entry *dp_rcache_find(dp_rcache *c, const char *key)
{
    return dp_strmap_get(&c->index, key, strlen(key));
}

dp_rcache_entry *dp_rcache_get(dp_rcache *c, const char *key, const char *stamp, uint64_t now_ms,
                               uint64_t stale_ms, int *fresh)
{
    dp_rcache_entry *e = dp_strmap_get(&c->index, key, strlen(key));
    *fresh = e != NULL && strcmp(e->stamp, stamp) == 0;
    if (e == NULL || (!*fresh && (stale_ms == 0 || now_ms - e->made_ms > stale_ms))) {
        if (e) drop(c, e);
        c->misses++;
        return NULL;
    }
    unlink_entry(c, e);
    push_front(c, e);
    c->hits++;
    return e;
}

void dp_rcache_put(dp_rcache *c, const char *key, const char *stamp, const char *ctype,
                   const char *body, size_t len, uint64_t now_ms)
{
    size_t klen = strlen(key);
    size_t bytes = sizeof(dp_rcache_entry) + klen + strlen(stamp) + len + 64;
    if (bytes > c->max_bytes / 4) return; /* one answer never takes over the cache */
    dp_rcache_entry *old = dp_strmap_get(&c->index, key, klen);
    if (old) drop(c, old);
    while (c->tail && c->bytes + bytes > c->max_bytes)
        drop(c, c->tail);
    dp_rcache_entry *e = dp_calloc(1, sizeof(*e));
    e->key = dp_strdup(key);
    e->stamp = dp_strdup(stamp);
    e->ctype = ctype;
    e->body = dp_body_new(body, len);
    e->bytes = bytes;
    e->made_ms = now_ms;
    if (dp_strmap_put(&c->index, e->key, klen, e) != 0) {
        dp_free(e->key);
        dp_free(e->stamp);
        dp_body_unref(e->body);
        dp_free(e);
        return;
    }
    push_front(c, e);
    c->bytes += bytes;
}
