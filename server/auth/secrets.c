#include "secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fs.h"

int dp_secret_file(const char *dir, const char *name, const char *prefix, size_t nbytes, char **out,
                   dp_err *err)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char buf[600];
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        if (n < 16) return dp_err_set(err, -EINVAL, "%s: too short; delete it to regenerate", path);
        *out = dp_strdup(buf);
        return 0;
    }
    if (errno != ENOENT) return dp_err_set(err, -errno, "%s: %s", path, strerror(errno));
    unsigned char rnd[64];
    if (nbytes > sizeof(rnd)) nbytes = sizeof(rnd);
    randombytes_buf(rnd, nbytes);
    size_t pl = strlen(prefix);
    memcpy(buf, prefix, pl);
    sodium_bin2hex(buf + pl, sizeof(buf) - pl, rnd, nbytes);
    char tmp[1300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return dp_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
    size_t len = strlen(buf);
    buf[len] = '\n';
    int ok = write(fd, buf, len + 1) == (ssize_t)(len + 1) && fsync(fd) == 0;
    close(fd);
    buf[len] = '\0';
    if (!ok || rename(tmp, path) != 0 || dp_fsync_parent(path) != 0) {
        unlink(tmp);
        return dp_err_set(err, -EIO, "%s: cannot write", path);
    }
    *out = dp_strdup(buf);
    return 0;
}
