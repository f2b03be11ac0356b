/* Group commit to Redis: every batch accepted in one loop iteration goes
 * to its shard's stream in one XADD, a version 3 entry
 * (include/deckpulse/event.h). Redis's cost is per command and per
 * argument far more than per byte: one XADD of many batches, each packed
 * into lines of one argument, costs it a tenth of one XADD of 18 arguments
 * per batch (bench/RESULTS.md).
 *
 * A batch joins the group of its shard (dp_xgroup_add writes its lines
 * straight into the group's text); at the end of the loop iteration (a
 * uv_check, after the poll phase that read the requests) each group is sent
 * as one XADD, which hiredis writes in the next iteration's prepare phase
 * together with everything else — unless the shard's previous XADD is
 * still unanswered: then the group keeps filling until that answer comes.
 * And while batches arrive fast (DP_XGROUP_HOLD_RATE a millisecond), a
 * group of fewer than DP_XGROUP_HOLD_BATCHES waits up to hold_us for more
 * (Redis pays per XADD: at 50 k requests/s groups were 3 batches). So an
 * idle Redis gets each batch at once, and a busy one fewer, larger XADDs. When Redis answers, or fails, every member's callback runs once
 * with its own lines, so that a member Redis did not take can be spooled
 * alone. A group holding DP_ENTRY_BATCHES_MAX
 * batches or DP_XGROUP_BYTES of text is sent when the next batch comes,
 * which starts a new one.
 *
 * With wait_replicas (the redis_wait_replicas setting, issue 22), each XADD
 * is followed on its connection by WAIT wait_replicas wait_ms: the group
 * succeeds only when Redis took it and that many replicas confirmed it;
 * otherwise its members fail (and are spooled, as when Redis is away). */
#ifndef DP_XADD_GROUP_H
#define DP_XADD_GROUP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "redis.h"

#define DP_XGROUP_BYTES        (256u << 10) /* a group's text: sent once it holds this much */
#define DP_XGROUP_HOLD_BATCHES 8            /* while busy, a group waits for this many... */
#define DP_XGROUP_HOLD_RATE    16           /* (busy: this many batches joined in the last ms) */

/* status 0: in Redis. Otherwise a negative errno (-EAGAIN: Redis was not
 * up, -EIO: it failed or refused); text[0..len) is the member's own
 * lines (a version 3 entry's "batches" value, k = 1), valid during the
 * call only. */
typedef void (*dp_xgroup_cb)(void *member, int status, const char *text, size_t len);

typedef struct dp_xgroup dp_xgroup; /* one entry being filled or awaiting Redis */

typedef struct dp_xgroups {
    uv_loop_t *loop;
    dp_redis *redis;
    dp_xgroup_cb cb;
    unsigned shards;
    dp_xgroup **filling; /* per shard, NULL when empty */
    unsigned *inflight;  /* per shard, XADDs sent and not answered yet */
    uv_check_t check;
    uv_timer_t hold; /* wakes the loop while a group is held back */
    int check_open, closing;
    uint64_t hold_us;                            /* ... or this long (0: never held) */
    uint64_t win_ns, win, prev_win;              /* batches joining, per millisecond */
    void (*on_latency)(void *ud, uint64_t usec); /* per XADD answered */
    void *latency_ud;
    uint64_t sent, members; /* for /metrics: XADDs sent, batches in them */
    unsigned wait_replicas; /* 0: a group is done when Redis answers */
    uint64_t wait_ms;
    uint64_t unreplicated; /* for /metrics: groups the replicas did not confirm in time */
    void (*on_closed)(void *ud);
    void *closed_ud;
} dp_xgroups;

void dp_xgroups_init(dp_xgroups *g, uv_loop_t *loop, dp_redis *redis, unsigned shards,
                     uint64_t hold_us, dp_xgroup_cb cb);
/* Writes the batch's lines with write(ud, text): it appends them to text
 * (a head line and its events, event.h) and returns 0, or a negative errno
 * that leaves the batch out (text as it was). On success member joins the
 * shard's group; its callback runs later, never from within this call
 * (other members' may: a full group sent here that Redis cannot take). */
int dp_xgroup_add(dp_xgroups *g, unsigned shard, void *member, uint32_t nevents,
                  int (*write)(void *ud, dp_buf *text), void *ud);
/* The RESP of a version 3 entry's XADD to stream, k batches and n events
 * in all, up to its batches text of textlen bytes (the command goes on
 * with that text and "\r\n"): the one writer of that layout, for the
 * groups and for a batch spooled alone. Its length (at most
 * DP_XGROUP_HEAD_MAX: the stream name, three numbers, the field names). */
#define DP_XGROUP_HEAD_MAX 160
size_t dp_xgroup_head(char *out, const char *stream, uint64_t k, uint64_t n, size_t textlen);

/* Sends what is filling now (shutdown: before Redis closes). */
void dp_xgroups_flush(dp_xgroups *g);
/* Sends what is filling, then closes the check handle; on_closed(ud) runs
 * once it is closed (if it was open). Groups awaiting Redis still get
 * their callbacks; later adds are refused with -EAGAIN. */
void dp_xgroups_close(dp_xgroups *g, void (*on_closed)(void *), void *ud);
void dp_xgroups_free(dp_xgroups *g);

#endif
