/* The one table of every setting, and reading them from the file, the
 * environment and the command line (docs/configuration.md). */
#include "deckpulse/config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define S(field) offsetof(dp_config, field)

const dp_config_setting dp_config_settings[] = {
    {"listen", DP_CFG_STRING, S(listen), 1, 255, "127.0.0.1:8080", "address:port for HTTP"},
    {"redis", DP_CFG_STRING, S(redis), 0, 511, "",
     "redis://host:port or unix:/path; empty = start a private redis-server"},
    {"data_dir", DP_CFG_STRING, S(data_dir), 1, 900, "./data",
     "spool, archive, private Redis, generated secrets"},
    {"secret", DP_CFG_STRING, S(secret), 0, 1024, "",
     "HMAC key for link tokens (at least 32 characters); generated into data_dir if empty"},
    {"old_secrets", DP_CFG_STRING, S(old_secrets), 0, 4000, "",
     "retired link-token secrets, comma separated: links minted with them still verify "
     "(rotate: the old secret here, a new one in secret)"},
    {"api_keys", DP_CFG_STRING, S(api_keys), 0, 8192, "",
     "role:key,role:key... (roles admin, marketing, sales); empty = an admin key generated "
     "into data_dir"},
    {"metrics_token", DP_CFG_STRING, S(metrics_token), 0, 1024, "",
     "when set, GET /metrics answers only with Authorization: Bearer <this token> (for the "
     "scraper); empty = open, as on a private network"},
    {"allow_anonymous", DP_CFG_BOOL, offsetof(dp_config, allow_anonymous), 0, 1, "false",
     "accept events without a link token"},
    {"allowed_origins", DP_CFG_STRING, S(allowed_origins), 1, 8192, "*",
     "CORS allow-list, comma separated, * for any"},
    {"max_header_bytes", DP_CFG_INT, S(max_header_bytes), 1024, 1048576, "16384",
     "ceiling on the bytes of a request's header lines (431 past it)"},
    {"max_headers", DP_CFG_INT, S(max_headers), 8, 1000, "64",
     "ceiling on the number of header lines (431 past it)"},
    {"max_url_bytes", DP_CFG_INT, S(max_url_bytes), 64, 65536, "4096",
     "ceiling on the request target's length (414 past it)"},
    {"max_body_bytes", DP_CFG_INT, S(max_body_bytes), 1024, 67108864, "1048576",
     "ceiling on a request body as sent (413 past it)"},
    {"max_decompressed_bytes", DP_CFG_INT, S(max_decompressed_bytes), 1024, 268435456, "5242880",
     "ceiling on a gzip body once inflated (413 past it)"},
    {"max_events", DP_CFG_INT, S(max_events), 1, 100000, "500",
     "ceiling on the events of one batch (413 past it)"},
    {"max_json_depth", DP_CFG_INT, S(max_json_depth), 3, 1000, "16",
     "ceiling on JSON nesting depth (400 past it)"},
    {"max_write_queue_mb", DP_CFG_INT, S(max_write_queue_mb), 1, 1048576, "256",
     "memory for copies of answers being written to clients (shared cached answers are not "
     "copied); an answer that would pass it gets 503"},
    {"max_connections", DP_CFG_INT, S(max_connections), 1, 1000000, "4096",
     "open client connections; past it new ones get 503 and are closed"},
    {"header_timeout_ms", DP_CFG_INT, S(header_timeout_ms), 100, 600000, "10000",
     "time to send a request's headers, from its first byte (408 past it)"},
    {"body_timeout_ms", DP_CFG_INT, S(body_timeout_ms), 100, 600000, "30000",
     "time to send a request's body (408 past it)"},
    {"keepalive_timeout_ms", DP_CFG_INT, S(keepalive_timeout_ms), 100, 3600000, "60000",
     "an idle keep-alive connection is closed after this"},
    {"redis_group_hold_us", DP_CFG_INT, S(redis_group_hold_us), 0, 100000, "300",
     "while batches arrive fast, a group of fewer than 8 waits this long for more before its XADD"},
    {"redis_wait_replicas", DP_CFG_INT, S(redis_wait_replicas), 0, 16, "0",
     "a 202 waits until this many replicas have the batch (WAIT); else it is spooled"},
    {"redis_timeout_ms", DP_CFG_INT, S(redis_timeout_ms), 50, 600000, "3000",
     "a Redis command unanswered this long drops the connection (503 meanwhile)"},
    {"shutdown_timeout_ms", DP_CFG_INT, S(shutdown_timeout_ms), 100, 600000, "10000",
     "on SIGTERM, time allowed for requests in flight to finish"},
    {"retry_after_s", DP_CFG_INT, S(retry_after_s), 1, 3600, "2",
     "Retry-After sent with 503 answers"},
    {"link_max_ttl_days", DP_CFG_INT, S(link_max_ttl_days), 1, 36500, "3650",
     "largest ttl_days a link token may be minted with"},
    {"access_log", DP_CFG_BOOL, offsetof(dp_config, access_log), 0, 1, "true",
     "one structured line per request on stderr"},
    {"log_level", DP_CFG_STRING, S(log_level), 4, 5, "info", "error, warn, info or debug"},
    {"redis_server", DP_CFG_STRING, S(redis_server), 1, 1023, "redis-server",
     "the redis-server binary started when redis is empty"},
    {"redis_aof_rewrite_mb", DP_CFG_INT, S(redis_aof_rewrite_mb), 64, 1048576, "1024",
     "the private redis-server rewrites its AOF once it is this large and has doubled"},
    {"redis_maxmemory_mb", DP_CFG_INT, S(redis_maxmemory_mb), 0, 16777216, "0",
     "the private redis-server's maxmemory (noeviction): past it the ingest spools; "
     "0 = a quarter of this machine's memory, at least 256"},
    {"public_url", DP_CFG_STRING, S(public_url), 0, 1023, "",
     "the URL browsers reach this server at (for the printed snippet); empty = http://listen"},
    {"workers", DP_CFG_INT, S(workers), 1, 64, "1",
     "server processes sharing the listening port (SO_REUSEPORT), each with its own spool"},
    {"worker", DP_CFG_INT, S(worker), 0, 63, "0",
     "set by the server on the workers it starts (their spool: data_dir/spool-<worker>)"},
    {"shards", DP_CFG_INT, S(shards), 1, 256, "1",
     "event stream shards (Redis Cluster hash tags); every server and collector must agree"},
    {"start_collector", DP_CFG_BOOL, offsetof(dp_config, start_collector), 0, 1, "true",
     "deckpulse-server starts and supervises a deckpulse-collector"},
    {"start_notifier", DP_CFG_BOOL, S(start_notifier), 0, 1, "true",
     "deckpulse-server starts and supervises a deckpulse-notifier (alerts and webhooks)"},
    {"webhook_allow_private", DP_CFG_BOOL, S(webhook_allow_private), 0, 1, "false",
     "let webhooks reach loopback, private and link-local addresses (checked at registration "
     "and at every connection)"},
    {"webhook_concurrency", DP_CFG_INT, S(webhook_concurrency), 1, 64, "4",
     "deliveries in flight to one webhook at once (one slow endpoint never delays another)"},
    {"alert_quiet_days", DP_CFG_INT, S(alert_quiet_days), 1, 3650, "7",
     "prospect.returned: a prospect's first session after this many days without one"},
    {"alert_ignore_prospects", DP_CFG_STRING, S(alert_ignore_prospects), 0, 8192, "",
     "prospects and accounts whose views alert nobody (internal test views), comma separated; "
     "*suffix matches ids ending in suffix (*.acme.test)"},
    {"collector_name", DP_CFG_STRING, S(collector_name), 0, 64, "",
     "consumer name in the group; empty = hostname-pid"},
    {"session_timeout_ms", DP_CFG_INT, S(session_timeout_ms), 100, 86400000, "1800000",
     "a session without events this long has ended"},
    {"dedup_ttl_s", DP_CFG_INT, S(dedup_ttl_s), 60, 31536000, "2592000",
     "how long (session, seq) pairs are remembered to drop duplicates"},
    {"collector_batch", DP_CFG_INT, S(collector_batch), 1, 5000, "100",
     "stream entries the collector reads and applies at once (up to 8x behind a backlog)"},
    {"collector_read_events", DP_CFG_INT, S(collector_read_events), 1, 1000000, "2000",
     "a read takes about this many events at most, whatever collector_batch says"},
    {"collector_txn_sessions", DP_CFG_INT, S(collector_txn_sessions), 1, 100000, "128",
     "sessions per MULTI/EXEC: a read with more is applied as several, by session"},
    {"collector_wait_ms", DP_CFG_INT, S(collector_wait_ms), 0, 10000, "250",
     "after a read that found the stream caught up, wait this long before the next"},
    {"claim_idle_ms", DP_CFG_INT, S(claim_idle_ms), 100, 86400000, "60000",
     "entries pending this long with another consumer are claimed (XAUTOCLAIM)"},
    {"max_deliveries", DP_CFG_INT, S(max_deliveries), 1, 1000, "5",
     "an entry delivered this many times without success goes to the dead-letter stream"},
    {"retention_days", DP_CFG_INT, S(retention_days), 0, 36500, "0",
     "per-day aggregates older than this many days are deleted by the collector (0 = kept)"},
    {"retention_archive_days", DP_CFG_INT, S(retention_archive_days), 0, 36500, "0",
     "raw archive days older than this are deleted by the collector (0 = kept)"},
    {"rate_ip_per_s", DP_CFG_INT, S(rate_ip_per_s), 0, 1000000, "100",
     "ingest requests a second from one client address, sustained (0 = no limit)"},
    {"rate_ip_burst", DP_CFG_INT, S(rate_ip_burst), 1, 10000000, "1000",
     "ingest requests one client address may send at once before rate_ip_per_s applies"},
    {"rate_link_per_s", DP_CFG_INT, S(rate_link_per_s), 0, 1000000, "20",
     "batches a second for one link token, sustained (0 = no limit)"},
    {"rate_link_burst", DP_CFG_INT, S(rate_link_burst), 1, 10000000, "200",
     "batches one link token may send at once before rate_link_per_s applies"},
    {"rate_ip_events_per_s", DP_CFG_INT, S(rate_ip_events_per_s), 0, 100000000, "500",
     "events a second from one client address, sustained (0 = no limit)"},
    {"rate_ip_events_burst", DP_CFG_INT, S(rate_ip_events_burst), 1, 1000000000, "5000",
     "events one client address may send at once before rate_ip_events_per_s applies"},
    {"rate_link_events_per_s", DP_CFG_INT, S(rate_link_events_per_s), 0, 100000000, "50",
     "events a second for one link token, sustained (0 = no limit)"},
    {"rate_link_events_burst", DP_CFG_INT, S(rate_link_events_burst), 1, 1000000000, "1000",
     "events one link token may send at once before rate_link_events_per_s applies"},
    {"max_slides_per_presentation", DP_CFG_INT, S(max_slides_per_presentation), 1, 1000000, "500",
     "distinct material/slide/version triples one presentation's events may name; events "
     "naming more are not counted (collector: refused_slides)"},
    {"max_actions_per_presentation", DP_CFG_INT, S(max_actions_per_presentation), 1, 1000000, "50",
     "distinct action names one presentation's events may name; more are not counted "
     "(collector: refused_actions)"},
    {"max_dwell_ms", DP_CFG_INT, S(max_dwell_ms), 1000, 86400000, "3600000",
     "one dwell event counts at most this long; longer ones are clamped and counted"},
    {"spool_max_mb", DP_CFG_INT, S(spool_max_mb), 1, 1048576, "1024",
     "the local spool (data_dir/spool) takes batches Redis cannot, up to this size; past it 503"},
    {"spool_segment_kb", DP_CFG_INT, S(spool_segment_kb), 16, 1048576, "8192",
     "spool segment files are this large; each is removed once replayed into Redis"},
    {"spool_fsync_ms", DP_CFG_INT, S(spool_fsync_ms), 0, 1000, "2",
     "spooled batches are gathered this long into one write and fsync before their 202"},
    {"catalog_strict", DP_CFG_BOOL, S(catalog_strict), 0, 1, "false",
     "a material the catalog knows is closed: events naming a slide it does not list (or a "
     "higher version) are refused, counted and named in the 202 answer"},
    {"drop_bots", DP_CFG_BOOL, S(drop_bots), 0, 1, "true",
     "answer but do not count crawlers, link previews, mail scanners and prefetches"},
    {"dashboards_dir", DP_CFG_STRING, S(dashboards_dir), 0, 4000, "",
     "directory of the dashboards served at / (index.html, scripts, Chart.js in node_modules); "
     "empty: dashboards/ beside the binary or one level up, ../share/deckpulse/dashboards, "
     "./dashboards"},
    /* reports */
    {"report_cache_mb", DP_CFG_INT, S(report_cache_mb), 0, 65536, "64",
     "memory for cached report answers (checked against the data's generation; 0 = off)"},
    {"report_concurrency", DP_CFG_INT, S(report_concurrency), 1, 1000, "4",
     "report computations at once (more answer 503; requests for one answer share it)"},
    {"report_concurrency_per_key", DP_CFG_INT, S(report_concurrency_per_key), 1, 1000, "2",
     "report computations one API key may have at once (more answer 503), so one key cannot "
     "keep every other on 503"},
    {"live_streams_per_key", DP_CFG_INT, S(live_streams_per_key), 1, 256, "32",
     "GET /v1/live streams one API key may hold open at once (of 256)"},
    {"report_prospects_max", DP_CFG_INT, S(report_prospects_max), 100, 10000000, "1000000",
     "prospects one unfiltered hot list reads and scores, 10 000 at a time (memory stays "
     "bounded, time grows); past it the answer says it is cut"},
    {"report_stale_ms", DP_CFG_INT, S(report_stale_ms), 0, 3600000, "2000",
     "serve a cached report computed at most this long ago while newer data is computed "
     "(0 = always wait for the newest)"},
    {"score_dwell", DP_CFG_INT, S(score_dwell), 0, 1000000, "2",
     "engagement score: points per minute of dwell"},
    {"score_completion", DP_CFG_INT, S(score_completion), 0, 1000000, "10",
     "engagement score: points per material read to its last slide"},
    {"score_revisit", DP_CFG_INT, S(score_revisit), 0, 1000000, "5",
     "engagement score: points per session after the first"},
    {"score_forward", DP_CFG_INT, S(score_forward), 0, 1000000, "15",
     "engagement score: points per presentation opened by more than one browser (forwarded)"},
    {"score_action", DP_CFG_INT, S(score_action), 0, 1000000, "8",
     "engagement score: points per action (book-demo, download, ...)"},
    {"score_sessions_per_day", DP_CFG_INT, S(score_sessions_per_day), 1, 1000000, "3",
     "engagement score: a prospect's sessions of one day count at most this many (revisits)"},
    {"score_actions_per_day", DP_CFG_INT, S(score_actions_per_day), 0, 1000000, "5",
     "engagement score: a prospect's actions of one day count at most this many"},
    {"score_half_life_days", DP_CFG_INT, S(score_half_life_days), 1, 3650, "14",
     "engagement score: halves for every this many days since the prospect was last seen"},
    {"score_warm", DP_CFG_INT, S(score_warm), 0, 1000000000, "20",
     "engagement score at which a prospect is warm"},
    {"score_hot", DP_CFG_INT, S(score_hot), 0, 1000000000, "50",
     "engagement score at which a prospect is hot"},
    {NULL, DP_CFG_STRING, 0, 0, 0, NULL, NULL},
};

static const dp_config_setting *find_setting(const char *name, size_t n)
{
    for (const dp_config_setting *s = dp_config_settings; s->name; s++)
        if (strlen(s->name) == n && memcmp(s->name, name, n) == 0) return s;
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return -EINVAL;
}

static int set_value(dp_config *c, const dp_config_setting *s, const char *value,
                     const char *origin, dp_err *err)
{
    char *base = (char *)c;
    switch (s->type) {
    case DP_CFG_BOOL: {
        int b;
        if (parse_bool(value, &b) != 0)
            return dp_err_set(err, -EINVAL, "%s: must be true or false, got '%.64s' (%s)", s->name,
                              value, origin);
        *(int *)(base + s->offset) = b;
        return 0;
    }
    case DP_CFG_INT: {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < s->min || v > s->max)
            return dp_err_set(err, -EINVAL,
                              "%s: must be an integer between %lld and %lld, got '%.64s' (%s)",
                              s->name, (long long)s->min, (long long)s->max, value, origin);
        *(int64_t *)(base + s->offset) = v;
        return 0;
    }
    case DP_CFG_STRING: {
        size_t n = strlen(value);
        if ((int64_t)n < s->min || (int64_t)n > s->max)
            return dp_err_set(err, -EINVAL, "%s: must be %lld to %lld characters, got %zu (%s)",
                              s->name, (long long)s->min, (long long)s->max, n, origin);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)value[i] < 0x20)
                return dp_err_set(err, -EINVAL, "%s: control character in value (%s)", s->name,
                                  origin);
        char **slot = (char **)(base + s->offset);
        dp_free(*slot);
        *slot = dp_strdup(value);
        return 0;
    }
    }
    return -EINVAL;
}

static int check_semantics(dp_config *c, dp_err *err)
{
    static const char *levels[] = {"error", "warn", "info", "debug"};
    int ok = 0;
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(c->log_level, levels[i])) ok = 1;
    if (!ok)
        return dp_err_set(err, -EINVAL, "log_level: must be error, warn, info or debug, got '%s'",
                          c->log_level);
    if (c->secret[0] != '\0' && strlen(c->secret) < 32)
        return dp_err_set(err, -EINVAL, "secret: must be at least 32 characters");
    if (c->max_decompressed_bytes < c->max_body_bytes)
        return dp_err_set(err, -EINVAL,
                          "max_decompressed_bytes: must be at least max_body_bytes (%lld)",
                          (long long)c->max_body_bytes);
    if (c->redis[0] != '\0' && strncmp(c->redis, "redis://", 8) != 0 &&
        strncmp(c->redis, "unix:", 5) != 0)
        return dp_err_set(err, -EINVAL,
                          "redis: must be redis://host:port or unix:/path, got '%.64s'", c->redis);
    return 0;
}

void dp_config_init(dp_config *c)
{
    memset(c, 0, sizeof(*c));
    for (const dp_config_setting *s = dp_config_settings; s->name; s++) {
        int rc = set_value(c, s, s->def, "default", NULL);
        (void)rc; /* defaults are within their own bounds: checked by a unit test */
    }
}

void dp_config_free(dp_config *c)
{
    char *base = (char *)c;
    for (const dp_config_setting *s = dp_config_settings; s->name; s++)
        if (s->type == DP_CFG_STRING) {
            char **slot = (char **)(base + s->offset);
            dp_free(*slot);
            *slot = NULL;
        }
}

int dp_config_set(dp_config *c, const char *name, const char *value, const char *origin,
                  dp_err *err)
{
    const dp_config_setting *s = find_setting(name, strlen(name));
    if (s == NULL) return dp_err_set(err, -EINVAL, "unknown key '%.64s' (%s)", name, origin);
    return set_value(c, s, value, origin, err);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int dp_config_load_file(dp_config *c, const char *path, dp_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) return dp_err_set(err, -EIO, "config file %s: %s", path, strerror(errno));
    char line[16384];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char origin[1100];
        snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            rc = dp_err_set(err, -E2BIG, "%s: line too long", origin);
            break;
        }
        char *p = trim(line);
        if (*p == '\0' || *p == '#') continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            rc = dp_err_set(err, -EINVAL, "%s: expected 'name = value'", origin);
            break;
        }
        *eq = '\0';
        char *name = trim(p), *value = trim(eq + 1);
        size_t vn = strlen(value);
        if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
            value[vn - 1] = '\0';
            value++;
        }
        if ((rc = dp_config_set(c, name, value, origin, err)) != 0) break;
    }
    fclose(f);
    return rc;
}

static int set_from_flag(dp_config *c, const char *name, size_t n, const char *value, dp_err *err)
{
    char key[64];
    if (n >= sizeof(key)) return dp_err_set(err, -EINVAL, "unknown flag '--%.64s'", name);
    for (size_t i = 0; i < n; i++)
        key[i] = name[i] == '-' ? '_' : name[i];
    key[n] = '\0';
    if (find_setting(key, n) == NULL) return dp_err_set(err, -EINVAL, "unknown flag '--%s'", key);
    char origin[96];
    snprintf(origin, sizeof(origin), "flag --%s", key);
    return dp_config_set(c, key, value, origin, err);
}

int dp_config_load(dp_config *c, int argc, char **argv, char **envp, dp_config_cli *cli,
                   dp_err *err)
{
    memset(cli, 0, sizeof(*cli));
    /* First pass: options that are not settings, and the config file's name. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--check-config"))
            cli->check_config = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            cli->help = 1;
        else if (!strcmp(a, "--version"))
            cli->version = 1;
        else if (!strcmp(a, "--config") || !strcmp(a, "--replay")) {
            if (i + 1 >= argc) return dp_err_set(err, -EINVAL, "%s: needs a value", a);
            if (!strcmp(a, "--config"))
                cli->config_file = argv[++i];
            else
                cli->replay_dir = argv[++i];
        } else if (!strncmp(a, "--config=", 9))
            cli->config_file = a + 9;
        else if (!strncmp(a, "--replay=", 9))
            cli->replay_dir = a + 9;
        else if (!strncmp(a, "--", 2)) {
            if (strchr(a, '=') == NULL) i++; /* --name value */
        } else
            return dp_err_set(err, -EINVAL, "unexpected argument '%.64s'", a);
    }
    if (cli->config_file == NULL && envp != NULL)
        for (char **e = envp; *e; e++)
            if (!strncmp(*e, "DECKPULSE_CONFIG=", 17) && (*e)[17] != '\0')
                cli->config_file = *e + 17;

    int rc;
    if (cli->config_file != NULL && (rc = dp_config_load_file(c, cli->config_file, err)) != 0)
        return rc;

    /* Environment: DECKPULSE_NAME for each setting. Unknown DECKPULSE_* names
     * are errors too, so a typo never silently falls back to a default. */
    if (envp != NULL)
        for (char **e = envp; *e; e++) {
            if (strncmp(*e, "DECKPULSE_", 10) != 0) continue;
            const char *eq = strchr(*e, '=');
            if (eq == NULL) continue;
            const char *name = *e + 10;
            size_t n = (size_t)(eq - name);
            if (n == 6 && !strncmp(name, "CONFIG", 6)) continue;
            char key[64];
            if (n >= sizeof(key))
                return dp_err_set(err, -EINVAL, "unknown environment variable '%.80s'", *e);
            for (size_t i = 0; i < n; i++)
                key[i] = (char)tolower((unsigned char)name[i]);
            key[n] = '\0';
            char origin[96];
            snprintf(origin, sizeof(origin), "environment DECKPULSE_%.*s", (int)n, name);
            if (find_setting(key, n) == NULL)
                return dp_err_set(err, -EINVAL, "unknown key '%s' (%s)", key, origin);
            if ((rc = dp_config_set(c, key, eq + 1, origin, err)) != 0) return rc;
        }

    /* Flags. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--check-config") || !strcmp(a, "--help") || !strcmp(a, "-h") ||
            !strcmp(a, "--version") || !strncmp(a, "--config=", 9) || !strncmp(a, "--replay=", 9))
            continue;
        if (!strcmp(a, "--config") || !strcmp(a, "--replay")) {
            i++;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        if (eq != NULL)
            rc = set_from_flag(c, name, (size_t)(eq - name), eq + 1, err);
        else if (i + 1 < argc)
            rc = set_from_flag(c, name, strlen(name), argv[++i], err);
        else
            rc = dp_err_set(err, -EINVAL, "flag --%s: needs a value", name);
        if (rc != 0) return rc;
    }
    return check_semantics(c, err);
}

void dp_config_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s [--config FILE] [--check-config] [--NAME VALUE ...]\n\n"
            "Every setting can also come from the environment as DECKPULSE_NAME.\n\n",
            prog);
    for (const dp_config_setting *s = dp_config_settings; s->name; s++) {
        fprintf(out, "  --%-24s %s\n", s->name, s->help);
        if (s->type == DP_CFG_INT)
            fprintf(out, "  %-26s integer %lld..%lld, default %s\n", "", (long long)s->min,
                    (long long)s->max, s->def);
        else if (s->type == DP_CFG_BOOL)
            fprintf(out, "  %-26s true/false, default %s\n", "", s->def);
        else
            fprintf(out, "  %-26s default '%s'\n", "", s->def);
    }
}
