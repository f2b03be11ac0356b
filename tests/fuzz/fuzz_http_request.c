/* libFuzzer target: the HTTP request path. The input is split at a point
 * chosen by its first byte and fed in two pieces, then pipelined requests
 * are parsed until the input runs out. Must never crash, leak or read out
 * of bounds; a refused request must carry a status. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const dp_http_limits lim = {.max_header_bytes = 4096,
                                       .max_headers = 32,
                                       .max_url_bytes = 1024,
                                       .max_body_bytes = 8192,
                                       .max_decompressed_bytes = 32768};
    if (size == 0) return 0;
    size_t cut = 1 + data[0] % (size > 1 ? size : 1);
    data++;
    size--;
    dp_http_req r;
    dp_http_req_init(&r, &lim, NULL, NULL);
    size_t pos = 0;
    while (pos < size) {
        size_t n = pos < cut ? (cut - pos < size - pos ? cut - pos : size - pos) : size - pos;
        size_t used = 0;
        int rc = dp_http_req_feed(&r, (const char *)data + pos, n, &used);
        if (rc == DP_HTTP_FAIL) {
            if (r.status < 400 || r.status > 599) __builtin_trap();
            break;
        }
        if (used > n) __builtin_trap();
        pos += used;
        if (rc == DP_HTTP_DONE) {
            size_t len;
            (void)dp_http_req_url(&r, &len);
            (void)dp_http_req_header(&r, "content-type", &len);
            if (r.body.len > lim.max_decompressed_bytes) __builtin_trap();
            dp_http_req_reset(&r);
        } else if (used == 0) {
            break;
        }
    }
    dp_http_req_free(&r);
    return 0;
}
