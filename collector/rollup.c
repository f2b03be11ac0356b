#include "rollup.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "deckpulse/keys.h"
#include "rollup_lua.h" /* generated: dp_rollup_lua[] */

#define W 23 /* values per event; the order of FIELDS in rollup.lua */

int dp_rollup_load(dp_rollup *ro, redisContext *rc, dp_err *err)
{
    redisReply *r = redisCommand(rc, "SCRIPT LOAD %b", dp_rollup_lua, sizeof(dp_rollup_lua));
    if (r == NULL) return dp_err_set(err, -EIO, "redis: %s", rc->errstr);
    int ok = r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(ro->sha, r->str, 41);
    else
        dp_err_set(err, -EIO, "SCRIPT LOAD: %s", r->type == REDIS_REPLY_ERROR ? r->str : "?");
    freeReplyObject(r);
    return ok ? 0 : -EIO;
}

/* EVALSHA, loading the script again if Redis lost it (restart, flush). */
static redisReply *evalsha(dp_rollup *ro, redisContext *rc, int argc, const char **argv,
                           const size_t *lens, dp_err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        argv[1] = ro->sha;
        redisReply *r = redisCommandArgv(rc, argc, argv, lens);
        if (r == NULL) {
            dp_err_set(err, -EIO, "redis: %s", rc->errstr);
            return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "NOSCRIPT", 8) && attempt == 0) {
            freeReplyObject(r);
            if (dp_rollup_load(ro, rc, err) != 0) return NULL;
            continue;
        }
        return r;
    }
    return NULL;
}

int dp_rollup_apply(dp_rollup *ro, redisContext *rc, unsigned shard, const char *group,
                    const dp_entry *e, size_t n, dp_rollup_counts *counts, dp_err *err)
{
    size_t argc = 9 + n * W;
    const char **argv = dp_malloc(argc * sizeof(char *));
    size_t *lens = dp_malloc(argc * sizeof(size_t));
    char(*nums)[8][24] = dp_malloc((n ? n : 1) * sizeof(*nums));
    char stream[32], prefix[24], ttl[24], count[24];
    dp_key_stream(stream, sizeof(stream), shard);
    snprintf(prefix, sizeof(prefix), "dp:{%u}:", shard);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ro->ttl_ms);
    snprintf(count, sizeof(count), "%zu", n);
    size_t k = 0;
    argv[k++] = "EVALSHA";
    argv[k++] = ro->sha;
    argv[k++] = "1";
    argv[k++] = stream;
    argv[k++] = prefix;
    argv[k++] = ttl;
    argv[k++] = group;
    argv[k++] = count;
    for (size_t i = 0; i < n; i++) {
        const dp_entry *x = &e[i];
        char(*num)[24] = nums[i];
        snprintf(num[0], 24, "%lld", (long long)x->seq);
        snprintf(num[1], 24, "%lld", (long long)x->at);
        snprintf(num[2], 24, "%lld", (long long)x->received);
        snprintf(num[3], 24, "%lld", (long long)x->version);
        snprintf(num[4], 24, "%lld", (long long)x->index);
        snprintf(num[5], 24, "%lld", (long long)x->ms);
        snprintf(num[6], 24, "%d", x->bucket);
        snprintf(num[7], 24, "%lld", (long long)x->slides);
        int hasms = x->type == DP_EV_VIEW || x->type == DP_EV_DWELL || x->type == DP_EV_ACTION;
        argv[k++] = x->id;
        argv[k++] = x->session;
        argv[k++] = num[0];
        argv[k++] = dp_event_type_names[x->type];
        argv[k++] = num[1];
        argv[k++] = num[2];
        argv[k++] = x->day;
        argv[k++] = x->mode;
        argv[k++] = x->presentation;
        argv[k++] = x->prospect ? x->prospect : "";
        argv[k++] = x->prospect && x->account ? x->account : "";
        argv[k++] = x->prospect ? x->prospect : x->viewer;
        argv[k++] = x->viewer;
        argv[k++] = x->type == DP_EV_OPEN && x->slides ? num[7] : "";
        argv[k++] = hasms ? x->material : "";
        argv[k++] = hasms ? x->slide : "";
        argv[k++] = hasms ? num[3] : "";
        argv[k++] = num[4];
        argv[k++] = num[5];
        argv[k++] = num[6];
        argv[k++] = x->type == DP_EV_ACTION ? x->name : "";
        argv[k++] = x->prospect && x->campaign ? x->campaign : "";
        argv[k++] = x->prospect && x->owner ? x->owner : "";
    }
    argc = k;
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    int rc2 = 0;
    redisReply *r = evalsha(ro, rc, (int)argc, argv, lens, err);
    if (r == NULL) {
        rc2 = -EIO;
    } else if (r->type == REDIS_REPLY_ERROR) {
        rc2 = dp_err_set(err, -EINVAL, "rollup script: %.200s", r->str);
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
        counts->applied += r->element[0]->integer;
        counts->dups += r->element[1]->integer;
        counts->unplaced += r->element[2]->integer;
    } else {
        rc2 = dp_err_set(err, -EINVAL, "rollup script: unexpected reply");
    }
    if (r) freeReplyObject(r);
    dp_free(argv);
    dp_free(lens);
    dp_free(nums);
    return rc2;
}

/* Runs one of the script's maintenance modes (-1 sweep, -2 retain) on a
 * shard with its two arguments; the array reply, or NULL. */
static redisReply *run_mode(dp_rollup *ro, redisContext *rc, unsigned shard, const char *mode,
                            const char *a, const char *b, const char *what, dp_err *err)
{
    char stream[32], prefix[24], ttl[24];
    dp_key_stream(stream, sizeof(stream), shard);
    snprintf(prefix, sizeof(prefix), "dp:{%u}:", shard);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ro->ttl_ms);
    const char *argv[] = {"EVALSHA", ro->sha, "1", stream, prefix, ttl, "", mode, a, b};
    size_t lens[10];
    for (int i = 0; i < 10; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = evalsha(ro, rc, 10, argv, lens, err);
    if (r == NULL) return NULL;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
        dp_err_set(err, -EINVAL, "%s: %.200s", what, r->type == REDIS_REPLY_ERROR ? r->str : "?");
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int dp_rollup_sweep(dp_rollup *ro, redisContext *rc, unsigned shard, int64_t before_ms,
                    long long *ended, dp_err *err)
{
    char before[24];
    snprintf(before, sizeof(before), "%lld", (long long)before_ms);
    redisReply *r = run_mode(ro, rc, shard, "-1", before, "1000", "sweep", err);
    if (r == NULL) return -EIO;
    *ended = r->element[0]->integer;
    freeReplyObject(r);
    return 0;
}

int dp_rollup_retain(dp_rollup *ro, redisContext *rc, unsigned shard, const char *cutoff,
                     long long *removed, int *more, dp_err *err)
{
    redisReply *r = run_mode(ro, rc, shard, "-2", cutoff, "200", "retain", err);
    if (r == NULL) return -EIO;
    *removed = r->element[0]->integer;
    *more = r->elements > 1 && r->element[1]->integer != 0;
    freeReplyObject(r);
    return 0;
}
