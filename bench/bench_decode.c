/* Batch decoding speed: dp_batch_decode (one scan + yajl stream parse +
 * validation of every field) against jansson's json_loadb alone on the same
 * bytes, in the same run, so the ratio says what validation costs whatever
 * the machine is doing.
 *
 *   build/bench/bench_decode [iterations]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "buf.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    dp_buf b;
    dp_buf_init(&b, 0);
    dp_buf_puts(&b, "{\"token\":\"MXxwMXxqYW5lfGFjbWV8fHwxODAzMTM0MjEyNzE0.bytaiNh6NH53BaIpbIq"
                    "OAl4pR68jEmbpKq4L42hgtW8\",\"session\":\"5f0c9a11\",\"mode\":\"self\","
                    "\"events\":[");
    for (int i = 0; i < 20; i++)
        dp_buf_printf(
            &b,
            "%s{\"seq\":%d,\"type\":\"%s\",\"at\":17638000%05d,\"material\":\"q3-pricing\","
            "\"slide\":\"slide-%d\",\"version\":2,\"%s\":%d}",
            i ? "," : "", i + 1, i % 2 ? "dwell" : "view", i * 100, i / 2, i % 2 ? "ms" : "index",
            i % 2 ? 5400 : i / 2);
    dp_buf_puts(&b, "]}");
    dp_batch_limits lim = {.max_events = 500, .max_depth = 16};

    double t0 = now_s();
    for (long i = 0; i < iters; i++) {
        json_t *j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
        if (j == NULL) return 1;
        json_decref(j);
    }
    double ref = now_s() - t0;

    t0 = now_s();
    for (long i = 0; i < iters; i++) {
        dp_batch batch;
        dp_err err;
        if (dp_batch_decode(&batch, b.data, b.len, &lim, &err) != 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        dp_batch_free(&batch);
    }
    double ours = now_s() - t0;

    printf("batch of 20 events, %zu bytes, %ld iterations\n", b.len, iters);
    printf("json_loadb alone (reference): %8.0f batches/s  %9.0f events/s\n", iters / ref,
           20 * iters / ref);
    printf("dp_batch_decode:              %8.0f batches/s  %9.0f events/s\n", iters / ours,
           20 * iters / ours);
    printf("ratio decode/reference time:  %.2f\n", ours / ref);
    dp_buf_free(&b);
    return 0;
}
