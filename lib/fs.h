/* File system helpers. */
#ifndef DP_FS_H
#define DP_FS_H

#include "deckpulse/error.h"

/* mkdir -p with mode 0700; err names data_dir (the directories made are
 * all under it). */
int dp_mkdirs(const char *path, dp_err *err);
/* fsync of the directory that holds path, so that a name just created or
 * renamed there survives a power loss: 0 or a negative errno. */
int dp_fsync_parent(const char *path);

#endif
