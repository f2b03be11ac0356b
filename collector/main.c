/* deckpulse-collector: parse the configuration, then consume (or replay). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "collector.h"
#include "deckpulse/config.h"
#include "log.h"
#include "replay.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

static int check(const dp_config *cfg, const dp_config_cli *cli, dp_err *err)
{
    (void)cli;
    if (cfg->redis[0] == '\0')
        return dp_err_set(err, -EINVAL,
                          "redis: the collector needs redis://host:port or unix:/path "
                          "(deckpulse-server passes its private Redis to the collector it starts)");
    return 0;
}

int main(int argc, char **argv)
{
    dp_config cfg;
    dp_config_cli cli;
    dp_err err = {""};
    int rc = dp_boot("deckpulse-collector", "deckpulse-collector [--replay DIR]", argc, argv, &cfg,
                     &cli, check);
    if (rc >= 0) return rc;

    dp_boot_signals();
    volatile sig_atomic_t *stop = dp_boot_stop_flag();

    if (cli.replay_dir)
        rc = dp_replay(&cfg, cli.replay_dir, &err);
    else {
        dp_collector c;
        rc = dp_collector_run(&c, &cfg, stop, &err);
    }
    if (rc != 0)
        fprintf(stderr, "deckpulse-collector: %s\n", err.msg);
    else
        dp_info("stopped");
    dp_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
