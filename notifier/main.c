/* deckpulse-notifier: parse the configuration, then deliver alerts to the
 * webhooks until SIGTERM (notifier.h). Started and supervised by
 * deckpulse-server unless start_notifier = false. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "deckpulse/config.h"
#include "log.h"
#include "notifier.h"

static int check(const dp_config *cfg, const dp_config_cli *cli, dp_err *err)
{
    (void)cli;
    if (cfg->redis[0] == '\0')
        return dp_err_set(err, -EINVAL,
                          "redis: the notifier needs redis://host:port or unix:/path "
                          "(deckpulse-server passes its private Redis to the notifier it starts)");
    return 0;
}

int main(int argc, char **argv)
{
    dp_config cfg;
    dp_config_cli cli;
    dp_err err = {""};
    int rc = dp_boot("deckpulse-notifier", "deckpulse-notifier", argc, argv, &cfg, &cli, check);
    if (rc >= 0) return rc;
    dp_boot_signals();
    volatile sig_atomic_t *stop = dp_boot_stop_flag();
    rc = dp_notifier_run(&cfg, stop, &err);
    if (rc != 0)
        fprintf(stderr, "deckpulse-notifier: %s\n", err.msg);
    else
        dp_info("stopped");
    dp_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}
