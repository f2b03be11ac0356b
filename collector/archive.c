#include "archive.h"

#include <unistd.h>

#include <limits.h>

#include <csv.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"

const char *const dp_archive_columns[] = {
    "received", "session", "seq",      "type",  "at",     "mode",   "presentation",
    "prospect", "account", "campaign", "owner", "viewer", "slides", "material",
    "slide",    "version", "index",    "ms",    "name",   "source"};
const size_t dp_archive_ncolumns = sizeof(dp_archive_columns) / sizeof(dp_archive_columns[0]);

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX + 256];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0700);
            *p = '/';
        }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST ? 0 : -errno;
}

int dp_archive_open(dp_archive *a, const char *data_dir, const char *tag, dp_err *err)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->dir, sizeof(a->dir), "%s/archive", data_dir);
    snprintf(a->tag, sizeof(a->tag), "%s", tag);
    if (mkdir_p(a->dir) != 0)
        return dp_err_set(err, -EIO, "archive: cannot create %s: %s", a->dir, strerror(errno));
    return 0;
}

static gzFile file_for(dp_archive *a, const char *day, dp_err *err)
{
    int lru = 0;
    for (int i = 0; i < DP_ARCHIVE_OPEN_DAYS; i++) {
        if (a->files[i].gz && !strcmp(a->files[i].day, day)) {
            a->files[i].used = ++a->clock;
            return a->files[i].gz;
        }
        if (a->files[i].used < a->files[lru].used) lru = i;
    }
    if (a->files[lru].gz) gzclose(a->files[lru].gz);
    a->files[lru].gz = NULL;
    char dir[PATH_MAX + 16], path[PATH_MAX + 200];
    snprintf(dir, sizeof(dir), "%s/%s", a->dir, day);
    snprintf(path, sizeof(path), "%s/%s.csv.gz", dir, a->tag);
    struct stat st;
    int fresh = stat(path, &st) != 0;
    gzFile gz = mkdir_p(dir) == 0 ? gzopen(path, "ab1") : NULL;
    if (gz == NULL) {
        dp_err_set(err, -EIO, "archive: cannot open %s", path);
        return NULL;
    }
    if (fresh) {
        for (size_t i = 0; i < dp_archive_ncolumns; i++)
            gzprintf(gz, "%s%s", dp_archive_columns[i], i + 1 < dp_archive_ncolumns ? "," : "\n");
    }
    memcpy(a->files[lru].day, day, 11);
    a->files[lru].gz = gz;
    a->files[lru].used = ++a->clock;
    return gz;
}

static void field(dp_buf *b, const char *s, int last)
{
    if (s && *s) {
        size_t n = strlen(s);
        char tmp[512];
        size_t need = csv_write(tmp, sizeof(tmp), s, n);
        if (need <= sizeof(tmp)) dp_buf_append(b, tmp, need);
    }
    dp_buf_append(b, last ? "\n" : ",", 1);
}

int dp_archive_append(dp_archive *a, const dp_entry *e, dp_err *err)
{
    gzFile gz = file_for(a, e->day, err);
    if (gz == NULL) return -EIO;
    char num[8][24];
    snprintf(num[0], 24, "%lld", (long long)e->received);
    snprintf(num[1], 24, "%lld", (long long)e->seq);
    snprintf(num[2], 24, "%lld", (long long)e->at);
    int isslide = e->type == DP_EV_VIEW || e->type == DP_EV_DWELL || e->type == DP_EV_ACTION;
    snprintf(num[3], 24, "%lld", (long long)e->slides);
    snprintf(num[4], 24, "%lld", (long long)e->version);
    snprintf(num[5], 24, "%lld", (long long)e->index);
    snprintf(num[6], 24, "%lld", (long long)e->ms);
    const char *cols[] = {num[0],
                          e->session,
                          num[1],
                          dp_event_type_names[e->type],
                          num[2],
                          e->mode,
                          e->presentation,
                          e->prospect,
                          e->account,
                          e->campaign,
                          e->owner,
                          e->viewer,
                          e->type == DP_EV_OPEN && e->slides ? num[3] : NULL,
                          isslide ? e->material : NULL,
                          isslide ? e->slide : NULL,
                          isslide ? num[4] : NULL,
                          e->type == DP_EV_VIEW ? num[5] : NULL,
                          e->type == DP_EV_DWELL ? num[6] : NULL,
                          e->type == DP_EV_ACTION ? e->name : NULL,
                          e->source};
    dp_buf b;
    dp_buf_init(&b, 0);
    for (size_t i = 0; i < dp_archive_ncolumns; i++)
        field(&b, cols[i], i + 1 == dp_archive_ncolumns);
    int n = gzwrite(gz, b.data, (unsigned)b.len);
    int ok = n == (int)b.len;
    dp_buf_free(&b);
    if (!ok) return dp_err_set(err, -EIO, "archive: write failed");
    a->dirty = 1;
    return 0;
}

int dp_archive_flush(dp_archive *a, dp_err *err)
{
    if (!a->dirty) return 0;
    for (int i = 0; i < DP_ARCHIVE_OPEN_DAYS; i++)
        if (a->files[i].gz && gzflush(a->files[i].gz, Z_SYNC_FLUSH) != Z_OK)
            return dp_err_set(err, -EIO, "archive: flush failed");
    a->dirty = 0;
    return 0;
}

void dp_archive_close(dp_archive *a)
{
    for (int i = 0; i < DP_ARCHIVE_OPEN_DAYS; i++) {
        if (a->files[i].gz) gzclose(a->files[i].gz);
        a->files[i].gz = NULL;
    }
}

/* Reading */

typedef struct reader {
    char *fields[32];
    size_t nfields;
    char *header[32];
    size_t nheader;
    int have_header;
    dp_archive_row_cb row;
    void *ud;
    int rc;
} reader;

static void on_field(void *s, size_t len, void *ud)
{
    reader *r = ud;
    if (r->nfields < 32) r->fields[r->nfields++] = dp_strndup(s ? s : "", s ? len : 0);
}

static void on_row(int c, void *ud)
{
    reader *r = ud;
    (void)c;
    if (!r->have_header) {
        memcpy(r->header, r->fields, sizeof(r->fields));
        r->nheader = r->nfields;
        r->have_header = 1;
        r->nfields = 0;
        return;
    }
    if (r->nfields == 1 && r->fields[0][0] == '\0') { /* blank line */
    } else if (r->rc == 0 && r->nfields == r->nheader) {
        /* Columns that repeat the header mean a second header (appended run). */
        if (strcmp(r->fields[0], r->header[0]) != 0) {
            const char *fv[66];
            size_t n = 0;
            fv[n++] = "v";
            fv[n++] = "1";
            for (size_t i = 0; i < r->nfields; i++)
                if (r->fields[i][0]) {
                    fv[n++] = r->header[i];
                    fv[n++] = r->fields[i];
                }
            r->rc = r->row(fv, n, r->ud);
        }
    }
    for (size_t i = 0; i < r->nfields; i++)
        dp_free(r->fields[i]);
    r->nfields = 0;
}

static int read_file(const char *path, reader *r, size_t *damaged)
{
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) return -EIO;
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    r->have_header = 0;
    char buf[65536];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0 && r->rc == 0)
        csv_parse(&p, buf, (size_t)n, on_field, on_row, r);
    int errnum = 0;
    gzerror(gz, &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR)) {
        dp_warn("replay: %s is damaged after %zu bytes; the rest is skipped", path,
                (size_t)gzoffset(gz));
        (*damaged)++;
    } else if (errnum == Z_BUF_ERROR) {
        dp_warn("replay: %s ends early (a run that was killed); read up to its last flush", path);
        (*damaged)++;
    }
    /* a partial last line (torn write) is dropped, not parsed */
    csv_free(&p);
    for (size_t i = 0; i < r->nfields; i++)
        dp_free(r->fields[i]);
    r->nfields = 0;
    for (size_t i = 0; i < r->nheader; i++)
        dp_free(r->header[i]);
    r->nheader = 0;
    gzclose(gz);
    return 0;
}

static void collect(const char *dir, char ***list, size_t *n, size_t *cap)
{
    struct dirent **ents;
    int k = scandir(dir, &ents, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        const char *nm = ents[i]->d_name;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, nm);
        struct stat st;
        if (nm[0] != '.' && stat(path, &st) == 0) {
            size_t l = strlen(nm);
            if (S_ISDIR(st.st_mode))
                collect(path, list, n, cap);
            else if (l > 7 && !strcmp(nm + l - 7, ".csv.gz")) {
                if (*n == *cap) {
                    *cap = *cap ? *cap * 2 : 64;
                    *list = dp_realloc(*list, *cap * sizeof(char *));
                }
                (*list)[(*n)++] = dp_strdup(path);
            }
        }
        free(ents[i]);
    }
    if (k >= 0) free(ents);
}

int dp_archive_read_dir(const char *dir, dp_archive_row_cb row, dp_archive_progress_cb progress,
                        void *ud, size_t *damaged, dp_err *err)
{
    char **list = NULL;
    size_t n = 0, cap = 0;
    *damaged = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return dp_err_set(err, -EIO, "replay: %s is not a directory", dir);
    collect(dir, &list, &n, &cap);
    reader r;
    memset(&r, 0, sizeof(r));
    r.row = row;
    r.ud = ud;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (progress) progress(i, n, ud);
        if (read_file(list[i], &r, damaged) != 0)
            rc = dp_err_set(err, -EIO, "replay: cannot read %s", list[i]);
        if (r.rc != 0) rc = dp_err_set(err, r.rc, "replay: stopped in %s", list[i]);
    }
    if (progress && rc == 0) progress(n, n, ud);
    for (size_t i = 0; i < n; i++)
        dp_free(list[i]);
    dp_free(list);
    return rc;
}

static int is_day(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
    return 1;
}

int dp_archive_retain(const char *archive_dir, const char *cutoff)
{
    DIR *d = opendir(archive_dir);
    if (d == NULL) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_day(e->d_name) || strcmp(e->d_name, cutoff) >= 0) continue;
        char dir[PATH_MAX], file[PATH_MAX + 300];
        snprintf(dir, sizeof(dir), "%s/%s", archive_dir, e->d_name);
        DIR *sub = opendir(dir);
        if (sub == NULL) continue;
        struct dirent *f;
        while ((f = readdir(sub)) != NULL) {
            if (f->d_name[0] == '.') continue;
            snprintf(file, sizeof(file), "%s/%s", dir, f->d_name);
            unlink(file);
        }
        closedir(sub);
        if (rmdir(dir) == 0) n++;
    }
    closedir(d);
    return n;
}
