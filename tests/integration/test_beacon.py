"""The server serves the browser beacon: /beacon.js (short cache) and
/beacon.<version>.js (immutable), gzip when accepted, ETag; the banner's
snippet names the versioned URL."""

import gzip
import hashlib
import os
import re

from dp import Env, check, eq, finish

SRC = os.environ.get("DP_SOURCE_DIR", ".")
want = open(os.path.join(SRC, "beacon", "dist", "beacon.min.js"), "rb").read()
version = hashlib.blake2b(want, digest_size=4).hexdigest()

with Env() as env:
    srv = env.server
    m = re.search(r'<script src="([^"]+)" async data-endpoint="([^"]+)"', srv.banner)
    check(m is not None, "the banner prints the snippet")
    eq(m.group(1), "http://127.0.0.1:%d/beacon.%s.js" % (srv.port, version),
       "the snippet names the versioned beacon")
    r = srv.get("/beacon.js")
    eq((r.status, r.header("content-type")), (200, "application/javascript; charset=utf-8"),
       "GET /beacon.js")
    eq(r.body, want, "the committed build, byte for byte")
    eq(r.header("cache-control"), "public, max-age=300", "short cache on the plain URL")
    z = srv.get("/beacon.%s.js" % version, {"Accept-Encoding": "gzip"})
    eq((z.status, z.header("content-encoding")), (200, "gzip"), "versioned, gzip")
    eq(gzip.decompress(z.body), want, "gzip inflates to the script")
    check(len(z.body) < 3072, "under 3 KB on the wire (%d bytes)" % len(z.body))
    eq(z.header("cache-control"), "public, max-age=31536000, immutable", "a year on the versioned URL")
    eq(srv.get("/beacon.js", {"If-None-Match": r.header("etag")}).status, 304, "ETag")
    eq(srv.get("/beacon.00000000.js").status, 404, "another version: 404")
    eq(srv.request("POST", "/beacon.js", "x").status, 405, "POST: 405")

finish()
