/* The daily salt of anonymous viewer ids, kept on disk as well as in Redis
 * (data_dir/salt/<day>, mode 0600), so a server restarted while Redis is
 * away hashes the same browser to the same id as before. A file is
 * destroyed once its day is more than a day past, like the Redis key
 * (EX two days). Read and written at most once a day per process. */
#ifndef DP_SALT_H
#define DP_SALT_H

#include <stddef.h>

#define DP_SALT_BYTES 32

/* 0 with salt filled, or -ENOENT. */
int dp_salt_load(const char *data_dir, const char *day, unsigned char salt[DP_SALT_BYTES]);
/* 0 or a negative errno (the salt still works for this process). */
int dp_salt_store(const char *data_dir, const char *day, const unsigned char salt[DP_SALT_BYTES]);
/* Deletes the salt files of days before yesterday; returns how many. */
int dp_salt_prune(const char *data_dir, const char *today);

#endif
