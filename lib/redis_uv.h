/* hiredis on libuv, with writes batched per loop iteration.
 *
 * hiredis's own libuv adapter restarts its uv_poll for every command queued
 * (uv_poll_start = epoll_ctl DEL now and ADD at the next poll) and again
 * when the output is written: two to four epoll_ctl per command
 * (bench/RESULTS.md). Here the poll watches readability for the life of
 * the connection; queued output is written once per loop iteration from a
 * uv_prepare handle (every command of the iteration in one write), and
 * only when the socket is full (or while connecting) does the poll also
 * wait for writability. */
#ifndef DP_REDIS_UV_H
#define DP_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* REDIS_OK or REDIS_ERR, like redisLibuvAttach. */
int dp_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
