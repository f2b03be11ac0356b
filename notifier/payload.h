/* What a webhook receives for one alert (PRODUCT.md, "Alerts and
 * webhooks"): format "standard", a JSON object with type, id, at, the
 * identities (session, presentation, prospect, account, campaign, owner),
 * a link to the prospect's brief and the alert's data; format "slack", a
 * Slack incoming-webhook body {"text": "..."}, one short sentence. */
#ifndef DP_PAYLOAD_H
#define DP_PAYLOAD_H

#include <stdint.h>

#include "buf.h"

typedef struct dp_alert {
    const char *type, *session, *presentation, *prospect, *account, *campaign, *owner;
    const char *data;  /* JSON object */
    int64_t at;        /* ms */
    const char *extra; /* JSON object merged into data (titles, the slide read most), or NULL */
} dp_alert;

/* The body for one delivery: id is its webhook-id, base the dashboards'
 * URL (the brief's link). 0, or -EINVAL when the alert's data is not JSON. */
int dp_payload(const dp_alert *a, const char *id, const char *base, int slack, dp_buf *out);

#endif
