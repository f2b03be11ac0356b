#include "metrics.h"

#include "ingest.h"

static const char *const reject_names[] = {"invalid",    "unauthorized", "origin",    "too_large",
                                           "media_type", "unavailable",  "rate_ip",   "rate_link",
                                           "bot",        "prefetch",     "spool_full"};
_Static_assert(sizeof(reject_names) / sizeof(reject_names[0]) == DP_REJECT__COUNT,
               "a name for every reason");
const char *const *const dp_reject_names = reject_names;

/* Upper bounds in microseconds. */
static const uint64_t bucket_us[DP_LATENCY_BUCKETS] = {100,    250,    500,     1000,      2500,
                                                       5000,   10000,  25000,   50000,     100000,
                                                       250000, 500000, 1000000, UINT64_MAX};

void dp_metrics_xadd_latency(void *ud, uint64_t usec)
{
    dp_metrics *m = ud;
    for (int i = 0; i < DP_LATENCY_BUCKETS; i++)
        if (usec <= bucket_us[i]) {
            m->xadd_buckets[i]++;
            break;
        }
    m->xadd_count++;
    m->xadd_sum_us += usec;
}

void dp_metrics_reject(dp_metrics *m, dp_reject why, uint64_t events)
{
    m->batches_rejected[why]++;
    m->events_rejected[why] += events;
}

int dp_metrics_render(const dp_metrics *m, dp_buf *o)
{
    int rc = 0;
    rc |= dp_buf_printf(
        o,
        "# HELP dp_events_accepted_total Events made durable, in Redis or the "
        "spool (202).\n"
        "# TYPE dp_events_accepted_total counter\n"
        "dp_events_accepted_total %llu\n"
        "# HELP dp_events_spooled_total Of those, events written to the local "
        "spool because Redis could not take them.\n"
        "# TYPE dp_events_spooled_total counter\n"
        "dp_events_spooled_total %llu\n"
        "# HELP dp_events_refused_total Events taken out of accepted batches: "
        "slides a closed material does not have (catalog_strict).\n"
        "# TYPE dp_events_refused_total counter\n"
        "dp_events_refused_total{reason=\"catalog\"} %llu\n"
        "# HELP dp_batches_accepted_total Batches answered 202.\n"
        "# TYPE dp_batches_accepted_total counter\n"
        "dp_batches_accepted_total %llu\n",
        (unsigned long long)m->events_accepted, (unsigned long long)m->events_spooled,
        (unsigned long long)m->refused_catalog, (unsigned long long)m->batches_accepted);
    rc |= dp_buf_printf(o,
                        "# HELP dp_events_clamped_total Events accepted with a value clamped: "
                        "at more than a day ahead, dwell over max_dwell_ms.\n"
                        "# TYPE dp_events_clamped_total counter\n"
                        "dp_events_clamped_total{field=\"at\"} %llu\n"
                        "dp_events_clamped_total{field=\"ms\"} %llu\n",
                        (unsigned long long)m->clamped_at, (unsigned long long)m->clamped_ms);
    rc |= dp_buf_puts(o, "# HELP dp_events_rejected_total Events of rejected batches, by reason "
                         "(when the batch could be decoded).\n"
                         "# TYPE dp_events_rejected_total counter\n");
    for (int i = 0; i < DP_REJECT__COUNT; i++)
        rc |= dp_buf_printf(o, "dp_events_rejected_total{reason=\"%s\"} %llu\n", dp_reject_names[i],
                            (unsigned long long)m->events_rejected[i]);
    rc |= dp_buf_puts(o, "# HELP dp_batches_rejected_total Ingest requests refused, by reason.\n"
                         "# TYPE dp_batches_rejected_total counter\n");
    for (int i = 0; i < DP_REJECT__COUNT; i++)
        rc |= dp_buf_printf(o, "dp_batches_rejected_total{reason=\"%s\"} %llu\n",
                            dp_reject_names[i], (unsigned long long)m->batches_rejected[i]);
    rc |= dp_buf_puts(o, "# HELP dp_redis_xadd_seconds Latency of XADD commands.\n"
                         "# TYPE dp_redis_xadd_seconds histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < DP_LATENCY_BUCKETS; i++) {
        cum += m->xadd_buckets[i];
        if (bucket_us[i] == UINT64_MAX)
            rc |= dp_buf_printf(o, "dp_redis_xadd_seconds_bucket{le=\"+Inf\"} %llu\n",
                                (unsigned long long)cum);
        else
            rc |= dp_buf_printf(o, "dp_redis_xadd_seconds_bucket{le=\"%g\"} %llu\n",
                                (double)bucket_us[i] / 1e6, (unsigned long long)cum);
    }
    rc |= dp_buf_printf(o,
                        "dp_redis_xadd_seconds_sum %.6f\n"
                        "dp_redis_xadd_seconds_count %llu\n",
                        (double)m->xadd_sum_us / 1e6, (unsigned long long)m->xadd_count);
    return rc ? -E2BIG : 0;
}

int dp_ingest_render_metrics(const dp_ingest_ctx *g, dp_buf *b)
{
    if (dp_metrics_render(&g->metrics, b) != 0) return -E2BIG;
    const dp_spool *sp = &g->spool;
    return dp_buf_printf(
        b,
        "# HELP dp_redis_xadds_total XADDs sent with accepted batches (one a shard a loop "
        "iteration).\n"
        "# TYPE dp_redis_xadds_total counter\n"
        "dp_redis_xadds_total %llu\n"
        "# HELP dp_redis_xadd_batches_total Batches those XADDs carried.\n"
        "# TYPE dp_redis_xadd_batches_total counter\n"
        "dp_redis_xadd_batches_total %llu\n"
        "# HELP dp_token_cache_hits_total Link tokens found verified in the cache.\n"
        "# TYPE dp_token_cache_hits_total counter\n"
        "dp_token_cache_hits_total %llu\n"
        "# HELP dp_token_cache_misses_total Link tokens verified (HMAC) on arrival.\n"
        "# TYPE dp_token_cache_misses_total counter\n"
        "dp_token_cache_misses_total %llu\n"
        "# HELP dp_spool_bytes Bytes in the local spool, waiting to be replayed into Redis.\n"
        "# TYPE dp_spool_bytes gauge\n"
        "dp_spool_bytes %llu\n"
        "# HELP dp_spool_segments Spool segment files on disk.\n"
        "# TYPE dp_spool_segments gauge\n"
        "dp_spool_segments %zu\n"
        "# HELP dp_spool_max_bytes Past this, batches Redis cannot take get 503.\n"
        "# TYPE dp_spool_max_bytes gauge\n"
        "dp_spool_max_bytes %llu\n"
        "# HELP dp_spool_written_records_total Batches written to the spool (fsynced).\n"
        "# TYPE dp_spool_written_records_total counter\n"
        "dp_spool_written_records_total %llu\n"
        "# HELP dp_spool_fsyncs_total Group writes to the spool, each ended by one fdatasync.\n"
        "# TYPE dp_spool_fsyncs_total counter\n"
        "dp_spool_fsyncs_total %llu\n"
        "# HELP dp_spool_write_errors_total Group writes that failed (disk full, I/O error).\n"
        "# TYPE dp_spool_write_errors_total counter\n"
        "dp_spool_write_errors_total %llu\n"
        "# HELP dp_spool_replayed_records_total Spooled batches sent to Redis again.\n"
        "# TYPE dp_spool_replayed_records_total counter\n"
        "dp_spool_replayed_records_total %llu\n"
        "# HELP dp_spool_replayed_entries_total Spooled stream entries (a batch each) Redis "
        "has taken.\n"
        "# TYPE dp_spool_replayed_entries_total counter\n"
        "dp_spool_replayed_entries_total %llu\n"
        "# HELP dp_spool_replayed_segments_total Segments replayed completely and removed.\n"
        "# TYPE dp_spool_replayed_segments_total counter\n"
        "dp_spool_replayed_segments_total %llu\n"
        "# HELP dp_spool_torn_records_total Torn or damaged records skipped (with the rest of "
        "their segment).\n"
        "# TYPE dp_spool_torn_records_total counter\n"
        "dp_spool_torn_records_total %llu\n"
        "# HELP dp_ingest_unreplicated_total XADDs (groups of batches) not confirmed by "
        "redis_wait_replicas replicas in time: spooled.\n"
        "# TYPE dp_ingest_unreplicated_total counter\n"
        "dp_ingest_unreplicated_total %llu\n",
        (unsigned long long)g->xgroups.sent, (unsigned long long)g->xgroups.members,
        (unsigned long long)g->auth->tokens->hits, (unsigned long long)g->auth->tokens->misses,
        (unsigned long long)sp->bytes, sp->nsegs, (unsigned long long)sp->max_bytes,
        (unsigned long long)sp->appended_records, (unsigned long long)sp->fsyncs,
        (unsigned long long)sp->write_errors, (unsigned long long)sp->replayed_records,
        (unsigned long long)sp->replayed_commands, (unsigned long long)sp->removed_segments,
        (unsigned long long)sp->torn, (unsigned long long)g->xgroups.unreplicated);
}
