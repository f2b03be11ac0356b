/* deckpulse-server: parse the configuration, start the server, run the loop. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "deckpulse/config.h"
#include "log.h"
#include "server.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

extern char **environ;

static void print_banner(const dp_server *s, const dp_config *cfg)
{
    const char *url = cfg->public_url[0] ? cfg->public_url : s->listen_url;
    printf("deckpulse-server %s is running.\n", DP_VERSION);
    printf("  Listening on:  %s\n", s->listen_url);
    if (s->admin_key[0])
        printf("  Admin API key: %s   (kept in %s/admin.key)\n", s->admin_key, cfg->data_dir);
    printf("  Redis:         %s\n",
           cfg->redis[0] ? cfg->redis : "private redis-server (data under data_dir/redis)");
    printf("\nEmbed the beacon in a presentation:\n"
           "  <script src=\"%s/beacon.js\" async data-endpoint=\"%s\" "
           "data-material=\"YOUR-MATERIAL-ID\"></script>\n",
           url, url);
    printf("\nMint a link token for a prospect:\n"
           "  curl -s -X POST %s/v1/links -H 'Authorization: Bearer %s' \\\n"
           "       -d '{\"presentation\":\"p1\",\"prospect\":\"jane\",\"account\":\"acme\"}'\n\n",
           url, s->admin_key[0] ? s->admin_key : "YOUR-API-KEY");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    dp_log_set_name("deckpulse-server");
    dp_config cfg;
    dp_config_cli cli;
    dp_err err = {""};
    dp_config_init(&cfg);
    int rc = dp_config_load(&cfg, argc, argv, environ, &cli, &err);
    if (rc == 0 && cli.replay_dir) rc = dp_err_set(&err, -EINVAL, "--replay: collector only");
    if (rc == 0) rc = dp_server_check_config(&cfg, &err);
    if (cli.help) {
        dp_config_usage(stdout, "deckpulse-server");
        dp_config_free(&cfg);
        return 0;
    }
    if (cli.version) {
        printf("deckpulse-server %s\n", DP_VERSION);
        dp_config_free(&cfg);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "deckpulse-server: configuration error: %s\n", err.msg);
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

    uv_loop_t *loop = uv_default_loop();
    dp_server s;
    rc = dp_server_start(&s, loop, &cfg, &err);
    if (rc != 0) {
        fprintf(stderr, "deckpulse-server: cannot start: %s\n", err.msg);
        uv_loop_close(loop);
        dp_config_free(&cfg);
        return 1;
    }
    print_banner(&s, &cfg);
    uv_run(loop, UV_RUN_DEFAULT);
    dp_info("stopped");
    dp_server_free(&s);
    uv_loop_close(loop);
    dp_config_free(&cfg);
    return 0;
}
