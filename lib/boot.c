#include "boot.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

extern char **environ;

int dp_boot(const char *prog, const char *usage, int argc, char **argv, dp_config *cfg,
            dp_config_cli *cli, dp_boot_check check)
{
    dp_log_set_name(prog);
    dp_err err = {""};
    dp_config_init(cfg);
    int rc = dp_config_load(cfg, argc, argv, environ, cli, &err);
    if (rc == 0 && check) rc = check(cfg, cli, &err);
    int code = -1;
    if (cli->help) {
        dp_config_usage(stdout, usage);
        code = 0;
    } else if (cli->version) {
        printf("%s %s\n", prog, DP_VERSION);
        code = 0;
    } else if (rc != 0) {
        fprintf(stderr, "%s: configuration error: %s\n", prog, err.msg);
        code = 2;
    } else if (cli->check_config) {
        printf("configuration OK\n");
        code = 0;
    }
    if (code >= 0) {
        dp_config_free(cfg);
        return code;
    }
    static const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(cfg->log_level, levels[i])) dp_log_set_level(i);
    return -1;
}

static volatile sig_atomic_t boot_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    boot_stop = 1;
}

void dp_boot_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

volatile sig_atomic_t *dp_boot_stop_flag(void)
{
    return &boot_stop;
}
