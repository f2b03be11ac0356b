#include "strmap.h"

#include <errno.h>
#include <string.h>

#include "alloc.h"

static char gone_marker;
#define GONE (&gone_marker)

static uint32_t hash_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

void dp_strmap_init(dp_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void dp_strmap_free(dp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL && m->slots[i].key != GONE) dp_free(m->slots[i].key);
    dp_free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* The slot holding key, or NULL. */
static dp_strmap_slot *find(const dp_strmap *m, const char *key, size_t klen, uint32_t h)
{
    if (m->cap == 0) return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        dp_strmap_slot *s = &m->slots[i];
        if (s->key == NULL) return NULL;
        if (s->key != GONE && s->hash == h && s->klen == klen && !memcmp(s->key, key, klen))
            return s;
    }
}

void *dp_strmap_get(const dp_strmap *m, const char *key, size_t klen)
{
    dp_strmap_slot *s = find(m, key, klen, hash_of(key, klen));
    return s ? s->value : NULL;
}

static void insert_slot(dp_strmap_slot *slots, size_t cap, char *key, size_t klen, uint32_t h,
                        void *value)
{
    size_t i = h & (cap - 1);
    while (slots[i].key != NULL && slots[i].key != GONE)
        i = (i + 1) & (cap - 1);
    slots[i] = (dp_strmap_slot){key, klen, h, value};
}

static int grow(dp_strmap *m)
{
    size_t cap = m->cap ? m->cap : 16;
    if ((m->n + 1) * 2 > cap) cap *= 2; /* at most half full with live entries */
    if (cap > 2 * (size_t)DP_STRMAP_MAX) return -E2BIG;
    dp_strmap_slot *slots = dp_calloc(cap, sizeof(*slots));
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL && m->slots[i].key != GONE)
            insert_slot(slots, cap, m->slots[i].key, m->slots[i].klen, m->slots[i].hash,
                        m->slots[i].value);
    dp_free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->n;
    return 0;
}

int dp_strmap_put(dp_strmap *m, const char *key, size_t klen, void *value)
{
    uint32_t h = hash_of(key, klen);
    dp_strmap_slot *s = find(m, key, klen, h);
    if (s) {
        s->value = value;
        return 0;
    }
    if (m->n >= DP_STRMAP_MAX) return -E2BIG;
    /* live + deleted under 3/4 of the slots keeps probes short */
    if ((m->used + 1) * 4 > m->cap * 3 && grow(m) != 0) return -E2BIG;
    char *k = dp_malloc(klen + 1);
    memcpy(k, key, klen);
    k[klen] = '\0';
    insert_slot(m->slots, m->cap, k, klen, h, value);
    m->n++;
    m->used++;
    return 0;
}

void *dp_strmap_del(dp_strmap *m, const char *key, size_t klen)
{
    dp_strmap_slot *s = find(m, key, klen, hash_of(key, klen));
    if (s == NULL) return NULL;
    void *v = s->value;
    dp_free(s->key);
    s->key = GONE;
    s->value = NULL;
    m->n--;
    return v;
}

void dp_strmap_free_values(dp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL && m->slots[i].key != GONE) {
            dp_free(m->slots[i].value);
            m->slots[i].value = NULL;
        }
}
