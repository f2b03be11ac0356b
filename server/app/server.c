#include "server.h"

#include "deckpulse/keys.h"

#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dashboards.h"
#include "fs.h"
#include "log.h"

static void start_collector(dp_server *s, const char *redis_url);
static void start_workers(dp_server *s, const char *redis_url);
static void start_notifier(dp_server *s, const char *redis_url);
static void check_stopped(void *ud);

/* A 202 survives a power loss only if Redis writes and fsyncs its AOF
 * before it answers (docs/durability.md): checked each time the connection
 * comes up — on every primary of a cluster — reported in /metrics
 * (dp_redis_durable: 0 if any primary is not, -1 if any cannot tell) and,
 * when not, logged with the node. */
static void durable_verdict(dp_server *s, int v)
{
    if (v == 0 || (v == -1 && s->durable_acc == 1)) s->durable_acc = v;
    if (--s->durable_pending <= 0) s->redis_durable = s->durable_acc;
}

static void on_appendfsync(dp_redis *r, redisReply *reply, void *priv)
{
    dp_server *s = priv;
    char node[300];
    if (r->path)
        snprintf(node, sizeof(node), "unix:%s", r->path);
    else
        snprintf(node, sizeof(node), "%s:%d", r->host ? r->host : "?", r->port);
    const char *aof = NULL, *fsync = NULL;
    /* CONFIG GET answers name/value pairs in any order */
    for (size_t i = 0; reply && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements;
         i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        if (!strcmp(k->str, "appendonly")) aof = v->str;
        if (!strcmp(k->str, "appendfsync")) fsync = v->str;
    }
    if (aof == NULL || fsync == NULL) {
        dp_warn("redis %s: CONFIG GET appendonly/appendfsync refused: cannot tell whether a 202 "
                "survives a power loss (run Redis with appendonly yes, appendfsync always)",
                node);
        durable_verdict(s, -1);
        return;
    }
    int durable = !strcmp(aof, "yes") && !strcmp(fsync, "always");
    if (!durable)
        dp_warn("redis %s: appendonly %s, appendfsync %s: an acknowledged event is in Redis's "
                "memory until its next fsync and a power loss can lose it (set appendonly yes, "
                "appendfsync always; the private redis-server runs so)",
                node, aof, fsync);
    durable_verdict(s, durable);
}

/* Temperatures recorded before they moved next to shard 0's alerts
 * (dp:{w}:temp -> DP_KEY_TEMP): renamed once, on one Redis (a cluster is
 * new to deckpulse: nothing to carry, and the two keys' slots differ). */
static const char temp_move_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('EXISTS', KEYS[2]) == 0 then\n"
    "  redis.call('RENAME', KEYS[1], KEYS[2]) return 1\n"
    "end\n"
    "return 0\n";

static void on_temp_moved(dp_redis *r, redisReply *reply, void *priv)
{
    (void)r;
    (void)priv;
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
        dp_info("redis: the prospects' temperatures moved to " DP_KEY_TEMP);
}

static void on_redis_up(dp_redis *r, void *ud)
{
    dp_closed_refresh(&((dp_server *)ud)->ingest.closed, r, 1); /* catalog_strict's copy */
    if (!dp_redis_is_cluster(r)) {
        const char *mv[] = {"EVAL", temp_move_lua, "2", "dp:{w}:temp", DP_KEY_TEMP};
        dp_redis_command(r, on_temp_moved, NULL, 5, mv, NULL);
    }
    dp_server *s = ud;
    const char *argv[] = {"CONFIG", "GET", "append*"};
    s->durable_acc = 1;
    s->durable_pending = dp_redis_each_primary(r, on_appendfsync, s, 3, argv);
    if (s->durable_pending == 0) s->redis_durable = -1;
}

static void on_signal(uv_signal_t *h, int signum)
{
    dp_server *s = h->data;
    dp_info("received %s: stopping (finishing requests in flight)",
            signum == SIGTERM ? "SIGTERM" : "SIGINT");
    dp_server_stop(s, s->on_stopped, s->stopped_ud);
}

/* A redis-server left running by a supervisor that was killed outright
 * (where setpriv was missing) must not share our AOF with a new one. */
static void stop_stale_redis(const char *pidfile)
{
    FILE *f = fopen(pidfile, "r");
    if (f == NULL) return;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1) pid = 0;
    fclose(f);
    if (pid <= 1) return;
    char path[64], cmd[256] = "";
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    f = fopen(path, "r");
    if (f == NULL) return;
    size_t n = fread(cmd, 1, sizeof(cmd) - 1, f);
    fclose(f);
    cmd[n] = '\0';
    if (strstr(cmd, "redis-server") == NULL) return;
    dp_warn("stopping a stale private redis-server (pid %ld)", pid);
    kill((pid_t)pid, SIGTERM);
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        usleep(50000);
}

/* 1 if prog is an executable path, or found executable on PATH. */
static int executable(const char *prog)
{
    if (strchr(prog, '/')) return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char full[PATH_MAX];
        if (n > 0 && n + strlen(prog) + 2 < sizeof(full)) {
            snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, prog);
            if (access(full, X_OK) == 0) return 1;
        }
        path += n;
        if (*path == ':') path++;
    }
    return 0;
}

static int start_private_redis(dp_server *s, char *url, size_t urlsz, dp_err *err)
{
    if (!executable(s->cfg->redis_server))
        return dp_err_set(err, -ENOENT,
                          "redis_server: '%s' not found (apt-get install redis-server, or set "
                          "redis to an existing Redis)",
                          s->cfg->redis_server);
    char abs[PATH_MAX], dir[PATH_MAX + 16], sock[PATH_MAX + 48], pidfile[PATH_MAX + 48];
    char rewrite[32];
    /* Each AOF rewrite forks Redis and the child writes the whole data set:
     * on a small box at 60 k events/s the default 64 MB had one every ~3 s,
     * and ingest p99 went from 9 ms to 150-260 ms (bench/RESULTS.md). */
    snprintf(rewrite, sizeof(rewrite), "%lldmb", (long long)s->cfg->redis_aof_rewrite_mb);
    /* A ceiling on what the data can take of the machine: past it Redis
     * refuses writes (noeviction), the ingest spools (RELIABILITY row 3)
     * and the collector waits, so nothing acknowledged is lost, and the
     * machine does not swap or kill Redis. 0: a quarter of the memory. */
    char maxmem[32];
    uint64_t mb = (uint64_t)s->cfg->redis_maxmemory_mb;
    if (mb == 0) {
        mb = uv_get_total_memory() / 4 >> 20;
        if (mb < 256) mb = 256;
    }
    snprintf(maxmem, sizeof(maxmem), "%llumb", (unsigned long long)mb);
    if (realpath(s->cfg->data_dir, abs) == NULL)
        return dp_err_set(err, -errno, "data_dir: %s", strerror(errno));
    snprintf(dir, sizeof(dir), "%s/redis", abs);
    snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
    snprintf(pidfile, sizeof(pidfile), "%s/redis.pid", dir);
    if (strlen(sock) > 100)
        return dp_err_set(err, -ENAMETOOLONG,
                          "data_dir: path too long for the private Redis unix socket (%s)", sock);
    int rc = dp_mkdirs(dir, err);
    if (rc != 0) return rc;
    stop_stale_redis(pidfile);
    const char *argv[] = {s->cfg->redis_server,
                          "--port",
                          "0",
                          "--unixsocket",
                          sock,
                          "--unixsocketperm",
                          "700",
                          "--dir",
                          dir,
                          "--pidfile",
                          pidfile,
                          "--logfile",
                          "redis.log",
                          "--appendonly",
                          "yes",
                          "--appendfsync",
                          "always",
                          "--auto-aof-rewrite-percentage",
                          "100",
                          "--auto-aof-rewrite-min-size",
                          rewrite,
                          "--maxmemory-policy",
                          "noeviction",
                          "--maxmemory",
                          maxmem,
                          "--save",
                          "",
                          "--daemonize",
                          "no",
                          NULL};
    dp_child_init(&s->redis_child, s->loop, "private redis-server", argv);
    s->have_redis_child = 1;
    if ((rc = dp_child_start(&s->redis_child)) != 0)
        return dp_err_set(err, rc, "redis_server: cannot start '%s': %s (install redis-server?)",
                          s->cfg->redis_server, uv_strerror(rc));
    snprintf(url, urlsz, "unix:%s", sock);
    return 0;
}

static int start_steps(dp_server *s, uv_loop_t *loop, const dp_config *cfg, dp_err *err)
{
    s->loop = loop;
    s->cfg = cfg;
    dp_http_init(&s->http, loop, cfg);
    s->http.on_conn_closed = check_stopped;
    s->http.ud = s;
    dp_ingest_init(&s->ingest, loop, cfg, &s->auth);
    dp_reports_init(&s->reports, loop, cfg, &s->auth.keys, &s->stopping);
    s->ops = (dp_ops_ctx){
        .cfg = cfg, .stopping = &s->stopping, .render = dp__server_render_metrics, .ud = s};
    if (sodium_init() < 0) return dp_err_set(err, -EIO, "libsodium failed to initialise");

    int rc = dp_mkdirs(cfg->data_dir, err);
    if (rc != 0) return rc;
    if ((rc = dp_auth_open(&s->auth, cfg, err)) != 0) return rc;
    char spool_dir[PATH_MAX];
    /* each worker its own spool: one writer per directory */
    if (cfg->worker > 0)
        snprintf(spool_dir, sizeof(spool_dir), "%s/spool-%lld", cfg->data_dir,
                 (long long)cfg->worker);
    else
        snprintf(spool_dir, sizeof(spool_dir), "%s/spool", cfg->data_dir);
    if ((rc = dp_spool_open(&s->ingest.spool, loop, spool_dir, (uint64_t)cfg->spool_max_mb << 20,
                            (uint64_t)cfg->spool_segment_kb << 10, (uint64_t)cfg->spool_fsync_ms,
                            err)) != 0)
        return rc;
    s->ingest.have_spool = 1;
    char url[PATH_MAX + 32];
    snprintf(url, sizeof(url), "%s", cfg->redis);
    if (cfg->redis[0] == '\0' && (rc = start_private_redis(s, url, sizeof(url), err)) != 0)
        return rc;
    if ((rc = dp_redis_init(&s->redis, loop, url, (uint64_t)cfg->redis_timeout_ms, err)) != 0)
        return rc;
    s->have_redis = 1;
    s->redis_durable = -1;
    s->redis.on_up = on_redis_up;
    s->redis.up_ud = s;
    s->ingest.redis = s->reports.redis = s->ops.redis = s->auth.redis = &s->redis;
    s->alerts = (dp_alerts){.loop = loop,
                            .cfg = cfg,
                            .keys = &s->auth.keys,
                            .redis = &s->redis,
                            .stats_redis = &s->reports.rredis};
    dp_alerts_start(&s->alerts);
    dp_redis_start(&s->redis);
    dp_xgroups_init(&s->ingest.xgroups, loop, &s->redis, (unsigned)cfg->shards,
                    (uint64_t)cfg->redis_group_hold_us, dp__ingest_stored);
    s->ingest.xgroups.wait_replicas = (unsigned)cfg->redis_wait_replicas;
    s->ingest.xgroups.wait_ms =
        (uint64_t)(cfg->redis_timeout_ms / 2 ? cfg->redis_timeout_ms / 2 : 1);
    s->ingest.xgroups.on_latency = dp_metrics_xadd_latency;
    s->ingest.xgroups.latency_ud = &s->ingest.metrics;
    s->ingest.have_xgroups = 1;
    dp_spool_replay_start(&s->ingest.replay, loop, &s->ingest.spool, &s->redis);
    s->ingest.have_replay = 1;
    /* Reports read much more than ingest writes: their own connection, so
     * an XADD never waits behind a report's pipelined reads. */
    if ((rc = dp_redis_init(&s->reports.rredis, loop, url, (uint64_t)cfg->redis_timeout_ms, err)) !=
        0)
        return rc;
    s->reports.have_rredis = 1;
    dp_redis_start(&s->reports.rredis);
    if (cfg->start_collector) start_collector(s, url);
    if (cfg->start_notifier) start_notifier(s, url);

    /* the routes, each feature's rows */
    dp_router *rt = &s->http.router;
    if (dp_ingest_register(rt, &s->ingest) != 0 || dp_auth_register(rt, &s->auth) != 0 ||
        dp_reports_register(rt, &s->reports) != 0 || dp_ops_register(rt, &s->ops) != 0 ||
        dp_alerts_register(rt, &s->alerts) != 0)
        return dp_err_set(err, -E2BIG, "routes: more than the router holds");
    s->open_handles++; /* the listener */
    if ((rc = dp_http_listen(&s->http, err)) != 0) return rc;
    start_workers(s, url);

    uv_signal_init(loop, &s->sigterm);
    uv_signal_init(loop, &s->sigint);
    s->sigterm.data = s->sigint.data = s;
    s->open_handles += 2;
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_timer_init(loop, &s->shutdown_timer);
    s->shutdown_timer.data = s;
    s->open_handles++;
    dp_live_start(&s->reports);
    s->open_handles++;
    dp_dashboards_load(cfg);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int dp_server_check_config(const dp_config *cfg, dp_err *err)
{
    dp_apikeys keys;
    dp_redis r;
    int rc = dp_http_check_listen(cfg->listen, err);
    if (rc == 0 && cfg->api_keys[0]) rc = dp_apikeys_parse(&keys, cfg->api_keys, err);
    if (rc == 0 && cfg->redis[0]) {
        uv_loop_t loop;
        uv_loop_init(&loop);
        rc = dp_redis_init(&r, &loop, cfg->redis, 1000, err);
        if (rc == 0) {
            uv_close((uv_handle_t *)&r.retry_timer, NULL);
            uv_close((uv_handle_t *)&r.watchdog, NULL);
            uv_run(&loop, UV_RUN_DEFAULT);
            dp_free(r.host);
            dp_free(r.path);
            dp_free(r.seeds);
        }
        uv_loop_close(&loop);
    }
    return rc;
}

/* Undoes a start that failed half way: closes what was opened, waits for
 * the loop to finish closing (and the private redis-server to exit). */
static void abort_start(dp_server *s)
{
    if (s->have_collector) dp_child_stop(&s->collector_child, 5000, NULL, NULL);
    if (s->have_notifier) dp_child_stop(&s->notifier_child, 5000, NULL, NULL);
    dp_alerts_close(&s->alerts);
    if (s->ingest.have_xgroups) dp_xgroups_close(&s->ingest.xgroups, NULL, NULL);
    if (s->have_redis) dp_redis_close(&s->redis, 1, NULL, NULL);
    if (s->reports.have_rredis && !s->reports.rredis.closing)
        dp_redis_close(&s->reports.rredis, 1, NULL, NULL);
    if (s->have_redis_child) {
        dp_child_stop(&s->redis_child, 5000, NULL, NULL);
    }
    if (s->http.have_listener) uv_close((uv_handle_t *)&s->http.listener, NULL);
    if (s->ingest.have_replay) dp_spool_replay_stop(&s->ingest.replay, NULL, NULL);
    if (s->ingest.have_spool) dp_spool_close(&s->ingest.spool, NULL, NULL);
    uv_run(s->loop, UV_RUN_DEFAULT);
    dp_server_free(s);
}

/* A daemon of ours (deckpulse-collector, deckpulse-notifier) beside this
 * binary (or on PATH), given every setting of ours but the secrets, and the
 * Redis we use. */
static void start_child(dp_server *s, dp_child *child, const char *name, const char *redis_url)
{
    char self[PATH_MAX], path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s", name);
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/%s", self, name);
            if (access(path, X_OK) != 0) snprintf(path, sizeof(path), "%s", name);
        }
    }
    const char *argv[260];
    char vals[256][48];
    int argc = 0, nv = 0;
    argv[argc++] = path;
    /* two arguments and at most two of vals[] per setting */
    for (const dp_config_setting *st = dp_config_settings; st->name && nv < 254; st++) {
        if (!strcmp(st->name, "secret") || !strcmp(st->name, "old_secrets") ||
            !strcmp(st->name, "api_keys") || !strcmp(st->name, "metrics_token") ||
            !strcmp(st->name, "redis"))
            continue;
        const char *base = (const char *)s->cfg;
        const char *v;
        if (st->type == DP_CFG_STRING) {
            v = *(char *const *)(base + st->offset);
        } else if (st->type == DP_CFG_BOOL) {
            v = *(const int *)(base + st->offset) ? "true" : "false";
        } else {
            snprintf(vals[nv], sizeof(vals[nv]), "%lld",
                     (long long)*(const int64_t *)(base + st->offset));
            v = vals[nv++];
        }
        char *flag = vals[nv++];
        snprintf(flag, sizeof(vals[0]), "--%s", st->name);
        argv[argc++] = flag;
        argv[argc++] = v;
    }
    argv[argc++] = "--redis";
    argv[argc++] = redis_url;
    argv[argc] = NULL;
    dp_child_init(child, s->loop, name, argv);
    if (dp_child_start(child) != 0) dp_warn("%s did not start; retrying with backoff", name);
}

/* The command line this process was started with (the workers get it
 * again, with their own settings after it: the last of a setting wins). */
static int self_argc;
static char **self_argv;

void dp_server_set_argv(int argc, char **argv)
{
    self_argc = argc;
    self_argv = argv;
}

/* workers - 1 more processes of this program on the same port
 * (SO_REUSEPORT: the kernel spreads connections over them), on this one's
 * Redis (the private one too), without collector or notifier of their
 * own; supervised and stopped like the collector. */
static void start_workers(dp_server *s, const char *redis_url)
{
    int n = (int)s->cfg->workers;
    if (n <= 1 || s->cfg->worker > 0 || self_argv == NULL) return;
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0) {
        dp_warn("workers: cannot find this program (/proc/self/exe); running alone");
        return;
    }
    self[len] = '\0';
    s->workers = dp_calloc((size_t)n - 1, sizeof(dp_child));
    for (int i = 1; i < n; i++) {
        const char **argv = dp_calloc((size_t)self_argc + 16, sizeof(char *));
        char idx[16], name[32];
        int k = 0;
        argv[k++] = self;
        for (int j = 1; j < self_argc; j++)
            argv[k++] = self_argv[j];
        snprintf(idx, sizeof(idx), "%d", i);
        const char *over[] = {"--worker",         idx,       "--listen",          s->http.bound,
                              "--redis",          redis_url, "--start_collector", "false",
                              "--start_notifier", "false"};
        for (size_t j = 0; j < sizeof(over) / sizeof(*over); j++)
            argv[k++] = over[j];
        snprintf(name, sizeof(name), "worker %d", i);
        dp_child_init(&s->workers[i - 1], s->loop, name, argv);
        if (dp_child_start(&s->workers[i - 1]) != 0)
            dp_warn("%s did not start; retrying with backoff", name);
        dp_free(argv);
    }
    s->nworkers = n - 1;
    dp_info("workers: %d processes on %s", n, s->http.bound);
}

static void start_collector(dp_server *s, const char *redis_url)
{
    s->have_collector = 1;
    start_child(s, &s->collector_child, "deckpulse-collector", redis_url);
}

static void start_notifier(dp_server *s, const char *redis_url)
{
    s->have_notifier = 1;
    start_child(s, &s->notifier_child, "deckpulse-notifier", redis_url);
}

int dp_server_start(dp_server *s, uv_loop_t *loop, const dp_config *cfg, dp_err *err)
{
    memset(s, 0, sizeof(*s));
    int rc = start_steps(s, loop, cfg, err);
    if (rc != 0) abort_start(s);
    return rc;
}

static void maybe_done(dp_server *s)
{
    if (s->open_handles == 0 && s->on_stopped) {
        void (*cb)(void *) = s->on_stopped;
        s->on_stopped = NULL;
        cb(s->stopped_ud);
    }
}

/* A part holding one of open_handles has closed. */
static void released(void *ud)
{
    dp_server *s = ud;
    s->open_handles--;
    maybe_done(s);
}

static void on_closed(uv_handle_t *h)
{
    dp_server *s = h->data;
    s->open_handles--;
    maybe_done(s);
}

static void on_redis_closed(void *ud)
{
    dp_server *s = ud;
    if (s->ingest.have_xgroups && s->ingest.xgroups.check_open) {
        s->open_handles++;
        dp_xgroups_close(&s->ingest.xgroups, released, s);
    }
    /* every ingest has its answer by now: what they spooled gets written */
    if (s->ingest.have_spool && !s->ingest.spool.closing) {
        s->open_handles++;
        dp_spool_close(&s->ingest.spool, released, s);
    }
    if (s->have_redis_child)
        dp_child_stop(&s->redis_child, 10000, released, s);
    else
        s->open_handles--;
    if (!uv_is_closing((uv_handle_t *)&s->shutdown_timer))
        uv_close((uv_handle_t *)&s->shutdown_timer, on_closed);
    maybe_done(s);
}

static void on_notifier_stopped(void *ud)
{
    dp_server *s = ud;
    s->notifier_stopped = 1;
    s->open_handles--;
    check_stopped(s);
}

static void on_collector_stopped(void *ud)
{
    dp_server *s = ud;
    s->collector_stopped = 1;
    s->open_handles--;
    check_stopped(s);
}

/* Once every connection has closed: the collector, then Redis. */
static void check_stopped(void *ud)
{
    dp_server *s = ud;
    if (!s->stopping || s->http.nconns > 0 || s->redis.closing) return;
    if (s->have_notifier && !s->notifier_stopped) {
        /* what it has in flight stays queued in Redis */
        if (!s->notifier_child.stopping) {
            s->open_handles++;
            dp_child_stop(&s->notifier_child, 5000, on_notifier_stopped, s);
        }
        return;
    }
    if (s->have_collector && !s->collector_stopped) {
        /* The collector first: it finishes its batch while Redis is up. */
        if (!s->collector_child.stopping) {
            s->open_handles++;
            dp_child_stop(&s->collector_child, 15000, on_collector_stopped, s);
        }
        return;
    }
    /* Every connection is gone; ingests still waiting get their answers
     * from Redis before it disconnects (unless the shutdown timer fired). */
    s->open_handles++; /* redis + child: released after on_redis_closed */
    int force = !uv_is_active((uv_handle_t *)&s->shutdown_timer);
    if (s->ingest.have_xgroups)
        dp_xgroups_flush(&s->ingest.xgroups); /* the last batches, answered first */
    if (s->have_redis)
        dp_redis_close(&s->redis, force, on_redis_closed, s);
    else
        on_redis_closed(s);
}

static void on_shutdown_timeout(uv_timer_t *t)
{
    dp_server *s = t->data;
    dp_warn("shutdown: %llu connection(s) still open after shutdown_timeout_ms; closing them",
            (unsigned long long)s->http.nconns);
    dp_http_close_all(&s->http);
    if (s->redis.closing && s->redis.ac) {
        /* still waiting for answers from Redis: give up on them */
        redisAsyncContext *ac = s->redis.ac;
        s->redis.ac = NULL;
        redisAsyncFree(ac);
    }
    check_stopped(s);
}

void dp_server_stop(dp_server *s, void (*on_stopped)(void *), void *ud)
{
    if (s->stopping) return;
    s->stopping = 1;
    s->on_stopped = on_stopped;
    s->stopped_ud = ud;
    uv_close((uv_handle_t *)&s->sigterm, on_closed);
    uv_close((uv_handle_t *)&s->sigint, on_closed);
    uv_timer_start(&s->shutdown_timer, on_shutdown_timeout, (uint64_t)s->cfg->shutdown_timeout_ms,
                   0);
    dp_live_stop(&s->reports, released, s);
    dp_alerts_close(&s->alerts);
    if (s->ingest.have_replay) {
        s->open_handles++;
        dp_spool_replay_stop(&s->ingest.replay, released, s);
    }
    if (s->reports.have_rredis) {
        /* reports in progress answer 503 (or, refreshing, just stop) */
        s->open_handles++;
        dp_redis_close(&s->reports.rredis, 1, released, s);
    }
    dp_http_stop(&s->http, released); /* releases the listener's open_handles */
    for (int i = 0; i < s->nworkers; i++) {
        /* each finishes its own requests (SIGTERM), like this one */
        s->open_handles++;
        dp_child_stop(&s->workers[i], (uint64_t)s->cfg->shutdown_timeout_ms + 5000, released, s);
    }
    check_stopped(s);
}

void dp_server_free(dp_server *s)
{
    for (int i = 0; i < s->nworkers; i++)
        dp_child_free(&s->workers[i]);
    dp_free(s->workers);
    s->workers = NULL;
    s->nworkers = 0;
    if (s->have_collector) dp_child_free(&s->collector_child);
    s->have_collector = 0;
    if (s->have_notifier) dp_child_free(&s->notifier_child);
    s->have_notifier = 0;
    if (s->have_redis_child) dp_child_free(&s->redis_child);
    s->have_redis_child = 0;
    dp_auth_free(&s->auth);
    dp_ingest_free(&s->ingest);
    dp_reports_free(&s->reports);
    dp_buf_free(&s->alerts.stats);
    dp_http_free(&s->http);
    dp_dashboards_free();
}
