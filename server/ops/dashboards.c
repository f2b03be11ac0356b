#include "dashboards.h"

#include <dirent.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "ops_routes.h"
#include "reply.h"

typedef struct dash_file {
    char url[300];
    dp_rcache_entry entry;
} dash_file;

static struct {
    dash_file files[DP_DASH_FILES];
    size_t n;
} dash;

static const char *ctype_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL) return NULL;
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js")) return "application/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    return NULL;
}

static int name_ok(const char *name)
{
    if (name[0] == '.' || strlen(name) > 60) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
              *p == '_'))
            return 0;
    return 1;
}

static void add(const char *url, const char *path, const char *ctype)
{
    if (dash.n == DP_DASH_FILES) return;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return;
    char *body = dp_malloc(DP_DASH_FILE_MAX);
    size_t len = fread(body, 1, DP_DASH_FILE_MAX, f);
    int whole = feof(f);
    fclose(f);
    if (!whole) {
        dp_warn("dashboards: %s is over %d bytes; not served", path, DP_DASH_FILE_MAX);
        dp_free(body);
        return;
    }
    dash_file *d = &dash.files[dash.n++];
    memset(d, 0, sizeof(*d));
    snprintf(d->url, sizeof(d->url), "%s", url);
    d->entry.body = dp_body_new(body, len);
    dp_free(body);
    d->entry.ctype = ctype;
}

/* dashboards_dir unset: the first of these with an index.html, so that a
 * binary finds the dashboards wherever it was built or installed, and no
 * build machine's path is baked into it. */
static const char *find_dir(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
    } else {
        exe[0] = '\0';
    }
    const char *const rel[] = {"/dashboards", "/../dashboards", "/../share/deckpulse/dashboards"};
    char index[PATH_MAX + 32];
    for (size_t i = 0; exe[0] && i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(out, n, "%s%s", exe, rel[i]);
        snprintf(index, sizeof(index), "%s/index.html", out);
        if (access(index, R_OK) == 0) return out;
    }
    snprintf(out, n, "dashboards"); /* the working directory's */
    return out;
}

void dp_dashboards_load(const dp_config *cfg)
{
    char found[PATH_MAX];
    const char *dir = cfg->dashboards_dir[0] ? cfg->dashboards_dir : find_dir(found, sizeof(found));
    DIR *d = opendir(dir);
    if (d == NULL) {
        dp_warn("dashboards: %s not found; GET / will say so (the API works)", dir);
        return;
    }
    struct dirent *e;
    char path[4400], url[300];
    while ((e = readdir(d)) != NULL) {
        const char *ct = ctype_of(e->d_name);
        if (!name_ok(e->d_name) || ct == NULL) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        snprintf(url, sizeof(url), "/%s", strcmp(e->d_name, "index.html") ? e->d_name : "");
        add(url, path, ct);
    }
    closedir(d);
    snprintf(path, sizeof(path), "%s/node_modules/chart.js/dist/chart.umd.min.js", dir);
    add("/vendor/chart.umd.min.js", path, "application/javascript; charset=utf-8");
    dp_info("dashboards: %zu files from %s", dash.n, dir);
}

void dp_dashboards_free(void)
{
    for (size_t i = 0; i < dash.n; i++) {
        dp_body_unref(dash.files[i].entry.body);
        dp_body_unref(dash.files[i].entry.gz);
    }
    dash.n = 0;
}

void dp_dashboards_route(dp_req *req)
{
    const char *path = req->path;
    size_t n = req->path_len;
    for (size_t i = 0; i < dash.n; i++) {
        if (strlen(dash.files[i].url) == n && !memcmp(dash.files[i].url, path, n)) {
            dp_reply_cached_with(req, NULL, &dash.files[i].entry,
                                 "Cache-Control: no-cache\r\n" DP_DASH_HEADERS);
            return;
        }
    }
    if (n == 1 && path[0] == '/') {
        dp_req_error(req, 404,
                     "dashboards not installed: dashboards_dir has no index.html (run "
                     "scripts/run.sh, which installs them)");
        return;
    }
    dp_req_error(req, 404, "no such route");
}
