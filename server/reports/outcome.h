/* Deal outcomes from the CRM (POST /v1/outcomes): JSON
 * {"outcomes": [{"deal", "account", "prospects": [ids], "stage", "amount",
 * "currency", "at", "owner", "campaign"}]} or CSV with the header
 * deal,account,prospects,stage,amount,currency,at,owner,campaign (prospects
 * separated by ';'). deal, stage (open, won, lost) and at (epoch ms) are
 * required; amount is a decimal >= 0. Parsing checks every field of every
 * row first, so a request is stored whole or not at all, and an error names
 * the row and the field ("outcomes[2].stage: …", "line 3: stage: …"). */
#ifndef DP_OUTCOME_H
#define DP_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "deckpulse/error.h"
#include "deckpulse/event.h"

#define DP_OUTCOMES_MAX          10000 /* per request */
#define DP_OUTCOME_PROSPECTS_MAX 100   /* per deal */
#define DP_AMOUNT_MAX            32    /* characters of an amount */

typedef enum dp_stage { DP_STAGE_OPEN, DP_STAGE_WON, DP_STAGE_LOST } dp_stage;
extern const char *const dp_stage_names[3];

typedef struct dp_outcome {
    char deal[DP_ID_MAX + 1];
    char account[DP_ID_MAX + 1]; /* "" if absent */
    char owner[DP_ID_MAX + 1];
    char campaign[DP_ID_MAX + 1];
    char currency[4];               /* ISO 4217, "" if absent */
    char amount[DP_AMOUNT_MAX + 1]; /* a decimal as given, "" if absent */
    dp_stage stage;
    int64_t at;
    size_t nprospects;
    char (*prospects)[DP_ID_MAX + 1];
} dp_outcome;

typedef struct dp_outcomes {
    size_t n, cap;
    dp_outcome *v;
} dp_outcomes;

int dp_outcomes_from_json(dp_outcomes *o, const char *body, size_t len, dp_err *err);
int dp_outcomes_from_csv(dp_outcomes *o, const char *body, size_t len, dp_err *err);
void dp_outcomes_free(dp_outcomes *o);

#endif
