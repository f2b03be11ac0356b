#include "payload.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "deckpulse/error.h"

static void iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + 19, 13, ".%03dZ", (int)(ms % 1000));
}

static const char *str(json_t *d, const char *k)
{
    const char *v = json_string_value(json_object_get(d, k));
    return v ? v : "";
}

static long long num(json_t *d, const char *k)
{
    return (long long)json_integer_value(json_object_get(d, k));
}

/* "12 s", "4 min", "1 h 05 min" */
static void duration(long long ms, char *out, size_t n)
{
    long long s = (ms + 500) / 1000;
    if (s < 60)
        snprintf(out, n, "%lld s", s);
    else if (s < 3600)
        snprintf(out, n, "%lld min", (s + 30) / 60);
    else
        snprintf(out, n, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
}

/* Slack's mrkdwn: &, < and > are escaped; ids hold none of them */
static void sentence(const dp_alert *a, json_t *d, const char *brief, dp_buf *t)
{
    char who[300];
    if (*a->account)
        snprintf(who, sizeof(who), "%s (%s)", a->prospect, a->account);
    else
        snprintf(who, sizeof(who), "%s", a->prospect);
    const char *m = *str(d, "material_title") ? str(d, "material_title") : str(d, "material");
    if (!strcmp(a->type, "session.started")) {
        dp_buf_printf(t, "%s opened *%s* just now", who, *m ? m : a->presentation);
    } else if (!strcmp(a->type, "session.ended")) {
        char dur[32];
        duration(num(d, "dwell_ms"), dur, sizeof(dur));
        long long seen = num(d, "slides_seen"), total = num(d, "slides"), acts = num(d, "actions");
        dp_buf_printf(t, "%s read *%s* — ", who, *m ? m : a->presentation);
        if (total > 0)
            dp_buf_printf(t, "%lld of %lld slides", seen, total);
        else
            dp_buf_printf(t, "%lld slide%s", seen, seen == 1 ? "" : "s");
        dp_buf_printf(t, ", %s", dur);
        if (acts) dp_buf_printf(t, ", %lld action%s", acts, acts == 1 ? "" : "s");
        if (json_is_true(json_object_get(d, "completed"))) dp_buf_puts(t, ", to the end");
        const char *top =
            *str(d, "top_slide_title") ? str(d, "top_slide_title") : str(d, "top_slide");
        if (*top) {
            dp_buf_printf(t, ", spent most on %s", top);
            if (num(d, "top_version") > 1) dp_buf_printf(t, " v%lld", num(d, "top_version"));
        }
        if (!strcmp(str(d, "mode"), "live")) dp_buf_puts(t, " (on a call)");
    } else if (!strcmp(a->type, "prospect.returned")) {
        dp_buf_printf(t, "%s is back after %lld days", who, num(d, "days_away"));
    } else if (!strcmp(a->type, "presentation.forwarded")) {
        dp_buf_printf(t, "%s's link (%s) was opened by another browser: forwarded", who,
                      a->presentation);
    } else if (!strcmp(a->type, "action")) {
        dp_buf_printf(t, "%s clicked %s on *%s*", who, str(d, "name"), m);
    } else if (!strcmp(a->type, "prospect.temperature")) {
        dp_buf_printf(t, "%s is %s now", who, str(d, "temperature"));
    } else {
        dp_buf_printf(t, "%s: %s", who, a->type);
    }
    dp_buf_printf(t, " — <%s|open the brief>", brief);
}

int dp_payload(const dp_alert *a, const char *id, const char *base, int slack, dp_buf *out)
{
    json_t *d = json_loads(a->data ? a->data : "{}", 0, NULL);
    if (d == NULL || !json_is_object(d)) {
        if (d) json_decref(d);
        return -EINVAL;
    }
    json_t *x = a->extra && *a->extra ? json_loads(a->extra, 0, NULL) : NULL;
    if (x && json_is_object(x)) json_object_update(d, x);
    if (x) json_decref(x);
    char brief[1400];
    snprintf(brief, sizeof(brief), "%s/#/prospect/%s", base, a->prospect);
    json_t *o;
    if (slack) {
        dp_buf t;
        dp_buf_init(&t, 0);
        sentence(a, d, brief, &t);
        dp_buf_append(&t, "", 1);
        o = json_pack("{s:s}", "text", t.data);
        dp_buf_free(&t);
        json_decref(d);
    } else {
        char when[32];
        iso(a->at, when);
        o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o}", "type",
                      a->type, "id", id, "at", (json_int_t)a->at, "timestamp", when, "session",
                      a->session, "presentation", a->presentation, "prospect", a->prospect,
                      "account", *a->account ? a->account : NULL, "campaign",
                      *a->campaign ? a->campaign : NULL, "owner", *a->owner ? a->owner : NULL,
                      "brief", brief, "data", d);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    dp_buf_puts(out, s);
    free(s);
    json_decref(o);
    return 0;
}
