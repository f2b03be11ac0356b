/* The daily salt on disk: salt.h. */
#include "salt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "secrets.h"

static void path_of(const char *data_dir, const char *day, char *out, size_t n)
{
    snprintf(out, n, "%s/salt/%s", data_dir, day);
}

int dp_salt_load(const char *data_dir, const char *day, unsigned char salt[DP_SALT_BYTES])
{
    char path[PATH_MAX], hex[2 * DP_SALT_BYTES + 2];
    path_of(data_dir, day, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -ENOENT;
    ssize_t n = read(fd, hex, sizeof(hex));
    close(fd);
    size_t got = 0;
    if (n < 2 * DP_SALT_BYTES ||
        sodium_hex2bin(salt, DP_SALT_BYTES, hex, 2 * DP_SALT_BYTES, NULL, &got, NULL) != 0 ||
        got != DP_SALT_BYTES)
        return -ENOENT;
    return 0;
}

int dp_salt_store(const char *data_dir, const char *day, const unsigned char salt[DP_SALT_BYTES])
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8], hex[2 * DP_SALT_BYTES + 1];
    snprintf(dir, sizeof(dir), "%s/salt", data_dir);
    if (dp_mkdirs(dir, NULL) != 0) return -EIO;
    path_of(data_dir, day, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    sodium_bin2hex(hex, sizeof(hex), salt, DP_SALT_BYTES);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    int rc = write(fd, hex, 2 * DP_SALT_BYTES) == 2 * DP_SALT_BYTES ? 0 : -EIO;
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) rc = -errno;
    if (rc == 0) rc = dp_fsync_parent(path); /* the new name survives a power loss too */
    if (rc != 0) unlink(tmp);
    sodium_memzero(hex, sizeof(hex));
    return rc;
}

int dp_salt_prune(const char *data_dir, const char *today)
{
    char dir[PATH_MAX], yesterday[11];
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(today, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm) - 86400;
    gmtime_r(&t, &tm);
    strftime(yesterday, sizeof(yesterday), "%Y-%m-%d", &tm);
    snprintf(dir, sizeof(dir), "%s/salt", data_dir);
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        /* day names sort as days; anything else here is not ours to keep */
        if (strlen(de->d_name) == 10 && strcmp(de->d_name, yesterday) >= 0) continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (unlink(path) == 0) n++;
    }
    closedir(d);
    return n;
}
