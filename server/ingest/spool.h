/* The local spool: where a batch goes when Redis cannot take it (down,
 * slower than redis_timeout_ms, or refusing writes), so that 202 still
 * means durable (docs/durability.md).
 *
 * data_dir/spool/<16 digits>.seg segment files of checked records
 * (spool_record.h). Appends are group-committed: records queue in memory
 * for up to spool_fsync_ms, then one worker-thread job writes the group and
 * fdatasyncs it, and only then do their callbacks run (with 0). Records
 * that arrive while a job runs form the next group. A failed write (disk
 * full) is cut back with ftruncate, so a segment never keeps a partial
 * record, and every callback of the group gets the error.
 *
 * The reader (spool_replay.c) takes sealed segments oldest first and
 * removes each one only after all of its commands were answered by Redis.
 * Appends never reopen an existing segment: a segment torn by a crash
 * stays as it is and is read up to the damage. */
#ifndef DP_SPOOL_H
#define DP_SPOOL_H

#include <limits.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "deckpulse/error.h"

/* status: 0 once the record is on disk, or a negative errno. */
typedef void (*dp_spool_cb)(void *ud, int status);

typedef struct dp_spool_group {
    dp_buf bytes;   /* records, headers included */
    dp_buf waiters; /* dp_spool_waiter[] */
    uint64_t records, commands;
} dp_spool_group;

typedef struct dp_spool_seg {
    uint64_t id;
    uint64_t bytes;
} dp_spool_seg;

typedef struct dp_spool {
    uv_loop_t *loop;
    char dir[PATH_MAX - 32];
    uint64_t max_bytes, segment_bytes, fsync_ms;

    dp_spool_seg *segs; /* on disk, oldest first; the last may be open */
    size_t nsegs, segcap;
    uint64_t next_id;
    uint64_t bytes;  /* on disk */
    uint64_t queued; /* in groups, not yet on disk */

    /* the open segment; only the worker touches these while busy */
    int fd;
    uint64_t fd_id, fd_bytes;
    int new_seg; /* the worker opened fd_id */
    int seal;    /* close the open segment when the job ends */

    dp_spool_group group[2];
    int filling; /* the group taking appends; the other is being written */
    int busy;
    int job_rc;
    uint64_t job_written;
    uv_work_t work;
    uv_timer_t timer;
    int timer_armed;

    int closing;
    void (*on_closed)(void *);
    void *closed_ud;

    /* for /metrics */
    uint64_t appended_records, appended_commands, fsyncs, write_errors, full;
    uint64_t replayed_records, replayed_commands, removed_segments, torn;
} dp_spool;

/* Creates dir if needed and indexes the segments already there (left by
 * an earlier run: replayed like any other). */
int dp_spool_open(dp_spool *sp, uv_loop_t *loop, const char *dir, uint64_t max_bytes,
                  uint64_t segment_bytes, uint64_t fsync_ms, dp_err *err);
/* Queues a record of count commands (payload built with
 * dp_spool_payload_add). -ENOSPC without queuing when the spool would pass
 * max_bytes; -ESHUTDOWN when closing. Otherwise cb runs later, always. */
int dp_spool_append(dp_spool *sp, const char *payload, size_t len, uint32_t count, dp_spool_cb cb,
                    void *ud);
/* The oldest segment that no append can touch any more, sealing the open
 * one if it is the only one left. 0 with *id, or -EAGAIN (nothing yet). */
int dp_spool_oldest(dp_spool *sp, uint64_t *id);
void dp_spool_path(const dp_spool *sp, uint64_t id, char *out, size_t outlen);
/* Forgets and unlinks a sealed segment whose every command is in Redis. */
void dp_spool_remove(dp_spool *sp, uint64_t id);
/* Writes what is queued, waits for the job, closes; then on_closed. */
void dp_spool_close(dp_spool *sp, void (*on_closed)(void *), void *ud);
void dp_spool_free(dp_spool *sp);

#endif
