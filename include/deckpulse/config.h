/* deckpulse — configuration, shared by deckpulse-server and
 * deckpulse-collector.
 *
 * One table (lib/config.c) declares every setting with its type, bounds and
 * default. Settings come from a file (--config FILE, lines `name = value`),
 * the environment (DECKPULSE_NAME) and flags (--name value or --name=value);
 * a flag beats the environment, which beats the file. An unknown key or a bad
 * value stops startup with a message naming the key and where it came from. */
#ifndef DECKPULSE_CONFIG_H
#define DECKPULSE_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "deckpulse/error.h"

typedef struct dp_config {
    /* names scripts rely on (docs/configuration.md) */
    char *listen;
    char *redis;
    char *data_dir;
    char *secret;
    char *old_secrets;
    char *api_keys;
    char *metrics_token;
    int allow_anonymous;
    char *allowed_origins;
    /* ingest ceilings */
    int64_t max_header_bytes;
    int64_t max_headers;
    int64_t max_url_bytes;
    int64_t max_body_bytes;
    int64_t max_decompressed_bytes;
    int64_t max_events;
    int64_t max_json_depth;
    int64_t max_dwell_ms;
    int64_t max_slides_per_presentation, max_actions_per_presentation;
    int64_t max_connections;
    int64_t max_write_queue_mb;
    /* timeouts, milliseconds */
    int64_t header_timeout_ms;
    int64_t body_timeout_ms;
    int64_t keepalive_timeout_ms;
    int64_t redis_timeout_ms;
    int64_t shutdown_timeout_ms;
    /* behaviour */
    int64_t retry_after_s;
    int64_t link_max_ttl_days;
    int access_log;
    char *log_level;
    char *redis_server;
    int64_t redis_aof_rewrite_mb;
    int64_t redis_maxmemory_mb;
    char *public_url;
    int64_t shards;
    int64_t workers, worker;
    /* collector */
    int start_collector;
    /* alerts and webhooks */
    int start_notifier;
    int webhook_allow_private;
    int64_t webhook_concurrency;
    int64_t alert_quiet_days;
    char *alert_ignore_prospects;
    char *collector_name;
    int64_t session_timeout_ms;
    int64_t dedup_ttl_s;
    int64_t collector_batch;
    int64_t collector_read_events;
    int64_t collector_txn_sessions;
    int64_t collector_wait_ms;
    int64_t redis_group_hold_us;
    int64_t redis_wait_replicas;
    int64_t claim_idle_ms;
    int64_t max_deliveries;
    int64_t retention_days, retention_archive_days;
    int64_t rate_ip_per_s, rate_ip_burst, rate_link_per_s, rate_link_burst;
    int64_t rate_ip_events_per_s, rate_ip_events_burst, rate_link_events_per_s,
        rate_link_events_burst;
    int64_t spool_max_mb, spool_segment_kb, spool_fsync_ms;
    int drop_bots;
    int catalog_strict;
    char *dashboards_dir;
    /* reports */
    int64_t report_cache_mb;
    int64_t report_stale_ms;
    int64_t report_concurrency;
    int64_t report_concurrency_per_key, live_streams_per_key;
    int64_t report_prospects_max;
    int64_t score_dwell;
    int64_t score_completion;
    int64_t score_revisit;
    int64_t score_forward;
    int64_t score_action;
    int64_t score_sessions_per_day, score_actions_per_day;
    int64_t score_half_life_days;
    int64_t score_warm;
    int64_t score_hot;
} dp_config;

typedef enum dp_config_type { DP_CFG_STRING, DP_CFG_INT, DP_CFG_BOOL } dp_config_type;

typedef struct dp_config_setting {
    const char *name;
    dp_config_type type;
    size_t offset;
    int64_t min; /* INT: smallest value; STRING: shortest length */
    int64_t max; /* INT: largest value; STRING: longest length */
    const char *def;
    const char *help;
} dp_config_setting;

/* The table, terminated by an entry whose name is NULL. */
extern const dp_config_setting dp_config_settings[];

/* What the command line asked for besides settings. */
typedef struct dp_config_cli {
    const char *config_file; /* --config FILE or DECKPULSE_CONFIG */
    int check_config;        /* --check-config */
    int help;                /* --help */
    int version;             /* --version */
    const char *replay_dir;  /* --replay DIR (collector) */
} dp_config_cli;

/* Fills every setting with its default. */
void dp_config_init(dp_config *c);
void dp_config_free(dp_config *c);
/* Sets one setting from text; `origin` ("file x:3", "environment", "flag")
 * only goes into the message. */
int dp_config_set(dp_config *c, const char *name, const char *value, const char *origin,
                  dp_err *err);
/* Reads a file of `name = value` lines (# comments, blank lines). */
int dp_config_load_file(dp_config *c, const char *path, dp_err *err);
/* The whole sequence: defaults, file, environment, flags. envp may be NULL. */
int dp_config_load(dp_config *c, int argc, char **argv, char **envp, dp_config_cli *cli,
                   dp_err *err);
/* Prints the settings table (--help). */
void dp_config_usage(FILE *out, const char *prog);

#endif
