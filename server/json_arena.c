/* One batch's JSON tree in one block: json_arena.h. */
#include "json_arena.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"

#define TAG_HEAP  0x68656170u /* "heap" */
#define TAG_ARENA 0x6172656eu /* "aren" */
#define ARENA_MAX (1u << 20)

typedef struct hdr {
    uint32_t tag;
    uint32_t pad[3]; /* keeps what follows 16-byte aligned */
} hdr;

struct dp_json_arena {
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

static int installed;
#if defined(__SANITIZE_ADDRESS__)
static int enabled = 0;
#else
static int enabled = 1;
#endif
static dp_json_arena *cur;

static void *a_malloc(size_t size)
{
    size_t need = sizeof(hdr) + ((size + 15) & ~(size_t)15);
    hdr *h;
    if (cur != NULL && need <= cur->cap - cur->used) {
        h = (hdr *)(cur->data + cur->used);
        cur->used += need;
        h->tag = TAG_ARENA;
    } else {
        h = malloc(sizeof(hdr) + size);
        if (h == NULL) return NULL;
        h->tag = TAG_HEAP;
    }
    return h + 1;
}

static void a_free(void *p)
{
    if (p == NULL) return;
    hdr *h = (hdr *)p - 1;
    if (h->tag == TAG_HEAP) free(h);
    /* arena memory goes with its block */
}

void dp_json_arena_install(void)
{
    if (installed) return;
    json_set_alloc_funcs(a_malloc, a_free);
    installed = 1;
}

void dp_json_arena_enable(int on)
{
    enabled = on;
}

dp_json_arena *dp_json_arena_enter(size_t size)
{
    cur = NULL;
    if (!installed || !enabled) return NULL;
    if (size > ARENA_MAX) size = ARENA_MAX;
    dp_json_arena *a = dp_malloc(sizeof(*a) + size);
    a->used = 0;
    a->cap = size;
    cur = a;
    return a;
}

void dp_json_arena_leave(void)
{
    cur = NULL;
}

void dp_json_arena_free(dp_json_arena *a)
{
    dp_free(a);
}

void dp_json_free(void *p)
{
    if (installed)
        a_free(p);
    else
        free(p);
}
