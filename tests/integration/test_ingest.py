"""POST /v1/events and friends, end to end against the real binary and a
real Redis: a batch lands in the stream field for field; links, pixel,
CORS, health, readiness and metrics behave as documented."""

import gzip
import http.client
import json
import socket
import time

from dp import (ADMIN, MARKETING, SALES, Env, batch, check, eq, expand, finish, forge_token,
                view)

with Env(allowed_origins="https://decks.example,https://other.example") as env:
    s, r = env.server, env.redis

    # --- links: auth matrix and validation
    body = {"presentation": "p1", "prospect": "jane", "account": "acme", "campaign": "spring",
            "owner": "bob", "ttl_days": 30}
    eq(s.post_json("/v1/links", body).status, 401, "links without a key")
    eq(s.post_json("/v1/links", body, {"Authorization": "Bearer wrong-key-0123456789"}).status,
       401, "links with a wrong key")
    resp = s.post_json("/v1/links", body, {"Authorization": "Bearer " + MARKETING})
    eq(resp.status, 403, "links with a marketing key")
    for key in (SALES, ADMIN):
        resp = s.post_json("/v1/links", body, {"Authorization": "Bearer " + key})
        eq(resp.status, 201, "links with key %s" % key[:5])
    out = resp.json()
    token = out["token"]
    now_ms = int(time.time() * 1000)
    check(abs(out["expires"] - (now_ms + 30 * 86400000)) < 60000, "expires is now + 30 days")
    bad = s.post_json("/v1/links", {"prospect": "jane"}, {"Authorization": "Bearer " + SALES})
    eq((bad.status, bad.json()), (400, {"error": "presentation: required"}), "links missing field")
    bad = s.post_json("/v1/links", dict(body, ttl_days=0), {"Authorization": "Bearer " + SALES})
    eq(bad.json()["error"], "ttl_days: must be an integer between 1 and 3650", "links ttl_days")
    bad = s.post_json("/v1/links", dict(body, color="red"), {"Authorization": "Bearer " + SALES})
    eq(bad.json()["error"], "color: unknown field", "links unknown field")

    # --- the example batch of docs/wire-format.md, field for field
    events = [
        {"seq": 1, "type": "open", "at": 1763800000123, "slides": 12},
        {"seq": 2, "type": "view", "at": 1763800000200, "material": "q3-pricing", "slide": "roi",
         "version": 2, "index": 3},
        {"seq": 3, "type": "dwell", "at": 1763800005600, "material": "q3-pricing", "slide": "roi",
         "version": 2, "ms": 5400},
        {"seq": 4, "type": "action", "at": 1763800005700, "material": "q3-pricing",
         "slide": "roi", "name": "book-demo"},
        {"seq": 5, "type": "close", "at": 1763800064000},
    ]
    # posted with Python's own HTTP client, as any real client would
    t0 = int(time.time() * 1000)
    hc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    hc.request("POST", "/v1/events", json.dumps(batch("5f0c9a", events, token)),
               {"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://decks.example"})
    hresp = hc.getresponse()
    t1 = int(time.time() * 1000)
    eq((hresp.status, json.loads(hresp.read())), (202, {"accepted": 5}), "example batch")
    eq(hresp.getheader("Access-Control-Allow-Origin"), "https://decks.example",
       "ACAO echoes origin")
    eq(hresp.getheader("Access-Control-Allow-Credentials"), None, "no credentials header")
    hc.close()
    got = r.entries()
    eq(len(got), 5, "stream length")
    ident = {"v": "3", "source": "beacon", "session": "5f0c9a", "mode": "self",
             "presentation": "p1", "prospect": "jane", "account": "acme",
             "campaign": "spring", "owner": "bob"}
    want = [
        dict(ident, seq="1", type="open", at="1763800000123", slides="12"),
        dict(ident, seq="2", type="view", at="1763800000200", material="q3-pricing",
             slide="roi", version="2", index="3"),
        dict(ident, seq="3", type="dwell", at="1763800005600", material="q3-pricing",
             slide="roi", version="2", ms="5400"),
        dict(ident, seq="4", type="action", at="1763800005700", material="q3-pricing",
             slide="roi", version="1", name="book-demo"),
        dict(ident, seq="5", type="close", at="1763800064000"),
    ]
    viewers = set(g.pop("viewer", "") for g in got)
    eq(len(viewers), 1, "one browser, one viewer id")
    check(all(v.startswith("a:") and len(v) == 34 for v in viewers), "viewer ids are hashes")
    for i, (g, w) in enumerate(zip(got, want)):
        received = int(g.pop("received", "0"))
        check(t0 <= received <= t1, "entry %d received time %d within [%d, %d]"
              % (i, received, t0, t1))
        eq(g, w, "entry %d fields" % i)
    check(all("127.0.0.1" not in json.dumps(g) for g in r.entries()), "no address in entries")

    # gzip body, application/json
    raw = json.dumps(batch("s-gz", [view(1), view(2, index=1)], token)).encode()
    resp = s.request("POST", "/v1/events", gzip.compress(raw),
                     {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    eq((resp.status, resp.json()), (202, {"accepted": 2}), "gzip batch")
    eq(len(r.entries()), 7, "stream length after gzip batch")

    # chunked body
    body = json.dumps(batch("s-ch", [view(1)], token)).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 10]), body[i:i + 10])
                       for i in range(0, len(body), 10)) + b"0\r\n\r\n"
    resp = s.request("POST", "/v1/events", chunked,
                     {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"})
    eq(resp.status, 202, "chunked batch")
    eq(len(r.entries()), 8, "stream length after chunked batch")

    # --- CORS
    resp = s.request("OPTIONS", "/v1/events", b"",
                     {"Origin": "https://other.example",
                      "Access-Control-Request-Method": "POST"})
    eq(resp.status, 204, "preflight")
    eq(resp.header("access-control-allow-origin"), "https://other.example", "preflight ACAO")
    eq((resp.header("access-control-allow-methods"), resp.header("access-control-allow-headers"),
        resp.header("access-control-max-age"), resp.header("vary")),
       ("POST, OPTIONS", "Content-Type, Content-Encoding", "86400", "Origin"),
       "preflight for /v1/events: methods, headers, max age, Vary")
    # /v1/links is called from the dashboards with a key: Authorization allowed
    resp = s.request("OPTIONS", "/v1/links", b"",
                     {"Origin": "https://decks.example", "Access-Control-Request-Method": "POST",
                      "Access-Control-Request-Headers": "authorization, content-type"})
    eq((resp.status, resp.header("access-control-allow-origin"),
        resp.header("access-control-allow-methods"), resp.header("access-control-allow-headers"),
        resp.header("vary")),
       (204, "https://decks.example", "POST, OPTIONS", "Content-Type, Authorization", "Origin"),
       "preflight for /v1/links")
    resp = s.request("OPTIONS", "/v1/links", b"", {"Access-Control-Request-Method": "POST"})
    eq((resp.status, resp.json()), (400, {"error": "preflight without Origin"}),
       "a preflight without Origin")
    resp = s.request("OPTIONS", "/v1/links", b"", {"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "POST"})
    eq((resp.header("access-control-allow-origin"), resp.header("vary")), (None, None),
       "no CORS headers for a foreign origin's preflight")
    # an answer that depends on Origin says so, so no cache serves it to another
    resp = s.request("POST", "/v1/events", json.dumps(batch("s-v", [view(1)], token)),
                     {"Content-Type": "text/plain", "Origin": "https://other.example"})
    eq((resp.status, resp.header("access-control-allow-origin"), resp.header("vary")),
       (202, "https://other.example", "Origin"), "Vary: Origin with an allowed Origin")
    resp = s.request("POST", "/v1/events", json.dumps(batch("s-v", [view(2)], token)),
                     {"Content-Type": "text/plain"})
    eq((resp.status, resp.header("access-control-allow-origin"), resp.header("vary")),
       (202, None, None), "no Origin: no CORS headers")
    resp = s.request("POST", "/v1/events", json.dumps(batch("s-x", [view(1)], token)),
                     {"Content-Type": "text/plain", "Origin": "https://evil.example"})
    eq((resp.status, resp.json()), (403, {"error": "origin not allowed"}), "foreign origin")
    eq(resp.header("access-control-allow-origin"), None, "no ACAO for a foreign origin")
    # CORS on the routes decks call (ingest, links) only, not on reports
    # nor anything else, even for an allowed origin
    for path in ("/v1/materials", "/healthz", "/beacon.js", "/v1/nothing"):
        resp = s.request("GET", path, b"", {"Origin": "https://other.example",
                                             "Authorization": "Bearer " + ADMIN})
        eq((resp.header("access-control-allow-origin"), resp.header("vary") or ""),
           (None, resp.header("vary") or ""), "no ACAO on %s" % path)
        check("Origin" not in (resp.header("vary") or ""), "no Vary: Origin on %s" % path)

    # --- tokens: forged, expired, another presentation, none
    n_before = len(r.entries())
    cases = [
        (forge_token("p1", "jane", int(time.time() * 1000) + 10**6, secret="x" * 40),
         None, "token: invalid"),
        (forge_token("p1", "jane", int(time.time() * 1000) - 1), None, "token: expired"),
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), None, "token: invalid"),
        (token, "p2", "token: issued for another presentation"),
        (None, "p1", "token: required (anonymous reporting is off)"),
    ]
    for tok, pres, msg in cases:
        resp = s.post_json("/v1/events", batch("s-t", [view(1)], tok, presentation=pres))
        eq((resp.status, resp.json()), (401, {"error": msg}), "bad token -> " + msg)
    eq(len(r.entries()), n_before, "nothing recorded for refused tokens")

    # --- pixel
    resp = s.get("/v1/pixel.gif?token=" + token)
    eq(resp.status, 200, "pixel")
    eq(resp.header("content-type"), "image/gif", "pixel content type")
    check(resp.body.startswith(b"GIF89a") and len(resp.body) == 43, "pixel is a 1x1 GIF")
    px = r.entries()[-1]
    eq((px["type"], px["source"], px["seq"], px["prospect"], px["presentation"]),
       ("open", "pixel", "1", "jane", "p1"), "pixel entry")
    check(px["session"].startswith("px-"), "pixel session id")
    eq(s.get("/v1/pixel.gif").status, 401, "pixel without token")
    eq(s.get("/v1/pixel.gif?token=abc").status, 401, "pixel with bad token")

    # --- health, readiness, metrics, unknown routes
    eq((s.get("/healthz").status, s.get("/healthz").json()), (200, {"status": "ok"}), "healthz")
    eq(s.get("/readyz").json(), {"status": "ready", "redis": "up"}, "readyz")
    ans = s.get("/nope")
    eq((ans.status, ans.json()), (404, {"error": "no such route"}), "unknown route")
    ans = s.get("/v1/events")
    eq((ans.status, ans.header("allow"), ans.json()), (405, "POST, OPTIONS", {"error": "use POST"}),
       "GET /v1/events: 405 with Allow")
    ans = s.request("PATCH", "/v1/links")
    eq((ans.status, ans.header("allow")), (405, "POST, OPTIONS"), "PATCH /v1/links: 405 with Allow")
    m = s.get("/metrics")
    eq(m.status, 200, "metrics")
    text = m.body.decode()
    for line in ['dp_http_requests_total{route="events",status="202"} 5',
                 'dp_http_requests_total{route="events",status="401"} 5',
                 'dp_http_requests_total{route="links",status="403"} 1',
                 "dp_events_accepted_total 11",
                 'dp_batches_rejected_total{reason="unauthorized"} 7',
                 'dp_batches_rejected_total{reason="origin"} 1',
                 "dp_redis_up 1", "dp_open_connections 1"]:
        check(line in text.split("\n"), "metrics has %r" % line)
    xadds = [l for l in text.split("\n") if l.startswith("dp_redis_xadd_seconds_count ")]
    eq(xadds, ["dp_redis_xadd_seconds_count %d" % len(r.cmd("XRANGE", "dp:{0}:events", "-", "+"))],
       "xadd histogram counts every XADD (one a batch)")

    # access log: one structured line per request, no query strings
    log = env.server.log()
    check('access method=POST path="/v1/events" route=events status=202' in log,
          "access log line")
    check(token not in log, "the pixel's token (a query string) is not logged")

with Env(allow_anonymous="true", access_log="false") as env:
    s, r = env.server, env.redis
    resp = s.post_json("/v1/events", batch("anon1", [view(1)], presentation="public-deck"),
                       {"User-Agent": "ua-1"})
    eq((resp.status, resp.json()), (202, {"accepted": 1}), "anonymous batch")
    resp = s.post_json("/v1/events", batch("anon2", [view(1)], presentation="public-deck"),
                       {"User-Agent": "ua-2"})
    resp = s.post_json("/v1/events", batch("anon3", [view(1)], presentation="public-deck"),
                       {"User-Agent": "ua-1"}, source="127.0.0.2")
    e = r.entries()
    eq(len(e), 3, "anonymous entries")
    check(all(x["viewer"].startswith("a:") and len(x["viewer"]) == 34 for x in e),
          "anonymous viewer ids")
    eq(e[0]["viewer"], e[1]["viewer"],
       "an anonymous viewer is a network: another User-Agent from it is the same viewer")
    check(e[0]["viewer"] != e[2]["viewer"], "another address, another viewer id")
    check(all("prospect" not in x and "127.0.0.1" not in json.dumps(x) for x in e),
          "no prospect and no IP in anonymous entries")
    day = time.strftime("%Y-%m-%d", time.gmtime())
    ttl = r.cmd("TTL", "dp:salt:" + day)
    check(172790 < ttl <= 172800, "daily salt destroyed two days after it is set (ttl %r)" % ttl)
    resp = s.post_json("/v1/events", batch("anon4", [view(1)]))
    eq(resp.json(), {"error": "presentation: required without a token"}, "anonymous needs presentation")
    check("access method" not in env.server.log(), "access_log=false silences the access log")

# The viewer id is kept per keep-alive connection: it must still follow the
# user agent and the presentation of each request, as if hashed every time.
with Env() as env:
    s, r = env.server, env.redis
    tok1, tok2 = s.mint("p1", "jane"), s.mint("p2", "jane")
    hc = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    plan = [("ka1", tok1, "UA-A"), ("ka2", tok1, "UA-B"), ("ka3", tok1, "UA-A"),
            ("ka4", tok2, "UA-A"), ("ka5", tok1, "UA-A")]
    for sid, tok, ua in plan:
        hc.request("POST", "/v1/events", json.dumps(batch(sid, [view(1)], tok)),
                   {"Content-Type": "text/plain", "User-Agent": ua})
        resp = hc.getresponse()
        eq(resp.status, 202, "batch %s on one connection" % sid)
        resp.read()
    hc.close()
    v = {x["session"]: x["viewer"] for x in r.entries()}
    fresh = {}
    for sid, tok, ua in plan:  # each on a new connection: hashed afresh
        sid2 = sid + "-new"
        eq(s.post_json("/v1/events", batch(sid2, [view(1)], tok), {"User-Agent": ua}).status, 202,
           "batch %s on its own connection" % sid2)
        fresh[sid] = {x["session"]: x["viewer"] for x in r.entries()}[sid2]
    eq(v, fresh, "the same viewer ids as hashing every request")
    eq(len({v["ka1"], v["ka2"], v["ka4"]}), 3, "another user agent or presentation, another id")
    eq((v["ka3"], v["ka5"]), (v["ka1"], v["ka1"]), "back to the first: the first id again")

# Batches that arrive together share one XADD per shard stream (a version 3
# entry, include/deckpulse/event.h): each still answered only once Redis
# has it, with every field as it came, and a session's batches only in its
# shard's stream.
with Env(shards="2", access_log="false", allow_anonymous="true") as env:
    s, r = env.server, env.redis
    tokens = [s.mint("p1", "jane", account="acme", campaign="spring", owner="bob"),
              s.mint("p2", "joe"), None]
    socks, sent = [], {}
    for i in range(48):
        tok = tokens[i % 3]
        sid = "grp-%02d" % i
        events = [{"seq": 1, "type": "open", "at": 1763800000000 + i, "slides": 3},
                  view(2, slide="s%d" % (i % 4), version=1 + i % 2, index=i % 3),
                  {"seq": 3, "type": "dwell", "at": 1763800000500 + i, "material": "q3-pricing",
                   "slide": "s%d" % (i % 4), "ms": 100 + i}]
        body = json.dumps(batch(sid, events, tok, mode="live" if i % 5 == 0 else "self",
                                presentation=None if tok else "public-deck")).encode()
        req = (b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
               b"User-Agent: ua-%d\r\nContent-Length: %d\r\n\r\n" % (i % 2, len(body)) + body)
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        socks.append((c, req))
        sent[sid] = (tok, events, i)
    for c, req in socks:  # all written before any answer is read: one loop iteration or few
        c.sendall(req)
    for c, _ in socks:
        got = b""
        while b"\r\n\r\n" not in got or not got.endswith(b"}"):
            chunk = c.recv(4096)
            if not chunk:
                break
            got += chunk
        eq(got.split(b"\r\n")[0], b"HTTP/1.1 202 Accepted", "grouped batch answered")
        check(got.endswith(b'{"accepted":3}'), "grouped batch accepted 3: %r" % got[-40:])
        c.close()
    shard_of = {}
    kmax = 0
    nentries = 0
    for shard in (0, 1):
        for _id, fields in r.cmd("XRANGE", "dp:{%d}:events" % shard, "-", "+"):
            f = dict(zip(fields[::2], fields[1::2]))
            eq(f["v"], "3", "entries are version 3")
            kmax = max(kmax, int(f["k"]))
            nentries += 1
            for ev in expand(f):
                check(shard_of.setdefault(ev["session"], shard) == shard,
                      "session %s in one shard only" % ev["session"])
                ev["shard"] = shard
                sent[ev["session"]] = sent[ev["session"]] + (ev,)
    print("48 batches sent together: %d entries, at most %d batches in one" % (nentries, kmax))
    check(len(set(shard_of.values())) == 2, "both shards used")
    check(kmax > 1 and nentries < 48, "batches arriving together share an entry (%d entries, "
          "at most %d batches in one)" % (nentries, kmax))
    for sid, (tok, events, i, *stored) in sorted(sent.items()):
        eq(len(stored), 3, "%s: each event stored once" % sid)
        ident = {"v": "3", "source": "beacon", "session": sid, "mode": "live" if i % 5 == 0 else
                 "self", "shard": shard_of[sid]}
        if i % 3 == 0:
            ident.update(presentation="p1", prospect="jane", account="acme", campaign="spring",
                         owner="bob")
        elif i % 3 == 1:
            ident.update(presentation="p2", prospect="joe")
        else:
            ident.update(presentation="public-deck")
        want = [dict(ident, seq="1", type="open", at=str(1763800000000 + i), slides="3"),
                dict(ident, seq="2", type="view", at=str(events[1]["at"]), material="q3-pricing",
                     slide="s%d" % (i % 4), version=str(1 + i % 2), index=str(i % 3)),
                dict(ident, seq="3", type="dwell", at=str(1763800000500 + i),
                     material="q3-pricing", slide="s%d" % (i % 4), version="1",
                     ms=str(100 + i))]
        for g in stored:
            check(g.pop("viewer").startswith("a:"), "viewer id")
            check(abs(int(g.pop("received")) - time.time() * 1000) < 60000, "received time")
        eq(sorted(stored, key=lambda x: x["seq"]), want, "%s: stored field for field" % sid)
    text = s.get("/metrics").body.decode().split("\n")
    eq([l for l in text if l.startswith("dp_redis_xadd_batches_total ")],
       ["dp_redis_xadd_batches_total 48"], "every batch counted in an XADD")
    eq([l for l in text if l.startswith("dp_redis_xadds_total ")],
       ["dp_redis_xadds_total %d" % nentries], "one XADD an entry")

finish()
