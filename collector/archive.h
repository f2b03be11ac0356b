/* The raw archive: every event the collector reads, appended as a CSV row
 * (libcsv quoting) to data_dir/archive/<day>/<consumer>-<start>.csv.gz by
 * receive day (UTC). Each collector run writes its own files, so a run
 * killed mid-write leaves a truncated gzip that replay still reads up to its
 * last flush, and never a file two writers share. Rows are flushed
 * (Z_SYNC_FLUSH, reaching the kernel) before their events are acknowledged,
 * on a timer and on exit. Replay (`deckpulse-collector --replay DIR`) reads
 * the rows back. */
#ifndef DP_ARCHIVE_H
#define DP_ARCHIVE_H

#include <limits.h>
#include <stdint.h>
#include <zlib.h>

#include "deckpulse/error.h"
#include "entry.h"

#define DP_ARCHIVE_OPEN_DAYS 4

/* The CSV columns, in order (the header line). */
extern const char *const dp_archive_columns[];
extern const size_t dp_archive_ncolumns;

typedef struct dp_archive {
    char dir[PATH_MAX];
    char tag[160];
    struct {
        char day[11];
        gzFile gz;
        uint64_t used; /* for closing the least recently used */
    } files[DP_ARCHIVE_OPEN_DAYS];
    uint64_t clock;
    int dirty;
} dp_archive;

int dp_archive_open(dp_archive *a, const char *data_dir, const char *tag, dp_err *err);
int dp_archive_append(dp_archive *a, const dp_entry *e, dp_err *err);
int dp_archive_flush(dp_archive *a, dp_err *err);
void dp_archive_close(dp_archive *a);
/* Deletes the day directories of archive_dir older than cutoff
 * ("YYYY-MM-DD"; the directory names are days). Returns how many. */
int dp_archive_retain(const char *archive_dir, const char *cutoff);

/* Reads every *.csv.gz under dir (recursively, sorted), calling row() with
 * each row as field/value pairs of non-empty columns. Returns 0 or -EIO;
 * truncated files are read up to the damage and reported in *damaged. */
typedef int (*dp_archive_row_cb)(const char *const *fv, size_t n, void *ud);
typedef void (*dp_archive_progress_cb)(size_t file, size_t nfiles, void *ud);
int dp_archive_read_dir(const char *dir, dp_archive_row_cb row, dp_archive_progress_cb progress,
                        void *ud, size_t *damaged, dp_err *err);

#endif
