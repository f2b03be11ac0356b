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
 *   consumer group "rollup" on T events
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
 *
 *   T slides:<material>:<day>:<mode>  HASH     per slide version, field "<slide>|<version>|<stat>":
 *                                              views, sessions, dwell_sum, dwell_n, h<bucket>,
 *                                              exits, a:<action name>
 *   T sv:<material>:<slide>:<version>:<day>:<mode>  HLL  viewers of one slide version
 *   T mat:<material>:<day>:<mode>     HASH     sessions, completed, views, dwell_sum, dwell_n,
 *                                              h<bucket>, x<k> (sessions whose deepest position
 *                                              in the material is k: the funnel)
 *   T mv:<material>:<day>:<mode>      HLL      viewers of the material
 *   T materials                       SET      material ids
 *   T days:<material>                 SET      days (YYYY-MM-DD) with data
 *
 *   T prospect:<id>                   HASH     first_seen last_seen account campaign owner
 *                                              (of the latest link)
 *   T pd:<id>:<day>:<mode>            HASH     the prospect's counters that day: sessions dwell
 *                                              views m:<material>:dwell m:<material>:completed
 *                                              s:<material>|<slide>|<version>:dwell  ...:views
 *                                              a:<action name>
 *   T pdays:<id>                      SET      days with counters
 *   T ppres:<id>                      SET      the prospect's presentations
 *   T psess:<id>                      SET      the prospect's sessions (for erasure; expires
 *                                              dedup_ttl_s after its newest, like their state)
 *   T pseen:<prospect>:<material>     SET      slide ids the prospect viewed
 *   T ptl:<prospect>                  ZSET     last DP_TIMELINE_MAX (200) events by client time
 *                                              ("at", then member), member
 *                                              "at|session|seq|type|material|slide|version|value"
 *   T prospects                       ZSET     prospect ids by last_seen
 *   T account:<id>                    HASH     first_seen last_seen (counters: its prospects')
 *   T aprospects:<id>                 SET      the account's prospects
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
 *   T gen                             HASH     "*" and <material>: bumped by every batch that
 *                                              changed them (report caches check it)
 *   dp:{0}:collectors                 HASH     "<consumer>|<counter>": batches events applied
 *                                              duplicates dead ended errors events_per_s updated
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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DP_GROUP        "rollup"
#define DP_SHARDS_MAX   256
#define DP_TIMELINE_MAX 200 /* events kept in a prospect's timeline (ptl:) */

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

/* "dp:{N}:events" into out. */
static inline void dp_key_stream(char *out, size_t n, unsigned shard)
{
    snprintf(out, n, "dp:{%u}:events", shard);
}

#endif
