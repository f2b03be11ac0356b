/* Replaying the spool: spool_replay.h. */
#include "spool_replay.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spool_record.h"

#define TICK_MS 250

static void pump(dp_spool_replay *rp);
static void tick(uv_timer_t *t);

static void maybe_stopped(dp_spool_replay *rp)
{
    if (!rp->stopping || rp->reading || rp->inflight) return;
    if (rp->fd >= 0) close(rp->fd);
    rp->fd = -1;
    dp_buf_free(&rp->buf);
    rp->running = 0;
    if (!uv_is_closing((uv_handle_t *)&rp->timer)) {
        uv_close((uv_handle_t *)&rp->timer, NULL);
        if (rp->on_stopped) rp->on_stopped(rp->stopped_ud);
        rp->on_stopped = NULL;
    }
}

static void end_segment(dp_spool_replay *rp)
{
    if (rp->fd >= 0) close(rp->fd);
    rp->fd = -1;
    rp->running = 0;
    dp_buf_reset(&rp->buf);
    if (rp->failed) return; /* again from its start, at a later tick */
    dp_spool_remove(rp->sp, rp->seg);
    dp_info("spool: segment %" PRIu64 " replayed and removed", rp->seg);
    tick(&rp->timer); /* straight on to the next one */
}

static void read_job(uv_work_t *w)
{
    dp_spool_replay *rp = w->data;
    rp->open_errno = 0;
    if (rp->fd < 0) {
        char path[PATH_MAX];
        dp_spool_path(rp->sp, rp->seg, path, sizeof(path));
        rp->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (rp->fd < 0) {
            rp->open_errno = errno;
            rp->got = -1;
            return;
        }
    }
    ssize_t n;
    do
        n = pread(rp->fd, rp->buf.data + rp->buf.len, DP_REPLAY_CHUNK, (off_t)rp->file_off);
    while (n < 0 && errno == EINTR);
    if (n < 0) rp->open_errno = errno;
    rp->got = n;
}

static void read_done(uv_work_t *w, int status)
{
    dp_spool_replay *rp = w->data;
    rp->reading = 0;
    if (rp->stopping) {
        maybe_stopped(rp);
        return;
    }
    if (status != 0 || rp->got < 0) {
        dp_warn("spool: reading segment %" PRIu64 ": %s", rp->seg,
                status ? uv_strerror(status) : strerror(rp->open_errno));
        rp->failed = 1;
        if (rp->inflight == 0) end_segment(rp);
        return;
    }
    if (rp->got == 0) rp->eof = 1;
    rp->buf.len += (size_t)rp->got;
    rp->file_off += (uint64_t)rp->got;
    pump(rp);
}

static void read_more(dp_spool_replay *rp)
{
    /* keep only what is not parsed yet, then room for one more chunk */
    if (rp->parsed > 0) {
        memmove(rp->buf.data, rp->buf.data + rp->parsed, rp->buf.len - rp->parsed);
        rp->buf.len -= rp->parsed;
        rp->parsed = 0;
    }
    if (dp_buf_reserve(&rp->buf, DP_REPLAY_CHUNK) != 0) {
        rp->failed = 1;
        if (rp->inflight == 0) end_segment(rp);
        return;
    }
    rp->reading = 1;
    rp->work.data = rp;
    uv_queue_work(rp->redis->loop, &rp->work, read_job, read_done);
}

static void on_reply(dp_redis *r, redisReply *reply, void *priv)
{
    dp_spool_replay *rp = priv;
    (void)r;
    rp->inflight--;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        if (!rp->failed)
            dp_warn("spool: replay of segment %" PRIu64 " stopped: %s; it starts again later",
                    rp->seg, reply ? reply->str : "connection lost");
        rp->failed = 1;
    } else {
        rp->sp->replayed_commands++;
    }
    if (rp->stopping) {
        maybe_stopped(rp);
    } else if (rp->failed || rp->parsed_all) {
        if (rp->inflight == 0 && !rp->reading) end_segment(rp);
    } else if (!rp->reading) {
        pump(rp);
    }
}

static void damaged(dp_spool_replay *rp, const char *what)
{
    rp->sp->torn++;
    dp_warn("spool: segment %" PRIu64 ": %s record at byte %" PRIu64 "; the rest of the "
            "segment is skipped",
            rp->seg, what, rp->file_off - (rp->buf.len - rp->parsed));
    rp->parsed_all = 1;
}

static void pump(dp_spool_replay *rp)
{
    if (rp->file_off - rp->buf.len == 0 && rp->parsed == 0) {
        /* the file's first bytes: its magic */
        if (rp->buf.len < DP_SPOOL_FILE_MAGIC_LEN && !rp->eof) {
            read_more(rp);
            return;
        }
        if (rp->buf.len < DP_SPOOL_FILE_MAGIC_LEN ||
            memcmp(rp->buf.data, DP_SPOOL_FILE_MAGIC, DP_SPOOL_FILE_MAGIC_LEN) != 0) {
            damaged(rp, "a file header instead of a");
        } else {
            rp->parsed = DP_SPOOL_FILE_MAGIC_LEN;
        }
    }
    while (!rp->parsed_all && !rp->failed && rp->inflight < DP_REPLAY_WINDOW) {
        const char *payload;
        size_t len;
        uint32_t count;
        dp_spool_read r =
            dp_spool_record_next(rp->buf.data, rp->buf.len, &rp->parsed, &payload, &len, &count);
        if (r == DP_SPOOL_RECORD) {
            size_t off = 0, cl;
            const char *cmd;
            while (dp_spool_payload_next(payload, len, &off, &cmd, &cl) == 0) {
                if (dp_redis_formatted(rp->redis, on_reply, rp, cmd, cl) != 0) {
                    rp->failed = 1; /* Redis went away: from the start later */
                    break;
                }
                rp->inflight++;
            }
            if (!rp->failed) rp->sp->replayed_records++;
        } else if ((r == DP_SPOOL_END || r == DP_SPOOL_TORN) && !rp->eof) {
            read_more(rp);
            return;
        } else if (r == DP_SPOOL_END) {
            rp->parsed_all = 1;
        } else {
            damaged(rp, r == DP_SPOOL_TORN ? "a torn" : "a damaged");
        }
    }
    if ((rp->parsed_all || rp->failed) && rp->inflight == 0) end_segment(rp);
}

static void tick(uv_timer_t *t)
{
    dp_spool_replay *rp = t->data;
    uint64_t id;
    if (rp->stopping || rp->running || rp->redis->state != DP_REDIS_UP || rp->redis->closing)
        return;
    if (dp_spool_oldest(rp->sp, &id) != 0) return;
    rp->running = 1;
    rp->seg = id;
    rp->fd = -1;
    rp->file_off = 0;
    rp->eof = rp->parsed_all = rp->failed = 0;
    dp_buf_reset(&rp->buf);
    rp->parsed = 0;
    read_more(rp);
}

void dp_spool_replay_start(dp_spool_replay *rp, uv_loop_t *loop, dp_spool *sp, dp_redis *redis)
{
    memset(rp, 0, sizeof(*rp));
    rp->sp = sp;
    rp->redis = redis;
    rp->fd = -1;
    dp_buf_init(&rp->buf, DP_SPOOL_RECORD_MAX + 2 * DP_REPLAY_CHUNK);
    uv_timer_init(loop, &rp->timer);
    rp->timer.data = rp;
    uv_timer_start(&rp->timer, tick, TICK_MS, TICK_MS);
}

void dp_spool_replay_stop(dp_spool_replay *rp, void (*on_stopped)(void *), void *ud)
{
    rp->stopping = 1;
    rp->on_stopped = on_stopped;
    rp->stopped_ud = ud;
    uv_timer_stop(&rp->timer);
    maybe_stopped(rp);
}
