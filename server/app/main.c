/* deckpulse-server: parse the configuration, start the server, run the loop. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "boot.h"
#include "deckpulse/config.h"
#include "log.h"
#include "ops.h"
#include "server.h"

#ifndef DP_VERSION
#define DP_VERSION "0.1.0"
#endif

static void print_banner(const dp_server *s, const dp_config *cfg)
{
    const char *url = cfg->public_url[0] ? cfg->public_url : s->http.url;
    printf("deckpulse-server %s is running.\n", DP_VERSION);
    printf("  Listening on:  %s\n", s->http.url);
    if (s->auth.admin_key[0])
        printf("  Admin API key: %s   (kept in %s/admin.key)\n", s->auth.admin_key, cfg->data_dir);
    printf("  Redis:         %s\n",
           cfg->redis[0] ? cfg->redis : "private redis-server (data under data_dir/redis)");
    if (cfg->start_collector)
        printf("  Collector:     deckpulse-collector, supervised (archive under %s/archive)\n",
               cfg->data_dir);
    if (cfg->start_notifier)
        printf("  Notifier:      deckpulse-notifier, supervised (webhooks: POST /v1/webhooks)\n");
    if (cfg->workers > 1)
        printf("  Workers:       %lld processes on this port (SO_REUSEPORT), supervised\n",
               (long long)cfg->workers);
    printf("\nEmbed the beacon in a presentation:\n"
           "  <script src=\"%s/beacon.%s.js\" async data-endpoint=\"%s\" "
           "data-material=\"YOUR-MATERIAL-ID\"></script>\n",
           url, dp_beacon_version(), url);
    printf("\nMint a link token for a prospect:\n"
           "  curl -s -X POST %s/v1/links -H 'Authorization: Bearer %s' \\\n"
           "       -d '{\"presentation\":\"p1\",\"prospect\":\"jane\",\"account\":\"acme\"}'\n\n",
           url, s->auth.admin_key[0] ? s->auth.admin_key : "YOUR-API-KEY");
    fflush(stdout);
}

static int check(const dp_config *cfg, const dp_config_cli *cli, dp_err *err)
{
    if (cli->replay_dir) return dp_err_set(err, -EINVAL, "--replay: collector only");
    return dp_server_check_config(cfg, err);
}

int main(int argc, char **argv)
{
    dp_config cfg;
    dp_config_cli cli;
    dp_err err = {""};
    int rc = dp_boot("deckpulse-server", "deckpulse-server", argc, argv, &cfg, &cli, check);
    if (rc >= 0) return rc;

    uv_loop_t *loop = uv_default_loop();
    dp_server s;
    dp_server_set_argv(argc, argv);
    rc = dp_server_start(&s, loop, &cfg, &err);
    if (rc != 0) {
        fprintf(stderr, "deckpulse-server: cannot start: %s\n", err.msg);
        uv_loop_close(loop);
        dp_config_free(&cfg);
        return 1;
    }
    if (cfg.worker == 0) print_banner(&s, &cfg); /* the workers: the first one's says it */
    uv_run(loop, UV_RUN_DEFAULT);
    dp_info("stopped");
    dp_server_free(&s);
    uv_loop_close(loop);
    dp_config_free(&cfg);
    return 0;
}
