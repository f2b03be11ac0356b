/* Campaigns and owners (salespeople), measured through sales
 * (docs/attribution.md): what their links sent, who opened, who is engaged
 * now, their sessions, and the deals that came through them with what won.
 * One loader for both kinds (a campaign and an owner are each "a group of
 * links"), run as rounds of a report query:
 *
 *   - the groups: every campaign (owner) a link or a deal named, at most
 *     DP_GROUPS_MAX (past it the answer says so), or the one asked for;
 *   - their link records (dp:{d}:ln/lp/la/lpr, keys.h): links minted in the
 *     range, the prospects those links were sent to, every prospect and
 *     account ever sent one; and their session counters (od:/cd:) of the
 *     range's days and modes;
 *   - the deals of the range and what influenced them (attrib.h);
 *   - the prospects of the range's links, scored (prospect_load.h).
 *
 * A deal belongs to a group when its outcome names it, when one of its
 * prospects was ever sent a link of the group (or was counted through one by
 * the collectors), or, naming no prospect, when its account was. */
#ifndef DP_GROUPS_H
#define DP_GROUPS_H

#include <stdint.h>

#include "arena.h"
#include "attrib.h"
#include "prospect_load.h"
#include "rquery.h"
#include "strmap.h"

#define DP_GROUPS_MAX          10000  /* campaigns or owners one list reads */
#define DP_GROUP_PROSPECTS     100000 /* link records read per group */
#define DP_GROUP_PRESENTATIONS 10000  /* decks one owner report reads */

typedef struct dp_mstat {
    const char *material;
    int64_t sessions, deals, won;
} dp_mstat;

typedef struct dp_cut {
    const char *material, *slide;
    int64_t times;
} dp_cut;

typedef struct dp_group {
    const char *id;
    int64_t links;
    const char **prospects; /* of the links minted in the range */
    size_t nprospects;
    int64_t opened, engaged, hot;
    int64_t sessions[2], completed; /* [0] self, [1] live */
    int64_t deals, won, lost;
    dp_money won_amount;
    int64_t *win_days; /* per won deal with a session before: whole days */
    size_t nwin;
    dp_strmap mix; /* material -> mstats index + 1 (detail) */
    dp_mstat *mstats;
    size_t nm;
    const char **pres; /* presentations of its links in the range (owner detail) */
    size_t npres;
    int cut_prospects;  /* its link records were more than DP_GROUP_PROSPECTS */
    unsigned char *has; /* days of the range with session counters (while loading) */
} dp_group;

typedef struct dp_groups {
    dp_arena a;
    char kind; /* 'c' campaign, 'o' owner */
    int detail;
    dp_group *v;
    size_t n, cap;
    dp_strmap ix;       /* id -> index + 1 */
    int truncated;      /* more groups than DP_GROUPS_MAX */
    int known;          /* detail: a link, a deal or a session named it */
    dp_strmap pmembers; /* prospect -> multimap list + 1 */
    dp_strmap amembers; /* account -> list + 1 */
    struct dp_glist {
        uint32_t *v;
        size_t n, cap;
    } * lists;
    size_t nlists;
    dp_attrib deals;
    dp_pload people;
    dp_cut *cuts; /* detail of an owner */
    size_t ncuts;
    dp_strmap cut_ix;
    size_t decks; /* presentations with a deck read */
    size_t asked; /* decks asked for */
    /* distinct decks (their canonical JSON, route_links.c) and how many
     * presentations have each: an owner's decks repeat, and each distinct
     * one is compared with the catalog once */
    struct dp_deck {
        const char *json;
        int64_t count;
    } * deckv;
    size_t ndeckv;
    dp_strmap deck_ix;
    void *catalog; /* material -> catalog slides (a json_t object) while loading */
    const char **cat_mats;
    size_t ncat_mats;
    dp_rq_step_fn done;
} dp_groups;

void dp_groups_init(dp_groups *g, char kind, int detail, size_t max_prospects);
void dp_groups_free(dp_groups *g);
/* One group only (the detail of /v1/campaigns/{id}); before run. */
void dp_groups_only(dp_groups *g, const char *id, size_t len);
/* Reads and computes everything (q->aux = g while it runs), then done. */
void dp_groups_run(dp_rq *q, dp_groups *g, dp_rq_step_fn done);
/* The middle of the group's days to win (the lower one of an even count), -1 none. */
int64_t dp_group_days_to_win(const dp_group *x);

#endif
