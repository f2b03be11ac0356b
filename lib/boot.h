/* The start of every daemon's main(): load the configuration (defaults,
 * file, environment, flags), answer --help, --version and --check-config,
 * report configuration errors, set the log level. */
#ifndef DP_BOOT_H
#define DP_BOOT_H

#include <signal.h>

#include "deckpulse/config.h"

/* Checks a daemon adds to the table's own (0 or a negative errno + err). */
typedef int (*dp_boot_check)(const dp_config *cfg, const dp_config_cli *cli, dp_err *err);

/* Returns -1 when the daemon should run (cfg and cli filled), or the exit
 * code to return at once (cfg already freed). */
int dp_boot(const char *prog, const char *usage, int argc, char **argv, dp_config *cfg,
            dp_config_cli *cli, dp_boot_check check);

/* SIGTERM and SIGINT set the flag dp_boot_stop_flag() returns (no
 * SA_RESTART: a blocking read returns at once); SIGPIPE is ignored. */
void dp_boot_signals(void);
volatile sig_atomic_t *dp_boot_stop_flag(void);

#endif
