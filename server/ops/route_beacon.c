/* GET /beacon.js and GET /beacon.<version>.js: the browser beacon
 * (beacon/dist/beacon.min.js, compiled in). The versioned URL, version = the
 * first 8 hex digits of the script's BLAKE2b, is cached by browsers for a
 * year (immutable); /beacon.js for five minutes. gzip when accepted, ETag. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "beacon_js.h"
#include "reply.h"
#include "ops.h"
#include "ops_routes.h"

const char *dp_beacon_version(void)
{
    static char version[9];
    if (version[0] == '\0') {
        unsigned char h[4];
        crypto_generichash(h, sizeof(h), (const unsigned char *)dp_beacon_js, sizeof(dp_beacon_js),
                           NULL, 0);
        sodium_bin2hex(version, sizeof(version), h, sizeof(h));
    }
    return version;
}

void dp_route_beacon(dp_req *req)
{
    const char *path = req->path;
    size_t n = req->path_len;
    /* "/beacon.js" or "/beacon.<8 hex>.js" */
    int versioned = n != 10;
    if (versioned && (n != 19 || memcmp(path + 16, ".js", 3) != 0)) {
        dp_req_error(req, 404, "no such route");
        return;
    }
    if (versioned && memcmp(path + 8, dp_beacon_version(), 8) != 0) {
        dp_req_error(req, 404, "no such beacon version; use /beacon.js");
        return;
    }
    static dp_rcache_entry entry;
    if (entry.body == NULL) { /* kept for the process's life */
        entry.body = dp_body_new((const char *)dp_beacon_js, sizeof(dp_beacon_js));
        entry.ctype = "application/javascript; charset=utf-8";
    }
    dp_reply_cached_with(req, NULL, &entry,
                         versioned ? "Cache-Control: public, max-age=31536000, immutable\r\n"
                                   : "Cache-Control: public, max-age=300\r\n");
}
