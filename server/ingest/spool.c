/* The local spool: spool.h. */
#include "spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "alloc.h"
#include "log.h"
#include "secrets.h"
#include "spool_record.h"

typedef struct dp_spool_waiter {
    dp_spool_cb cb;
    void *ud;
} dp_spool_waiter;

void dp_spool_path(const dp_spool *sp, uint64_t id, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%016" PRIu64 ".seg", sp->dir, id);
}

static int cmp_seg(const void *a, const void *b)
{
    uint64_t x = ((const dp_spool_seg *)a)->id, y = ((const dp_spool_seg *)b)->id;
    return x < y ? -1 : x > y;
}

static void add_seg(dp_spool *sp, uint64_t id, uint64_t bytes)
{
    if (sp->nsegs == sp->segcap) {
        sp->segcap = sp->segcap ? sp->segcap * 2 : 16;
        sp->segs = dp_realloc(sp->segs, sp->segcap * sizeof(*sp->segs));
    }
    sp->segs[sp->nsegs].id = id;
    sp->segs[sp->nsegs].bytes = bytes;
    sp->nsegs++;
}

static void on_timer(uv_timer_t *t);

int dp_spool_open(dp_spool *sp, uv_loop_t *loop, const char *dir, uint64_t max_bytes,
                  uint64_t segment_bytes, uint64_t fsync_ms, dp_err *err)
{
    memset(sp, 0, sizeof(*sp));
    sp->loop = loop;
    sp->fd = -1;
    sp->max_bytes = max_bytes;
    sp->segment_bytes = segment_bytes;
    sp->fsync_ms = fsync_ms;
    if (strlen(dir) >= sizeof(sp->dir))
        return dp_err_set(err, -ENAMETOOLONG, "data_dir: too long for the spool directory");
    snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
    int rc = dp_mkdirs(dir, err);
    if (rc != 0) return rc;
    DIR *d = opendir(dir);
    if (d == NULL) return dp_err_set(err, -errno, "spool: %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strlen(n) != 20 || strcmp(n + 16, ".seg") != 0 || strspn(n, "0123456789") != 16)
            continue;
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, n);
        if (stat(path, &st) != 0) continue;
        add_seg(sp, strtoull(n, NULL, 10), (uint64_t)st.st_size);
        sp->bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    if (sp->nsegs) qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), cmp_seg);
    sp->next_id = sp->nsegs ? sp->segs[sp->nsegs - 1].id + 1 : 1;
    for (int i = 0; i < 2; i++) {
        dp_buf_init(&sp->group[i].bytes, 0);
        dp_buf_init(&sp->group[i].waiters, 0);
    }
    uv_timer_init(loop, &sp->timer);
    sp->timer.data = sp;
    if (sp->nsegs)
        dp_info("spool: %zu segment(s), %" PRIu64 " bytes left by an earlier run; replaying "
                "when Redis is up",
                sp->nsegs, sp->bytes);
    return 0;
}

/* ---- the worker: write one group, fdatasync, cut back on failure ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int open_segment(dp_spool *sp)
{
    char path[PATH_MAX];
    dp_spool_path(sp, sp->next_id, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    int rc = write_all(fd, DP_SPOOL_FILE_MAGIC, DP_SPOOL_FILE_MAGIC_LEN);
    if (rc == 0 && fdatasync(fd) != 0) rc = -errno;
    if (rc == 0) {
        /* the new name must survive a crash too */
        int dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            if (fsync(dfd) != 0) rc = -errno;
            close(dfd);
        }
    }
    if (rc != 0) {
        close(fd);
        unlink(path);
        return rc;
    }
    sp->fd = fd;
    sp->fd_id = sp->next_id;
    sp->fd_bytes = DP_SPOOL_FILE_MAGIC_LEN;
    sp->new_seg = 1;
    return 0;
}

static void job(uv_work_t *w)
{
    dp_spool *sp = w->data;
    dp_spool_group *g = &sp->group[!sp->filling];
    sp->job_written = 0;
    sp->new_seg = 0;
    if (sp->fd >= 0 && sp->fd_bytes >= sp->segment_bytes) {
        close(sp->fd); /* everything in it was synced by an earlier job */
        sp->fd = -1;
    }
    int rc = 0;
    if (sp->fd < 0) rc = open_segment(sp);
    if (rc == 0) {
        uint64_t before = sp->fd_bytes;
        rc = write_all(sp->fd, g->bytes.data, g->bytes.len);
        if (rc == 0 && fdatasync(sp->fd) != 0) rc = -errno;
        if (rc != 0) {
            /* no partial record stays behind: cut the file back */
            if (ftruncate(sp->fd, (off_t)before) == 0) (void)fdatasync(sp->fd);
            lseek(sp->fd, (off_t)before, SEEK_SET);
        } else {
            sp->fd_bytes += g->bytes.len;
            sp->job_written = g->bytes.len;
        }
    }
    sp->job_rc = rc;
}

static void start_job(dp_spool *sp);

static void finish_close(dp_spool *sp)
{
    if (sp->fd >= 0) close(sp->fd);
    sp->fd = -1;
    if (!uv_is_closing((uv_handle_t *)&sp->timer)) uv_close((uv_handle_t *)&sp->timer, NULL);
    if (sp->on_closed) sp->on_closed(sp->closed_ud);
    sp->on_closed = NULL;
}

static void job_done(uv_work_t *w, int status)
{
    dp_spool *sp = w->data;
    dp_spool_group *g = &sp->group[!sp->filling];
    int rc = status ? status : sp->job_rc;
    if (sp->new_seg) {
        add_seg(sp, sp->fd_id, DP_SPOOL_FILE_MAGIC_LEN);
        sp->bytes += DP_SPOOL_FILE_MAGIC_LEN;
        sp->next_id = sp->fd_id + 1;
    }
    sp->queued -= g->bytes.len;
    if (rc == 0) {
        sp->segs[sp->nsegs - 1].bytes += sp->job_written;
        sp->bytes += sp->job_written;
        sp->fsyncs++;
        sp->appended_records += g->records;
        sp->appended_commands += g->commands;
    } else {
        sp->write_errors++;
        dp_warn("spool: writing %" PRIu64 " record(s) failed: %s", g->records, strerror(-rc));
    }
    sp->busy = 0;
    if (sp->seal && sp->fd >= 0) {
        close(sp->fd);
        sp->fd = -1;
    }
    sp->seal = 0;
    /* callbacks last: they may append again */
    dp_spool_waiter *ws = (dp_spool_waiter *)g->waiters.data;
    size_t n = g->waiters.len / sizeof(*ws);
    dp_buf done = g->waiters;
    dp_buf_init(&g->waiters, 0);
    dp_buf_reset(&g->bytes);
    g->records = g->commands = 0;
    for (size_t i = 0; i < n; i++)
        ws[i].cb(ws[i].ud, rc);
    dp_buf_free(&done);
    /* what arrived during the fsync has waited long enough */
    if (!sp->busy && sp->group[sp->filling].records) start_job(sp);
    if (sp->closing && !sp->busy) finish_close(sp);
}

static void start_job(dp_spool *sp)
{
    if (sp->timer_armed) {
        uv_timer_stop(&sp->timer);
        sp->timer_armed = 0;
    }
    sp->busy = 1;
    sp->filling = !sp->filling;
    sp->work.data = sp;
    uv_queue_work(sp->loop, &sp->work, job, job_done);
}

static void on_timer(uv_timer_t *t)
{
    dp_spool *sp = t->data;
    sp->timer_armed = 0;
    if (!sp->busy && sp->group[sp->filling].records) start_job(sp);
}

int dp_spool_append(dp_spool *sp, const char *payload, size_t len, uint32_t count, dp_spool_cb cb,
                    void *ud)
{
    if (sp->closing) return -ESHUTDOWN;
    uint64_t need = DP_SPOOL_HEADER + (uint64_t)len;
    if (len > DP_SPOOL_RECORD_MAX) return -E2BIG;
    if (sp->bytes + sp->queued + need + DP_SPOOL_FILE_MAGIC_LEN > sp->max_bytes) {
        sp->full++;
        return -ENOSPC;
    }
    dp_spool_group *g = &sp->group[sp->filling];
    unsigned char hdr[DP_SPOOL_HEADER];
    dp_spool_record_header(hdr, payload, len, count);
    dp_spool_waiter wt = {cb, ud};
    if (dp_buf_append(&g->bytes, hdr, sizeof(hdr)) != 0 ||
        dp_buf_append(&g->bytes, payload, len) != 0 ||
        dp_buf_append(&g->waiters, &wt, sizeof(wt)) != 0)
        return -ENOMEM; /* unbounded buffers: unreachable, dp_realloc aborts first */
    g->records++;
    g->commands += count;
    sp->queued += need;
    if (!sp->busy && !sp->timer_armed) {
        if (sp->fsync_ms == 0) {
            start_job(sp);
        } else {
            uv_timer_start(&sp->timer, on_timer, sp->fsync_ms, 0);
            sp->timer_armed = 1;
        }
    }
    return 0;
}

int dp_spool_oldest(dp_spool *sp, uint64_t *id)
{
    if (sp->nsegs == 0) return -EAGAIN;
    if (sp->fd >= 0 && sp->segs[0].id == sp->fd_id) {
        /* the only segment is still taking appends: seal it */
        if (sp->busy || sp->group[sp->filling].records) {
            sp->seal = 1;
            return -EAGAIN;
        }
        close(sp->fd);
        sp->fd = -1;
    }
    *id = sp->segs[0].id;
    return 0;
}

void dp_spool_remove(dp_spool *sp, uint64_t id)
{
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].id != id) continue;
        char path[PATH_MAX];
        dp_spool_path(sp, id, path, sizeof(path));
        if (unlink(path) != 0) dp_warn("spool: removing %s: %s", path, strerror(errno));
        sp->bytes -= sp->segs[i].bytes;
        memmove(sp->segs + i, sp->segs + i + 1, (sp->nsegs - i - 1) * sizeof(*sp->segs));
        sp->nsegs--;
        sp->removed_segments++;
        return;
    }
}

void dp_spool_close(dp_spool *sp, void (*on_closed)(void *), void *ud)
{
    sp->closing = 1;
    sp->on_closed = on_closed;
    sp->closed_ud = ud;
    if (!sp->busy && sp->group[sp->filling].records) start_job(sp);
    if (!sp->busy) finish_close(sp);
}

void dp_spool_free(dp_spool *sp)
{
    if (sp->fd >= 0) close(sp->fd);
    sp->fd = -1;
    for (int i = 0; i < 2; i++) {
        dp_buf_free(&sp->group[i].bytes);
        dp_buf_free(&sp->group[i].waiters);
    }
    dp_free(sp->segs);
    sp->segs = NULL;
}
