/* libFuzzer target: the event decoder (JSON wire format and validation).
 * Anything accepted must satisfy the documented invariants. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const dp_batch_limits lim = {.max_events = 50, .max_depth = 16};
    dp_batch b;
    dp_err err;
    int rc = dp_batch_decode(&b, (const char *)data, size, &lim, &err);
    if (rc != 0) {
        if (rc != -EINVAL && rc != -E2BIG) __builtin_trap();
        if (err.msg[0] == '\0') __builtin_trap();
        return 0;
    }
    if (b.nevents == 0 || b.nevents > lim.max_events) __builtin_trap();
    if (!dp_id_valid(b.session, strlen(b.session))) __builtin_trap();
    for (size_t i = 0; i < b.nevents; i++) {
        const dp_event *e = &b.events[i];
        if (e->seq < 0 || e->seq > DP_SEQ_MAX || e->at < DP_AT_MIN || e->at > DP_AT_MAX)
            __builtin_trap();
        if (e->material && !dp_id_valid(e->material, strlen(e->material))) __builtin_trap();
        if (e->type == DP_EV_DWELL && (e->ms < 0 || e->ms > DP_DWELL_MS_MAX)) __builtin_trap();
    }
    dp_batch_free(&b);
    return 0;
}
