/* Configuration: defaults, sources and their precedence, and the error
 * naming the key for every kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deckpulse/config.h"

static char tmpfile_path[64];

static const char *write_file(const char *text)
{
    strcpy(tmpfile_path, "/tmp/dp-config-XXXXXX");
    int fd = mkstemp(tmpfile_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmpfile_path;
}

static int load(dp_config *c, char **argv, char **envp, dp_err *err)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    dp_config_cli cli;
    dp_config_init(c);
    return dp_config_load(c, argc, argv, envp, &cli, err);
}

static void test_defaults(void **state)
{
    (void)state;
    dp_config c;
    dp_err err;
    char *argv[] = {"x", NULL};
    assert_int_equal(load(&c, argv, NULL, &err), 0);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.redis, "");
    assert_string_equal(c.data_dir, "./data");
    assert_string_equal(c.allowed_origins, "*");
    assert_int_equal(c.allow_anonymous, 0);
    assert_int_equal(c.max_events, 500);
    /* Every default lies within its own bounds. */
    for (const dp_config_setting *s = dp_config_settings; s->name; s++) {
        dp_err e;
        if (dp_config_set(&c, s->name, s->def, "default", &e) != 0) fail_msg("%s", e.msg);
    }
    dp_config_free(&c);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *path = write_file("# comment\n\nlisten = 127.0.0.1:1\nmax_events = 7\n"
                                  "allowed_origins = \"https://a.example\"\n");
    char *argv[] = {"x", "--config", (char *)path, "--listen", "127.0.0.1:3", NULL};
    char *envp[] = {"DECKPULSE_LISTEN=127.0.0.1:2", "DECKPULSE_MAX_EVENTS=8", "OTHER=1", NULL};
    dp_config c;
    dp_err err;
    assert_int_equal(load(&c, argv, envp, &err), 0);
    assert_string_equal(c.listen, "127.0.0.1:3"); /* flag beats env beats file */
    assert_int_equal(c.max_events, 8);            /* env beats file */
    assert_string_equal(c.allowed_origins, "https://a.example");
    dp_config_free(&c);
    char *argv2[] = {"x", "--max-events=9", "--allow_anonymous", "true", NULL};
    assert_int_equal(load(&c, argv2, NULL, &err), 0);
    assert_int_equal(c.max_events, 9);
    assert_int_equal(c.allow_anonymous, 1);
    dp_config_free(&c);
    unlink(path);
}

static void expect_error(char **argv, char **envp, const char *msg)
{
    dp_config c;
    dp_err err = {""};
    int rc = load(&c, argv, envp, &err);
    if (rc == 0 || strcmp(err.msg, msg) != 0) fail_msg("got %d '%s', want '%s'", rc, err.msg, msg);
    dp_config_free(&c);
}

static void test_errors(void **state)
{
    (void)state;
    const char *path = write_file("listen = 127.0.0.1:1\nmax_evnts = 7\n");
    char msg[256];
    snprintf(msg, sizeof(msg), "unknown key 'max_evnts' (%s:2)", path);
    char *a1[] = {"x", "--config", (char *)path, NULL};
    expect_error(a1, NULL, msg);
    unlink(path);

    path = write_file("max_events = lots\n");
    snprintf(msg, sizeof(msg),
             "max_events: must be an integer between 1 and 100000, got 'lots' (%s:1)", path);
    char *a2[] = {"x", "--config", (char *)path, NULL};
    expect_error(a2, NULL, msg);
    unlink(path);

    path = write_file("just words\n");
    snprintf(msg, sizeof(msg), "%s:1: expected 'name = value'", path);
    char *a3[] = {"x", "--config", (char *)path, NULL};
    expect_error(a3, NULL, msg);
    unlink(path);

    char *a4[] = {"x", "--max_body_bytes", "10", NULL};
    expect_error(a4, NULL,
                 "max_body_bytes: must be an integer between 1024 and 67108864, got '10' "
                 "(flag --max_body_bytes)");
    char *a5[] = {"x", "--nope", "1", NULL};
    expect_error(a5, NULL, "unknown flag '--nope'");
    char *a6[] = {"x", NULL};
    char *e6[] = {"DECKPULSE_ALLOW_ANONYMOUS=maybe", NULL};
    expect_error(a6, e6,
                 "allow_anonymous: must be true or false, got 'maybe' (environment "
                 "DECKPULSE_ALLOW_ANONYMOUS)");
    char *e7[] = {"DECKPULSE_LISTN=1", NULL};
    expect_error(a6, e7, "unknown key 'listn' (environment DECKPULSE_LISTN)");
    char *a8[] = {"x", "--redis", "http://x", NULL};
    expect_error(a8, NULL, "redis: must be redis://host:port or unix:/path, got 'http://x'");
    char *a9[] = {"x", "--secret", "short", NULL};
    expect_error(a9, NULL, "secret: must be at least 32 characters");
    char *a10[] = {"x", "--config", "/nonexistent/deckpulse.conf", NULL};
    expect_error(a10, NULL, "config file /nonexistent/deckpulse.conf: No such file or directory");
    char *a11[] = {"x", "--listen", NULL};
    expect_error(a11, NULL, "flag --listen: needs a value");
}

static void test_sample_file_is_complete(void **state)
{
    (void)state;
    /* The shipped sample parses, and it documents every setting. */
    char path[512];
    snprintf(path, sizeof(path), "%s/deckpulse.conf.sample", DP_SOURCE_DIR);
    char *argv[] = {"x", "--config", path, NULL};
    dp_config c;
    dp_err err = {""};
    if (load(&c, argv, NULL, &err) != 0) fail_msg("%s", err.msg);
    dp_config_free(&c);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    for (const dp_config_setting *s = dp_config_settings; s->name; s++) {
        char needle[80];
        snprintf(needle, sizeof(needle), "\n# %s =", s->name);
        char needle2[80];
        snprintf(needle2, sizeof(needle2), "\n%s =", s->name);
        if (!strstr(text, needle) && !strstr(text, needle2))
            fail_msg("deckpulse.conf.sample does not mention %s", s->name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_sample_file_is_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
