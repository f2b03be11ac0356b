/* deckpulse-collector: parse the configuration, then consume (or replay). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "deckpulse/config.h"
#include "log.h"
#include "replay.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

extern char **environ;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    dp_log_set_name("deckpulse-collector");
    dp_config cfg;
    dp_config_cli cli;
    dp_err err = {""};
    dp_config_init(&cfg);
    int rc = dp_config_load(&cfg, argc, argv, environ, &cli, &err);
    if (cli.help) {
        dp_config_usage(stdout, "deckpulse-collector [--replay DIR]");
        dp_config_free(&cfg);
        return 0;
    }
    if (cli.version) {
        printf("deckpulse-collector %s\n", DP_VERSION);
        dp_config_free(&cfg);
        return 0;
    }
    if (rc == 0 && cfg.redis[0] == '\0')
        rc = dp_err_set(&err, -EINVAL,
                        "redis: the collector needs redis://host:port or unix:/path "
                        "(deckpulse-server passes its private Redis to the collector it starts)");
    if (rc != 0) {
        fprintf(stderr, "deckpulse-collector: configuration error: %s\n", err.msg);
        dp_config_free(&cfg);
        return 2;
    }
    if (cli.check_config) {
        printf("configuration OK\n");
        dp_config_free(&cfg);
        return 0;
    }
    static const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(cfg.log_level, levels[i])) dp_log_set_level(i);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocking read returns at once */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (cli.replay_dir)
        rc = dp_replay(&cfg, cli.replay_dir, &err);
    else {
        dp_collector c;
        rc = dp_collector_run(&c, &cfg, &stop, &err);
    }
    if (rc != 0)
        fprintf(stderr, "deckpulse-collector: %s\n", err.msg);
    else
        dp_info("stopped");
    dp_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
