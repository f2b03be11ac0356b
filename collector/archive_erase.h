/* Erasure from the raw archive (DELETE /v1/prospects/{id}): the rows of
 * erased prospects are removed from the archive files, so neither the
 * files nor a replay of them bring the person back.
 *
 * The server records each erasure in dp:{0}:erasures (prospect -> when);
 * every collector, at its next tick, rewrites the archive files it may
 * touch: its own (after closing them) and those of collectors that are
 * not running. A file is rewritten into a temporary file beside it,
 * fsynced and renamed over it, and only when it holds such rows. */
#ifndef DP_ARCHIVE_ERASE_H
#define DP_ARCHIVE_ERASE_H

#include <stddef.h>

#include "deckpulse/error.h"

/* 1 to rewrite the file (its name, without directory), 0 to leave it. */
typedef int (*dp_archive_file_cb)(const char *name, void *ud);

/* Rewrites the files under archive_dir/<day>/ that keep allows, without
 * the rows whose prospect is one of ids[0..nids). *rows and *files count
 * what was removed and rewritten. tmp_tag names the temporary files (two
 * collectors may rewrite the same file at once: the last rename wins, and
 * both wrote the same rows). 0 or -EIO with err. */
int dp_archive_erase(const char *archive_dir, const char *const *ids, size_t nids,
                     dp_archive_file_cb keep, void *ud, const char *tmp_tag, long long *rows,
                     long long *files, dp_err *err);

#endif
