#include "rollup_alerts.h"

#include <stdio.h>
#include <string.h>

void dp__rollup_alert(batch *b, const sess *s, const char *type, int64_t at, const char *data)
{
    if (s->prospect == NULL || *s->prospect == '\0') return;
    /* "type TAB at TAB session|presentation|prospect|account|campaign|owner
     * TAB data NL": ids hold neither TAB nor '|', data (our JSON) no TAB or NL */
    dp_buf_printf(&b->alerts, "%s\t%lld\t%s|%s|%s|%s|%s|%s\t%s\n", type, (long long)at, s->sid,
                  s->presentation, s->prospect, s->account ? s->account : "",
                  s->campaign ? s->campaign : "", s->owner ? s->owner : "", data);
    b->nalerts++;
}

void dp__rollup_alerts_write(batch *b)
{
    if (b->nalerts == 0) return;
    const char *argv[] = {"XADD",
                          KEY0(b, alerts),
                          "MAXLEN",
                          "~",
                          DP_ALERTS_MAXLEN,
                          "*",
                          "n",
                          dp_arena_i64(&b->a, (int64_t)b->nalerts),
                          "a",
                          dp_arena_strn(&b->a, b->alerts.data, b->alerts.len)};
    write_cmd(b, (int)(sizeof(argv) / sizeof(*argv)), argv);
}

void dp__rollup_alert_ended(batch *b, const sess *s, int64_t at)
{
    if (!s->alerted) return; /* ended without a view: nothing was started */
    char data[DP_ID_MAX + 200];
    snprintf(data, sizeof(data),
             "{\"material\":\"%s\",\"slides_seen\":%lld,\"slides\":%lld,\"dwell_ms\":%lld,"
             "\"completed\":%s,\"actions\":%lld,\"mode\":\"%s\"}",
             s->material ? s->material : "", (long long)s->seen, (long long)s->slides,
             (long long)s->dwell, s->completed ? "true" : "false", (long long)s->nactions,
             s->mode ? s->mode : "");
    dp__rollup_alert(b, s, "session.ended", at, dp_arena_strn(&b->a, data, strlen(data)));
}

void dp__rollup_alert_forwarded(batch *b, const pvd *p)
{
    if (!once(b, CAT(b, "F|", p->pres))) return;
    /* the identities of a session of that presentation in the batch */
    for (size_t i = 0; i < b->nsess; i++) {
        const sess *s = b->sv[i];
        if (s->presentation && !strcmp(s->presentation, p->pres) && s->prospect && *s->prospect) {
            dp__rollup_alert(b, s, "presentation.forwarded", s->lastrecv,
                             CAT(b, "{\"day\":\"", p->day, "\"}"));
            return;
        }
    }
}
