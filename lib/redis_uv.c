/* hiredis on libuv: redis_uv.h. */
#include "redis_uv.h"

#include <hiredis/hiredis.h>

#include "alloc.h"

typedef struct dp_redis_uv {
    redisAsyncContext *ac; /* NULL once hiredis let go of it */
    uv_poll_t poll;
    uv_prepare_t prepare;
    int events;   /* what the poll watches */
    int flushing; /* inside our own redisAsyncHandleWrite */
    int open;     /* handles not yet closed */
} dp_redis_uv;

static void on_poll(uv_poll_t *h, int status, int events)
{
    dp_redis_uv *p = h->data;
    if (status != 0) return;
    if (p->ac != NULL && (events & UV_READABLE)) redisAsyncHandleRead(p->ac);
    if (p->ac != NULL && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

static void watch(dp_redis_uv *p, int events)
{
    if (events == p->events) return; /* no epoll_ctl for nothing */
    p->events = events;
    if (events)
        uv_poll_start(&p->poll, events, on_poll);
    else
        uv_poll_stop(&p->poll);
}

static void on_prepare(uv_prepare_t *h)
{
    dp_redis_uv *p = h->data;
    uv_prepare_stop(h);
    if (p->ac == NULL) return;
    p->flushing = 1;
    redisAsyncHandleWrite(p->ac); /* may call add/delWrite, or even cleanup */
    p->flushing = 0;
}

static void add_read(void *d)
{
    dp_redis_uv *p = d;
    watch(p, p->events | UV_READABLE);
}

static void del_read(void *d)
{
    dp_redis_uv *p = d;
    watch(p, p->events & ~UV_READABLE);
}

static void add_write(void *d)
{
    dp_redis_uv *p = d;
    if (p->flushing || !(p->ac->c.flags & REDIS_CONNECTED))
        watch(p, p->events | UV_WRITABLE); /* socket full, or connecting: wait for it */
    else if (!uv_is_active((uv_handle_t *)&p->prepare))
        uv_prepare_start(&p->prepare, on_prepare);
}

static void del_write(void *d)
{
    dp_redis_uv *p = d;
    watch(p, p->events & ~UV_WRITABLE);
}

static void on_closed(uv_handle_t *h)
{
    dp_redis_uv *p = h->data;
    if (--p->open == 0) dp_free(p);
}

static void cleanup(void *d)
{
    dp_redis_uv *p = d;
    p->ac = NULL;
    uv_close((uv_handle_t *)&p->poll, on_closed);
    uv_close((uv_handle_t *)&p->prepare, on_closed);
}

int dp_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    if (ac->ev.data != NULL) return REDIS_ERR;
    dp_redis_uv *p = dp_calloc(1, sizeof(*p));
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        dp_free(p);
        return REDIS_ERR;
    }
    uv_prepare_init(loop, &p->prepare);
    p->poll.data = p->prepare.data = p;
    p->open = 2;
    p->ac = ac;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = p;
    return REDIS_OK;
}
