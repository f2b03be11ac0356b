/* File system helpers. */
#ifndef DP_FS_H
#define DP_FS_H

#include "deckpulse/error.h"

/* mkdir -p with mode 0700; err names data_dir (the directories made are
 * all under it). */
int dp_mkdirs(const char *path, dp_err *err);

#endif
