/* Alerts (issue 21): what the rollup of a batch emits for the notifier, in
 * the batch's own MULTI block — so an event is alerted exactly when it is
 * counted, and a replayed or duplicated batch alerts nothing twice. Only
 * sessions with a link token (a prospect) alert. A batch's alerts are one
 * entry of the shard's alerts stream (keys.h): one XADD a batch, not one an
 * alert (54 000 XADDs for 200 000 events of the rollup bench before). */
#ifndef DP_ROLLUP_ALERTS_H
#define DP_ROLLUP_ALERTS_H

#include "rollup_batch.h"

/* session.started (its first view), action, prospect.returned */
void dp__rollup_alert(batch *b, const sess *s, const char *type, int64_t at, const char *data);
/* The batch's alerts as one stream entry, in its MULTI block (if any). */
void dp__rollup_alerts_write(batch *b);
/* session.ended: what the session did */
void dp__rollup_alert_ended(batch *b, const sess *s, int64_t at);
/* presentation.forwarded: a second browser on a link, once per presentation */
void dp__rollup_alert_forwarded(batch *b, const pvd *p);

#endif
