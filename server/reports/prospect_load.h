/* Loading prospects for the sales reports (hot list, brief, account): their
 * identity (account, campaign, owner, first and last seen), their counters
 * summed over the report's days and modes, their presentations' forwarding,
 * and the engagement score (score.h). Runs as rounds of a report query. */
#ifndef DP_PROSPECT_LOAD_H
#define DP_PROSPECT_LOAD_H

#include <stdint.h>

#include "deckpulse/event.h"
#include "rquery.h"
#include "score.h"
#include "stats.h"
#include "strmap.h"

#define DP_PLOAD_MAX          50000 /* prospects one set-based list reads (an account's) */
#define DP_PROSPECT_ITEMS_MAX 4096  /* materials, slides, presentations per prospect */

typedef struct dp_pmat {
    char id[DP_ID_MAX + 1];
    int64_t dwell, completed, slides_seen;
} dp_pmat;

typedef struct dp_pslide {
    char key[3 * DP_ID_MAX + 24]; /* material|slide|version */
    int64_t views, dwell;
} dp_pslide;

typedef struct dp_prospect {
    char id[DP_ID_MAX + 1];
    char account[DP_ID_MAX + 1], campaign[DP_ID_MAX + 1], owner[DP_ID_MAX + 1];
    int64_t first_seen, last_seen;
    int found;          /* has a prospect hash */
    unsigned char *has; /* days with counters in the range */
    int active;         /* counters in the range, of the mode(s) asked for */
    int counted;        /* a counter hash of the mode(s) answered */
    int64_t sessions, views, dwell;
    int64_t capped_sessions, capped_actions; /* each day's up to the score's caps */
    dp_actions actions;
    dp_pmat *mats;
    size_t nmats, mats_cap;
    dp_pslide *slides; /* only with detail */
    size_t nslides, slides_cap;
    dp_strmap slide_index;
    char (*pres)[DP_ID_MAX + 1];
    size_t npres, pres_cap;
    int64_t forwarded;
    int cut; /* a list above reached DP_PROSPECT_ITEMS_MAX: not all of it is here */
    dp_score_input in;
    dp_score score;
} dp_prospect;

typedef struct dp_pload {
    dp_prospect *v;
    size_t n, cap;
    dp_strmap index;
    int detail; /* keep per-slide counters (the brief) */
    size_t max; /* prospects read at most */
    int truncated;
    /* one per (prospect, day with counters): what the day adds, for the
     * score's per-day caps (24 bytes each, not a range-long array each) */
    struct dp_pday {
        size_t prospect;
        int64_t sessions, actions;
    } * days;
    size_t ndays_used;
    /* in a cluster, one per (prospect, presentation): the shards' HGETs of
     * forwarded, counted once (prospect_load.c) */
    struct dp_pfwd {
        dp_prospect *p;
        int counted;
    } * *fwd;
    size_t nfwd;
    dp_rq_step_fn done;
} dp_pload;

/* At most max prospects (report_prospects_max) are read. */
void dp_pload_init(dp_pload *l, int detail, size_t max);
void dp_pload_free(dp_pload *l);
/* Adds a prospect id (ignored past its max, or if invalid). */
void dp_pload_add(dp_pload *l, const char *id, size_t len);
/* Reads every prospect added (q->aux = l while it runs), scores them, then
 * runs done. */
void dp_pload_run(dp_rq *q, dp_pload *l, dp_rq_step_fn done);
/* Epoch ms of a day's start. */
static inline int64_t dp_day_ms(int64_t day)
{
    return day * 86400000;
}

#endif
