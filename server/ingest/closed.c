/* Closed materials: closed.h. */
#include "closed.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/event.h"
#include "deckpulse/keys.h"
#include "log.h"

#define CHECK_EVERY_MS 1000

static void free_map(dp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        dp_strmap *slides = m->slots[i].value;
        if (slides == NULL) continue;
        dp_strmap_free(slides);
        dp_free(slides);
    }
    dp_strmap_free(m);
    dp_strmap_init(m);
}

void dp_closed_init(dp_closed *c, uv_loop_t *loop, int enabled)
{
    memset(c, 0, sizeof(*c));
    c->enabled = enabled;
    c->loop = loop;
    dp_strmap_init(&c->materials);
    dp_strmap_init(&c->next);
}

void dp_closed_free(dp_closed *c)
{
    free_map(&c->materials);
    free_map(&c->next);
}

/* The stored slides (a JSON array of {"slide", "title", "version"}, as the
 * catalog writes it) as slide -> version. */
static dp_strmap *slides_of(const char *json, size_t len)
{
    json_t *a = json_loadb(json, len, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return NULL;
    }
    dp_strmap *m = dp_malloc(sizeof(*m));
    dp_strmap_init(m);
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s)
    {
        const char *id = json_string_value(json_object_get(s, "slide"));
        json_t *v = json_object_get(s, "version");
        int64_t version = json_is_integer(v) ? (int64_t)json_integer_value(v) : 1;
        if (id && strlen(id) <= DP_ID_MAX && version >= 1 && version <= DP_VERSION_MAX)
            dp_strmap_put(m, id, strlen(id), (void *)(uintptr_t)version);
    }
    json_decref(a);
    return m;
}

static void finish(dp_closed *c)
{
    c->busy = 0;
    if (c->failed) {
        free_map(&c->next);
        c->checked_ms = 0; /* try again with the next batch */
        return;
    }
    free_map(&c->materials);
    c->materials = c->next;
    dp_strmap_init(&c->next);
    memcpy(c->gen, c->next_gen, sizeof(c->gen));
    c->loaded = 1;
}

typedef struct material_read {
    dp_closed *c;
    char id[DP_ID_MAX + 1];
} material_read;

static void on_material(dp_redis *r, redisReply *reply, void *priv)
{
    material_read *mr = priv;
    dp_closed *c = mr->c;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        c->failed = 1;
    } else if (reply->type == REDIS_REPLY_STRING) {
        dp_strmap *slides = slides_of(reply->str, reply->len);
        if (slides) dp_strmap_put(&c->next, mr->id, strlen(mr->id), slides);
    }
    dp_free(mr);
    if (--c->pending == 0) finish(c);
}

static void on_ids(dp_redis *r, redisReply *reply, void *priv)
{
    dp_closed *c = priv;
    (void)r;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        c->failed = 1;
        finish(c);
        return;
    }
    c->pending = 1; /* until every HGET is sent */
    for (size_t i = 0; i < reply->elements && !c->failed; i++) {
        const redisReply *e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > DP_ID_MAX) continue;
        material_read *mr = dp_malloc(sizeof(*mr));
        mr->c = c;
        memcpy(mr->id, e->str, e->len);
        mr->id[e->len] = '\0';
        char key[128];
        dp_key_catalog_material(key, sizeof(key), mr->id);
        const char *argv[] = {"HGET", key, "slides"};
        c->pending++;
        if (dp_redis_command(c->redis, on_material, mr, 3, argv, NULL) != 0) {
            c->pending--;
            c->failed = 1;
            dp_free(mr);
        }
    }
    if (--c->pending == 0) finish(c);
}

static void on_gen(dp_redis *r, redisReply *reply, void *priv)
{
    dp_closed *c = priv;
    (void)r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        c->failed = 1;
        finish(c);
        return;
    }
    const char *gen = reply->type == REDIS_REPLY_STRING ? reply->str : "";
    if (c->loaded && strncmp(gen, c->gen, sizeof(c->gen) - 1) == 0) {
        c->busy = 0; /* unchanged */
        return;
    }
    snprintf(c->next_gen, sizeof(c->next_gen), "%s", gen);
    const char *argv[] = {"SMEMBERS", DP_KEY_CATALOG};
    if (dp_redis_command(c->redis, on_ids, c, 2, argv, NULL) != 0) {
        c->failed = 1;
        finish(c);
    }
}

void dp_closed_refresh(dp_closed *c, dp_redis *redis, int force)
{
    if (!c->enabled || c->busy || redis == NULL) return;
    c->redis = redis;
    uint64_t now = uv_now(c->loop);
    if (!force && c->checked_ms && now - c->checked_ms < CHECK_EVERY_MS) return;
    c->checked_ms = now ? now : 1;
    const char *argv[] = {"GET", DP_KEY_CATALOG_GEN};
    c->busy = 1;
    c->failed = 0;
    if (dp_redis_command(c->redis, on_gen, c, 2, argv, NULL) != 0) {
        c->busy = 0;
        c->checked_ms = 0;
    }
}

int dp_closed_refuses(const dp_closed *c, const char *material, const char *slide, int64_t version)
{
    if (!c->enabled || !c->loaded) return 0;
    const dp_strmap *slides = dp_strmap_get(&c->materials, material, strlen(material));
    if (slides == NULL) return 0; /* not in the catalog: open */
    uintptr_t v = (uintptr_t)dp_strmap_get(slides, slide, strlen(slide));
    return v == 0 || (int64_t)v < version;
}
