/* Erasure from the raw archive: archive_erase.h. */
#include "archive_erase.h"

#include <csv.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fs.h"
#include "log.h"

#define LINE_MAX_BYTES 65536

/* The value of column `want` of one CSV line (libcsv's quoting rules). */
typedef struct column {
    size_t want, at;
    char value[256];
    int found;
} column;

static void on_col(void *s, size_t len, void *ud)
{
    column *c = ud;
    if (c->at++ != c->want) return;
    if (len >= sizeof(c->value)) len = sizeof(c->value) - 1;
    memcpy(c->value, s ? s : "", s ? len : 0);
    c->value[s ? len : 0] = '\0';
    c->found = 1;
}

static int column_of(const char *line, size_t len, size_t want, char *out, size_t outlen)
{
    struct csv_parser p;
    column c;
    memset(&c, 0, sizeof(c));
    c.want = want;
    csv_init(&p, CSV_APPEND_NULL);
    csv_parse(&p, line, len, on_col, NULL, &c);
    csv_fini(&p, on_col, NULL, &c);
    csv_free(&p);
    if (!c.found) return -ENOENT;
    snprintf(out, outlen, "%s", c.value);
    return 0;
}

/* The index of the "prospect" column in a header line, or -1. */
static long prospect_index(const char *line)
{
    long i = 0;
    for (const char *p = line; *p && *p != '\n'; i++) {
        size_t n = strcspn(p, ",\n");
        if (n == 8 && !strncmp(p, "prospect", 8)) return i;
        p += n;
        if (*p == ',') p++;
    }
    return -1;
}

static int erase_file(const char *path, const char *tmp, const char *const *ids, size_t nids,
                      long long *removed, dp_err *err)
{
    gzFile in = gzopen(path, "rb");
    if (in == NULL) return 0; /* gone meanwhile (retention): nothing to erase */
    gzFile out = gzopen(tmp, "wb6");
    if (out == NULL) {
        gzclose(in);
        return dp_err_set(err, -EIO, "archive: cannot write %s", tmp);
    }
    static char line[LINE_MAX_BYTES];
    long col = -1;
    long long dropped = 0;
    int rc = 0;
    while (gzgets(in, line, sizeof(line)) != NULL) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            if (!gzeof(in)) /* not a row of ours: leave the file as it is */
                rc = dp_err_set(err, -EIO, "archive: %s has a line over %d bytes", path,
                                LINE_MAX_BYTES);
            break; /* else a torn last line (a killed run): dropped */
        }
        if (!strncmp(line, "received,", 9)) {
            col = prospect_index(line); /* a header, also one of an appended run */
        } else if (col >= 0) {
            char who[256];
            if (column_of(line, len - 1, (size_t)col, who, sizeof(who)) == 0 && who[0]) {
                size_t k = 0;
                while (k < nids && strcmp(who, ids[k]) != 0)
                    k++;
                if (k < nids) {
                    dropped++;
                    continue;
                }
            }
        }
        if (gzwrite(out, line, (unsigned)len) != (int)len) {
            rc = dp_err_set(err, -EIO, "archive: writing %s failed", tmp);
            break;
        }
    }
    gzclose(in);
    if (gzclose(out) != Z_OK && rc == 0) rc = dp_err_set(err, -EIO, "archive: closing %s", tmp);
    if (rc == 0 && dropped > 0) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) rc = dp_err_set(err, -EIO, "archive: fsync %s", tmp);
        if (fd >= 0) close(fd);
        if (rc == 0 && rename(tmp, path) != 0)
            rc = dp_err_set(err, -EIO, "archive: rename %s: %s", tmp, strerror(errno));
        if (rc == 0 && dp_fsync_parent(path) != 0)
            rc = dp_err_set(err, -EIO, "archive: fsync the directory of %s", path);
    }
    if (rc != 0 || dropped == 0) unlink(tmp);
    *removed = rc == 0 ? dropped : 0;
    return rc;
}

int dp_archive_erase(const char *archive_dir, const char *const *ids, size_t nids,
                     dp_archive_file_cb keep, void *ud, const char *tmp_tag, long long *rows,
                     long long *files, dp_err *err)
{
    *rows = *files = 0;
    DIR *days = opendir(archive_dir);
    if (days == NULL) return 0;
    struct dirent *d;
    int rc = 0;
    while (rc == 0 && (d = readdir(days)) != NULL) {
        if (d->d_name[0] == '.') continue;
        char daydir[PATH_MAX];
        snprintf(daydir, sizeof(daydir), "%s/%.64s", archive_dir, d->d_name);
        DIR *fs = opendir(daydir);
        if (fs == NULL) continue;
        struct dirent *f;
        while (rc == 0 && (f = readdir(fs)) != NULL) {
            size_t n = strlen(f->d_name);
            if (n < 8 || strcmp(f->d_name + n - 7, ".csv.gz") != 0) continue;
            if (!keep(f->d_name, ud)) continue;
            char path[PATH_MAX + 300], tmp[PATH_MAX + 600];
            snprintf(path, sizeof(path), "%s/%s", daydir, f->d_name);
            snprintf(tmp, sizeof(tmp), "%s.erase-%s.tmp", path, tmp_tag);
            long long removed = 0;
            rc = erase_file(path, tmp, ids, nids, &removed, err);
            if (removed) {
                *rows += removed;
                (*files)++;
            }
        }
        closedir(fs);
    }
    closedir(days);
    return rc;
}
