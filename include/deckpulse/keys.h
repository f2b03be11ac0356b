/* deckpulse — the Redis key layout, shared by the server (which writes the
 * event streams), the collector (which rolls them up) and the report API
 * (which reads the aggregates). The rules it follows: docs/keys.md.
 *
 * Sharding and Redis Cluster. Every key carries a hash tag {N}, the shard:
 * N = fnv1a(session) % shards (setting `shards`, default 1). A session's
 * events all go to one shard's stream, and the collector applies a batch of
 * one shard's stream to that shard's keys only, in one MULTI/EXEC (its reads
 * under WATCH), so a batch is atomic on a single Redis and on a Redis Cluster
 * alike (all keys of a shard share one slot). Aggregates of one material or prospect are split
 * across shards; readers sum them over N = 0..shards-1.
 *
 * Per shard, with T = "dp:{N}:":
 *
 *   T events                          STREAM   one entry per event (event.h)
 *   T dead                            STREAM   dead letters: the entry's fields + reason
 *   T alerts                          STREAM   alerts for the notifier, written in the rollup's
 *                                              transaction (exactly once), one entry a batch:
 *                                              n (count), a (lines "type TAB at TAB
 *                                              session|presentation|prospect|account|campaign|
 *                                              owner TAB data-JSON"); capped at DP_ALERTS_MAXLEN (~)
 *   consumer group "rollup" on T events
 *   T lease                           STRING   the collector consuming the shard now (its
 *                                              name); expires DP_LEASE_MS unless renewed
 *
 *   T seen:<session>                  SET      seqs applied (exactly once); expires dedup_ttl_s
 *   T sess:<session>                  HASH     session: presentation prospect account mode
 *                                              slides (count) seen (slides seen) maxidx (highest
 *                                              index) completed lastseq last (last slide) ended
 *                                              exit lastrecv (last event time); expires dedup_ttl_s;
 *                                              f = "2", and what the collector remembers of it:
 *                                              "m:<material>" -> day of its first view of it,
 *                                              "m:x|<material>" -> deepest index viewed in it,
 *                                              "v:<material>|<slide>|<version>|" -> day of its
 *                                              first view of that slide version,
 *                                              "p:<index>" -> 1 for each position viewed
 *     (sessions without f keep those in sseen:/smat:/ssv:<session>, as collectors before
 *     wrote them; the next batch of the session moves them into the hash)
 *   T open                            ZSET     sessions not yet ended, by last receive time
 *   T openl                           ZSET     those of them with a link token (a prospect):
 *                                              the live panel shows them first
 *
 *   T slides:<material>:<day>:<mode>  HASH     per slide version, field "<slide>|<version>|<stat>":
 *                                              views, sessions, dwell_sum, dwell_n, h<bucket>,
 *                                              exits, a:<action name>
 *   T sv:<material>:<slide*>:<version>:<day>:<mode>  HLL  viewers of one slide version
 *     (* the second id of a key is written with ':' as '|': dp__key_put_id)
 *   T mat:<material>:<day>:<mode>     HASH     sessions, completed, views, dwell_sum, dwell_n,
 *                                              h<bucket>, x<k> (sessions whose deepest position
 *                                              in the material is k: the funnel)
 *   T mv:<material>:<day>:<mode>      HLL      viewers of the material
 *   T materials                       SET      material ids
 *   T days:<material>                 SET      days (YYYY-MM-DD) with data
 *
 *   T prospect:<id>                   HASH     first_seen last_seen account campaign owner
 *                                              (of the latest link); a:<account> o:<owner>
 *                                              c:<campaign> of every link; pm = 1 once its
 *                                              materials are in pmats:
 *   T pd:<id>:<day>:<mode>            HASH     the prospect's counters that day: sessions dwell
 *                                              views m:<material>:dwell m:<material>:completed
 *                                              s:<material>|<slide>|<version>:dwell  ...:views
 *                                              a:<action name>
 *   T pdays:<id>                      SET      days with counters
 *   T ppres:<id>                      SET      the prospect's presentations
 *   T psess:<id>                      SET      the prospect's sessions (for erasure; expires
 *                                              dedup_ttl_s after its newest, like their state)
 *   T pseen:<prospect>:<material*>    SET      slide ids the prospect viewed
 *   T pmats:<prospect>                SET      materials the prospect viewed (erasure)
 *   T pfv:<prospect>                  ZSET     the prospect's earliest view (event `at`) of
 *                                              each material, "<mode>|<material>", and slide
 *                                              version, "<mode>|<material>|<slide>|<version>"
 *                                              (ZADD LT: any arrival order gives the same)
 *   T afv:<account>                   ZSET     the same over the account's prospects
 *   T od:<owner>:<day>:<mode>         HASH     sessions of links naming that owner (on their
 *                                              first event's day), completed (on the completing
 *                                              event's day), m:<material>:sessions
 *   T cd:<campaign>:<day>:<mode>      HASH     the same per campaign
 *   T odays:<owner>, cdays:<campaign> SET      days with an od:/cd: key
 *   T owners, campaigns               SET      owners and campaigns with od:/cd: keys
 *   T ptl:<prospect>                  ZSET     last DP_TIMELINE_MAX (200) events by client time
 *                                              ("at", then member), member
 *                                              "at|session|seq|type|material|slide|version|value"
 *   T prospects                       ZSET     prospect ids by last_seen
 *   T account:<id>                    HASH     first_seen last_seen (counters: its prospects')
 *   T aprospects:<id>                 SET      the account's prospects
 *   T oprospects:<owner>              SET      prospects whose links named that owner
 *   T cprospects:<campaign>           SET      prospects whose links named that campaign
 *   T pres:<id>                       HASH     sessions completed forwarded(0/1)
 *   T pv:<id>                         HLL      distinct viewers (browsers) of the presentation
 *   T pvd:<id>:<day>                  HLL      the same per day, per shard
 *   T pvf:<id>:<day>                  STRING   the first browser of the day on the shard
 *                                              (expires with the salt); forwarded = a day
 *                                              with another browser than any shard's first
 *   T presd:<id>:<day>:<mode>         HASH     sessions (on their first event's day), completed
 *                                              (on the completing event's day)
 *   T pvdays:<id>                     SET      days with a pvd: key (for retention)
 *   T presentations                   SET      presentation ids
 *   T ptri:<id>                       SET      "<material>|<slide>|<version>" the presentation's
 *                                              events named on this shard, at most
 *                                              max_slides_per_presentation over all shards
 *   T pact:<id>                       SET      action names, likewise (max_actions_per_presentation)
 *   T gen                             HASH     "*" and <material>: bumped by every batch that
 *                                              changed them (report caches check it)
 *   dp:{0}:collectors                 HASH     "<consumer>|<counter>": batches events applied
 *                                              duplicates dead ended errors events_per_s updated
 *   dp:{0}:erasures                   HASH     prospect -> when it was erased (every collector
 *                                              removes its rows from the archive)
 *
 * Deal outcomes (server/reports/route_outcomes.c), one hash tag for all,
 * dp:{d}: deal:<deal> HASH (current stage), dealh:<deal> ZSET (history),
 * dealv:<deal> HASH, deals ZSET, pdeals:/adeals:/odeals:/cdeals:<id> SETs,
 * gen STRING (bumped by every change: report caches check it).
 * And the links minted (server/auth/route_links.c), per kind k = c
 * (campaign) or o (owner) and id:
 *   dp:{d}:ln:<k>:<id>    HASH  day -> links minted that day
 *   dp:{d}:lp:<k>:<id>    ZSET  "<day>|<prospect>" by epoch day: prospects sent a link
 *   dp:{d}:la:<k>:<id>    SET   accounts of those links
 *   dp:{d}:lpr:<k>:<id>   ZSET  presentations, by the ms of their latest link
 *   dp:{d}:campaigns, dp:{d}:owners  SET  every campaign / owner named by a link or deal
 *   dp:{d}:plk:<prospect>  SET   "<k>|<day>|<id>": the prospect's lp: entries (erasure)
 *
 * The catalog (server/reports/catalog.h), one hash tag for all: dp:{c}:material:<id>
 * HASH title, slides (JSON array in deck order); dp:{c}:catalog SET of ids;
 * dp:{c}:gen STRING bumped by every catalog change.
 *
 * The anonymous viewers' salt of a day (server/ingest/ingest.c): dp:salt:<YYYY-MM-DD>
 * STRING, 64 hex digits, set once (SET NX) by whichever server needs it first
 * and destroyed DP_SALT_TTL_S (two days) after.
 *
 * Days are UTC dates of the server receive time; mode is self or live. */
#ifndef DECKPULSE_KEYS_H
#define DECKPULSE_KEYS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DP_GROUP         "rollup"
#define DP_SHARDS_MAX    256
#define DP_TIMELINE_MAX  200      /* events kept in a prospect's timeline (ptl:) */
#define DP_ALERTS_MAXLEN "100000" /* alerts kept per shard for the notifier */

/* Dwell histogram: bucket i holds dwell_ms <= dp_dwell_bounds[i]; the last
 * bucket holds the rest. Fine enough for median and p90 within a bucket. */
#define DP_DWELL_BUCKETS 33
static const int64_t dp_dwell_bounds[DP_DWELL_BUCKETS - 1] = {
    250,    500,    1000,   1500,   2000,   3000,   4000,   5000,    6000,    8000,   10000,
    12000,  15000,  20000,  25000,  30000,  40000,  50000,  60000,   75000,   90000,  120000,
    150000, 180000, 240000, 300000, 420000, 600000, 900000, 1200000, 1800000, 3600000};

static inline int dp_dwell_bucket(int64_t ms)
{
    int i = 0;
    while (i < DP_DWELL_BUCKETS - 1 && ms > dp_dwell_bounds[i])
        i++;
    return i;
}

/* FNV-1a of the session id: its shard. */
static inline unsigned dp_shard_of(const char *session, size_t len, unsigned shards)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)session[i];
        h *= 16777619u;
    }
    return shards > 1 ? h % shards : 0;
}

/* The daily salt is destroyed after two days: seconds, as Redis's EX wants them. */
#define DP_SALT_TTL_S "172800"

/* "dp:salt:<day>" into out. */
static inline void dp_key_salt(char *out, size_t n, const char *day)
{
    snprintf(out, n, "dp:salt:%s", day);
}

/* The keys of a shard, one builder per kind, each the only place its layout
 * is written (the table above says what each holds; collector/rollup.lua,
 * in Lua, follows it for the sweep and the retention). Each writes
 * "dp:{shard}:<kind>[:<part>]..." into out (n bytes) and returns its length,
 * or -E2BIG if it did not fit (ids are at most DP_ID_MAX bytes: 256 bytes
 * hold any key). */
static inline int dp__key_put(char *out, size_t n, size_t *len, const char *s, size_t l)
{
    if (*len + l >= n) return -E2BIG;
    memcpy(out + *len, s, l);
    *len += l;
    return 0;
}

/* Ids may hold ':', the separator: a key with two ids (pseen:, sv:) would
 * be ambiguous (prospect "acme" viewing "jane:q3" and "acme:jane" viewing
 * "q3" wrote one key, and erasing "acme" deleted the other's set). The
 * second id of such a key is written with each ':' as '|' (not an id
 * character): then the first id is what precedes the ':' before it, and
 * every key names one tuple. Keys of ids without ':' are unchanged. */
static inline int dp__key_put_id(char *out, size_t n, size_t *len, const char *s, size_t l)
{
    if (*len + l >= n) return -E2BIG;
    for (size_t i = 0; i < l; i++)
        out[*len + i] = s[i] == ':' ? '|' : s[i];
    *len += l;
    return 0;
}

static inline int dp__key_enc(char *out, size_t n, unsigned shard, const char *kind, const char *a,
                              const char *b, const char *c, const char *d, const char *e,
                              unsigned encoded)
{
    /* no printf: the collector builds a dozen keys per event */
    char num[12];
    size_t nl = sizeof(num), len = 0;
    do
        num[--nl] = (char)('0' + shard % 10);
    while ((shard /= 10) != 0);
    const char *parts[5] = {a, b, c, d, e};
    if (dp__key_put(out, n, &len, "dp:{", 4) ||
        dp__key_put(out, n, &len, num + nl, sizeof(num) - nl) ||
        dp__key_put(out, n, &len, "}:", 2) || dp__key_put(out, n, &len, kind, strlen(kind)))
        return -E2BIG;
    for (int i = 0; i < 5 && parts[i]; i++)
        if (dp__key_put(out, n, &len, ":", 1) ||
            ((encoded >> i) & 1u ? dp__key_put_id(out, n, &len, parts[i], strlen(parts[i]))
                                 : dp__key_put(out, n, &len, parts[i], strlen(parts[i]))))
            return -E2BIG;
    out[len] = '\0';
    return (int)len;
}

static inline int dp__key(char *out, size_t n, unsigned shard, const char *kind, const char *a,
                          const char *b, const char *c, const char *d, const char *e)
{
    return dp__key_enc(out, n, shard, kind, a, b, c, d, e, 0);
}

#define DP__KEY0(name, kind)                                                                       \
    static inline int dp_key_##name(char *out, size_t n, unsigned shard)                           \
    {                                                                                              \
        return dp__key(out, n, shard, kind, NULL, NULL, NULL, NULL, NULL);                         \
    }
#define DP__KEY1(name, kind, a)                                                                    \
    static inline int dp_key_##name(char *out, size_t n, unsigned shard, const char *a)            \
    {                                                                                              \
        return dp__key(out, n, shard, kind, a, NULL, NULL, NULL, NULL);                            \
    }
#define DP__KEY2(name, kind, a, b)                                                                 \
    static inline int dp_key_##name(char *out, size_t n, unsigned shard, const char *a,            \
                                    const char *b)                                                 \
    {                                                                                              \
        return dp__key(out, n, shard, kind, a, b, NULL, NULL, NULL);                               \
    }
#define DP__KEY3(name, kind, a, b, c)                                                              \
    static inline int dp_key_##name(char *out, size_t n, unsigned shard, const char *a,            \
                                    const char *b, const char *c)                                  \
    {                                                                                              \
        return dp__key(out, n, shard, kind, a, b, c, NULL, NULL);                                  \
    }
#define DP__KEY5(name, kind, a, b, c, d, e)                                                        \
    static inline int dp_key_##name(char *out, size_t n, unsigned shard, const char *a,            \
                                    const char *b, const char *c, const char *d, const char *e)    \
    {                                                                                              \
        return dp__key(out, n, shard, kind, a, b, c, d, e);                                        \
    }

DP__KEY0(stream, "events")
DP__KEY0(dead, "dead")
DP__KEY0(alerts, "alerts")
DP__KEY0(lease, "lease")
DP__KEY1(seen, "seen", session)
DP__KEY1(sess, "sess", session)
DP__KEY1(sseen, "sseen", session) /* earlier collectors' session sets */
DP__KEY1(smat, "smat", session)
DP__KEY1(ssv, "ssv", session)
DP__KEY0(open, "open")
DP__KEY0(openl, "openl")
DP__KEY3(slides, "slides", material, day, mode)
/* sv:<material>:<slide, ':' as '|'>:<version>:<day>:<mode> */
static inline int dp_key_sv(char *out, size_t n, unsigned shard, const char *material,
                            const char *slide, const char *version, const char *day,
                            const char *mode)
{
    return dp__key_enc(out, n, shard, "sv", material, slide, version, day, mode, 1u << 1);
}
DP__KEY3(mat, "mat", material, day, mode)
DP__KEY3(mv, "mv", material, day, mode)
DP__KEY0(materials, "materials")
DP__KEY1(days, "days", material)
DP__KEY1(prospect, "prospect", id)
DP__KEY3(pd, "pd", prospect, day, mode)
DP__KEY1(pdays, "pdays", prospect)
DP__KEY1(ppres, "ppres", prospect)
DP__KEY1(pmats, "pmats", prospect)
DP__KEY1(psess, "psess", prospect)
/* pseen:<prospect>:<material, ':' as '|'> */
static inline int dp_key_pseen(char *out, size_t n, unsigned shard, const char *prospect,
                               const char *material)
{
    return dp__key_enc(out, n, shard, "pseen", prospect, material, NULL, NULL, NULL, 1u << 1);
}
DP__KEY1(ptl, "ptl", prospect)
DP__KEY1(pfv, "pfv", prospect)
DP__KEY1(afv, "afv", account)
DP__KEY3(od, "od", owner, day, mode)
DP__KEY3(cd, "cd", campaign, day, mode)
DP__KEY1(odays, "odays", owner)
DP__KEY1(cdays, "cdays", campaign)
DP__KEY0(owners, "owners")
DP__KEY0(campaigns, "campaigns")
DP__KEY0(prospects, "prospects")
DP__KEY1(account, "account", id)
DP__KEY1(aprospects, "aprospects", account)
DP__KEY1(oprospects, "oprospects", owner)
DP__KEY1(cprospects, "cprospects", campaign)
DP__KEY1(pres, "pres", presentation)
DP__KEY1(pv, "pv", presentation)
DP__KEY2(pvd, "pvd", presentation, day)
DP__KEY2(pvf, "pvf", presentation, day)
DP__KEY3(presd, "presd", presentation, day, mode)
DP__KEY1(pvdays, "pvdays", presentation)
DP__KEY1(ptri, "ptri", presentation)
DP__KEY1(pact, "pact", presentation)
DP__KEY0(presentations, "presentations")
DP__KEY0(gen, "gen")

/* "dp:{N}:", the prefix of every key of a shard, for the Lua scripts that
 * build keys from it (collector/rollup.lua, the erasure). */
static inline int dp_key_prefix(char *out, size_t n, unsigned shard)
{
    int len = snprintf(out, n, "dp:{%u}:", shard);
    return len < 0 || (size_t)len >= n ? -E2BIG : len;
}

/* "dp:{0}:collectors": the collectors' counters, on shard 0 whatever the shards. */
static inline int dp_key_collectors(char *out, size_t n)
{
    return dp__key(out, n, 0, "collectors", NULL, NULL, NULL, NULL, NULL);
}

/* "dp:{0}:erasures": the prospects erased, for every collector's archive. */
static inline int dp_key_erasures(char *out, size_t n)
{
    return dp__key(out, n, 0, "erasures", NULL, NULL, NULL, NULL, NULL);
}

/* The catalog, under one hash tag {c}: dp:{c}:material:<id>, dp:{c}:catalog,
 * dp:{c}:gen. */
static inline int dp_key_catalog_material(char *out, size_t n, const char *id)
{
    int len = snprintf(out, n, "dp:{c}:material:%s", id);
    return len < 0 || (size_t)len >= n ? -E2BIG : len;
}
/* "dp:{c}:deck:<presentation>": the slides a link said its deck holds
 * (JSON array of {material, slide, version}, in order; POST /v1/links). */
static inline int dp_key_deck(char *out, size_t n, const char *presentation)
{
    int len = snprintf(out, n, "dp:{c}:deck:%s", presentation);
    return len < 0 || (size_t)len >= n ? -E2BIG : len;
}

/* "dp:{d}:<kind>:<k>:<id>", a link record of a campaign (k = 'c') or an
 * owner (k = 'o'): kind ln, lp, la or lpr (above). */
static inline int dp_key_linkrec(char *out, size_t n, const char *kind, char k, const char *id)
{
    int len = snprintf(out, n, "dp:{d}:%s:%c:%s", kind, k, id);
    return len < 0 || (size_t)len >= n ? -E2BIG : len;
}
/* "dp:{d}:deal:<id>" */
static inline int dp_key_deal(char *out, size_t n, const char *id)
{
    int len = snprintf(out, n, "dp:{d}:deal:%s", id);
    return len < 0 || (size_t)len >= n ? -E2BIG : len;
}

#define DP_KEY_DEALS       "dp:{d}:deals"
#define DP_KEY_DEALS_GEN   "dp:{d}:gen"
#define DP_KEY_CAMPAIGNS   "dp:{d}:campaigns"
#define DP_KEY_OWNERS      "dp:{d}:owners"
#define DP_KEY_CATALOG     "dp:{c}:catalog"
#define DP_KEY_CATALOG_GEN "dp:{c}:gen"
/* prospect -> its last temperature (server/reports/temperature.c): under
 * {0} with the alerts stream, so the compare-and-set and the alert are one
 * script on one node */
#define DP_KEY_TEMP "dp:{0}:temp"
/* presentations whose links were minted muted (server/auth/route_links.c,
 * read by the notifier's fan-out) */
#define DP_KEY_MUTED "dp:{w}:muted"

#endif
