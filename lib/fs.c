#include "fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int dp_mkdirs(const char *path, dp_err *err)
{
    char tmp[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp)) return dp_err_set(err, -EINVAL, "data_dir: bad path");
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return dp_err_set(err, -errno, "data_dir: cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return dp_err_set(err, -errno, "data_dir: cannot create %s: %s", tmp, strerror(errno));
    return 0;
}
