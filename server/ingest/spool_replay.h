/* Replays the spool into Redis when Redis is up: sealed segments oldest
 * first, records in order, each command of a record sent as it was
 * written, at most DP_REPLAY_WINDOW commands awaiting answers. A segment
 * is removed once every command read from it was answered OK; any failure
 * (Redis gone again, an error reply) stops the segment, and it is replayed
 * from its start later: the duplicates that makes are counted once by the
 * collector, which keys events by (session, seq). A torn or damaged record
 * ends the segment there (counted in dp_spool_torn_records_total). Files
 * are read in chunks on the thread pool, never on the loop. */
#ifndef DP_SPOOL_REPLAY_H
#define DP_SPOOL_REPLAY_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "buf.h"
#include "redis.h"
#include "spool.h"

#define DP_REPLAY_WINDOW 1024
#define DP_REPLAY_CHUNK  (1u << 20)

typedef struct dp_spool_replay {
    dp_spool *sp;
    dp_redis *redis;
    uv_timer_t timer;
    int running; /* a segment is being replayed */
    uint64_t seg;
    int fd;
    uint64_t file_off; /* the next byte to read */
    int eof, reading, parsed_all, failed, stopping;
    dp_buf buf;    /* bytes read and not yet parsed start at parsed */
    size_t parsed; /* offset in buf */
    uv_work_t work;
    ssize_t got;
    int open_errno;
    size_t inflight;
    void (*on_stopped)(void *);
    void *stopped_ud;
} dp_spool_replay;

void dp_spool_replay_start(dp_spool_replay *rp, uv_loop_t *loop, dp_spool *sp, dp_redis *redis);
/* Stops taking segments; on_stopped once nothing is in flight. */
void dp_spool_replay_stop(dp_spool_replay *rp, void (*on_stopped)(void *), void *ud);

#endif
