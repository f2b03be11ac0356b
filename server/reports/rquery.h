/* A report query: checks the API key's role and the query parameters,
 * serves the answer from the report cache while the data's generation is
 * unchanged, otherwise reads Redis in rounds (each round pipelined; the
 * next step runs when every answer of the round is in) and answers with
 * dp_reply (ETag, gzip). If the client goes away, the query drains its
 * answers and frees itself. */
#ifndef DP_RQUERY_H
#define DP_RQUERY_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "req.h"
#include "reports.h"
#include "report_params.h"

/* Redis commands one report may issue, in all: a report that would need
 * more answers 413 and asks for a shorter range. */
#define DP_RQ_COMMANDS_MAX 400000

typedef struct dp_rq dp_rq;
typedef void (*dp_rq_reply_fn)(dp_rq *q, const redisReply *r, void *tag, size_t itag);
typedef void (*dp_rq_step_fn)(dp_rq *q);

struct dp_rq {
    dp_req *req; /* NULL once the client went away */
    dp_reports_ctx *srv;
    dp_report_params p;
    int64_t today; /* days since the epoch */
    unsigned shards;
    size_t outstanding;
    size_t commands;
    int failed;      /* a command failed or a ceiling was crossed */
    int too_big;     /* DP_RQ_COMMANDS_MAX */
    int background;  /* refreshing a cached answer already served */
    int in_flight;   /* computing, counted in reports_running */
    int key_ix;      /* the API key that asked (its index), counted in running_by_key */
    dp_rq **waiters; /* requests for the same answer, answered with it */
    size_t nwaiters;
    dp_rq_step_fn next;
    dp_rq_step_fn compute; /* dp_rq_cached */
    void *state;
    void (*destroy)(void *state);
    void *aux; /* a helper's state while it runs (prospect_load.h) */
    char *cache_key;
    char extra[96]; /* header lines the answer carries (a list's X-Total-Count), "" if none */
    dp_buf stamp;
    dp_buf cmd; /* scratch */
};

/* For a GET report route: 401 without a valid key, 403 unless the key's
 * role is admin or in `roles` (what: "reports", "prospects"), 400 naming a
 * bad parameter. NULL when it answered. */
dp_rq *dp_rq_open(dp_req *req, int roles, const char *what);
/* A query of the server's own, for no request (the temperature watcher):
 * the default range and mode; ends with dp_rq_finish (nothing is sent).
 * NULL when the reports' Redis is not up. */
dp_rq *dp_rq_internal(dp_reports_ctx *srv);
/* A list's answer says in headers what its JSON envelope says (a CSV has
 * no room for it): X-Total-Count and X-Truncated. */
static inline void dp_rq_list_headers(dp_rq *q, size_t total, int truncated)
{
    snprintf(q->extra, sizeof(q->extra), "X-Total-Count: %zu\r\nX-Truncated: %s\r\n", total,
             truncated ? "true" : "false");
}
/* A computation of several bounded parts (the hot list's chunks) starts
 * each part's DP_RQ_COMMANDS_MAX afresh. */
static inline void dp_rq_reset_commands(dp_rq *q)
{
    q->commands = 0;
}
/* Queues one command of the current round; fn (may be NULL) sees its
 * answer. */
void dp_rq_cmd(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, size_t argc,
               const char *const *argv);
/* The same with binary arguments (lens[i] bytes each). */
void dp_rq_cmd_len(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, size_t argc,
                   const char *const *argv, const size_t *lens);
/* The common "VERB key" and "VERB key arg" shapes. */
void dp_rq_cmd2(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, const char *verb,
                const char *key);
void dp_rq_cmd3(dp_rq *q, dp_rq_reply_fn fn, void *tag, size_t itag, const char *verb,
                const char *key, const char *arg);
/* PFCOUNT (a union of HyperLogLogs) of the viewers of a material (slide
 * NULL: its mv: keys) or of one slide version (sv:) over every day
 * first_day + d for d in [lo, hi) with has[d], the report's modes and every
 * shard; fn sees the count. Nothing is asked when no day has data (the
 * count is 0). */
void dp_rq_pfcount_days(dp_rq *q, dp_rq_reply_fn fn, size_t itag, const char *material,
                        const char *slide, const char *version, int64_t first_day,
                        const unsigned char *has, int64_t lo, int64_t hi);
/* Ends the round: next runs once every command of it has answered. */
void dp_rq_run(dp_rq *q, dp_rq_step_fn next);
/* Answers from the cache if key's entry is current for the generation of
 * gen_field ("*" or a material id), else runs compute (which ends in
 * dp_rq_finish, whose answer is then cached). */
void dp_rq_cached(dp_rq *q, const char *key, const char *gen_field, dp_rq_step_fn compute);
void dp_rq_finish(dp_rq *q, const char *ctype, dp_buf *body);
/* dp_rq_finish with the report's format (JSON or CSV), then frees out. */
void dp_rq_answer(dp_rq *q, dp_buf *out);
void dp_rq_fail(dp_rq *q, int status, const char *msg);

/* Reply helpers: a string/int reply as a C string (empty for nil). */
const char *dp_reply_str(const redisReply *r, size_t *len);

/* A query parameter of the request: 0, -ENOENT, or -E2BIG/-EINVAL. */
int dp_rq_param(dp_rq *q, const char *name, char *out, size_t outlen);
/* ?limit=: *out keeps dflt when absent; 0, or -1 once it answered 400
 * ("limit: must be an integer between 1 and max"). */
int dp_rq_limit(dp_rq *q, long dflt, long max, long *out);
/* Days present in an SMEMBERS answer of YYYY-MM-DD members: has[d - lo]
 * set for lo <= d <= hi. */
void dp_rq_days(const redisReply *r, int64_t lo, int64_t hi, unsigned char *has);
/* The modes a report reads: "self", "live" or both; returns the count. */
size_t dp_rq_modes(const dp_rq *q, const char *modes[2]);

#endif
