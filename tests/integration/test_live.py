"""GET /v1/live: Server-Sent Events of who is viewing now. A listener sees
a prospect appear within seconds of their first event and disappear when the
session closes; auth (header or ?key=), roles; a listener that goes away is
forgotten; the server stops cleanly with listeners connected."""

import os
import subprocess
import time

from dp import (ADMIN, MARKETING, SALES, Env, batch, check, eq, finish, settled, view,
                wait_until)
from sse import Stream, wait_for

COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")


with Env(access_log="false") as env:
    srv = env.server
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    col = subprocess.Popen([COLLECTOR, "--redis", env.redis.url(), "--data_dir", srv.data_dir,
                            "--log_level", "warn"], stdout=log, stderr=log)
    env.children.append(col)

    eq(Stream(srv.port, "/v1/live").status, 401, "no key: 401")
    eq(Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + MARKETING}).status, 403,
       "marketing: 403")
    st = Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + SALES})
    eq((st.status, st.headers.get("content-type")), (200, "text/event-stream"), "a stream")
    first = st.next_event()
    check(first is not None and first["viewers"] == [], "nobody is viewing yet: %r" % first)
    # EventSource style: a short-lived ticket in the URL, not the key
    resp = srv.request("POST", "/v1/live/ticket", b"", {"Authorization": "Bearer " + ADMIN})
    eq((resp.status, resp.header("cache-control")), (201, "no-store"), "a ticket")
    ticket = resp.json()["ticket"]
    check(ADMIN not in ticket and 0 < resp.json()["expires"] - time.time() * 1000 <= 60000,
          "it names no key and lasts a minute: %r" % resp.json())
    by_key = Stream(srv.port, "/v1/live?ticket=" + ticket)
    eq(by_key.status, 200, "EventSource style: ?ticket=")
    eq(srv.request("POST", "/v1/live/ticket", b"", {"Authorization": "Bearer " + MARKETING}).status,
       403, "marketing gets no ticket")
    eq(srv.request("POST", "/v1/live/ticket", b"").status, 401, "nor does anyone without a key")
    forged = ticket[:-3] + ("AAA" if ticket[-3:] != "AAA" else "BBB")
    eq(Stream(srv.port, "/v1/live?ticket=" + forged).status, 401, "a changed ticket: 401")
    head = ticket.rsplit(".", 1)[0].split(".")
    eq(Stream(srv.port, "/v1/live?ticket=t1.%s.%s.1.%s" % (head[1], head[2], ticket.rsplit(".", 1)[1])
              ).status, 401, "one with its expiry changed: 401 (expiry itself: unit.ticket)")
    eq(Stream(srv.port, "/v1/live?key=" + SALES).status, 200, "?key= still works (deprecated)")

    token = srv.mint("deck-live", "jane", account="acme")
    eq(srv.post_json("/v1/events", batch("live-1", [
        {"seq": 1, "type": "open", "at": 1763800000000, "slides": 5},
        view(2, material="q3", slide="roi", version=2, index=1)], token)).status, 202, "ingest")
    t0 = time.time()
    ev = wait_for(st, lambda e: any(v["prospect"] == "jane" for v in e["viewers"]))
    check(ev is not None, "jane appears on the live stream")
    if ev:
        print("jane appeared after %.2f s" % (time.time() - t0))
        v = [v for v in ev["viewers"] if v["prospect"] == "jane"][0]
        eq({k: v[k] for k in ("session", "presentation", "account", "mode", "material", "slide",
                              "version", "slides", "seen")},
           {"session": "live-1", "presentation": "deck-live", "account": "acme", "mode": "self",
            "material": "q3", "slide": "roi", "version": 2, "slides": 5, "seen": 1},
           "what the listener is told")
    ev2 = wait_for(by_key, lambda e: any(v["prospect"] == "jane" for v in e["viewers"]))
    check(ev2 is not None, "every listener is told")
    eq(srv.post_json("/v1/events", batch("live-1", [{"seq": 3, "type": "close", "at": 1763800009000}],
                                         token)).status, 202, "close")
    check(wait_for(st, lambda e: e["viewers"] == []) is not None, "a closed session leaves")
    by_key.close()
    m = srv.get("/metrics").body.decode()
    check('dp_http_requests_total{route="live",status="200"} 3' in m,
          "streams counted: %s" % [l for l in m.splitlines() if 'route="live"' in l])
    # a late listener gets the current picture at once
    late = Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + ADMIN})
    check(late.next_event(3) is not None, "a new listener is told at once")
    # with nobody listening the picture is not kept up to date, so a later
    # listener is told the current one, not what the last listener saw
    st.close()
    late.close()
    time.sleep(1.5)  # the next tick finds nobody and stops
    eq(srv.post_json("/v1/events", batch("live-2", [
        {"seq": 1, "type": "open", "at": 1763800000000, "slides": 5},
        view(2, material="q3", slide="roi", version=2, index=1)], token)).status, 202, "ingest")
    check(wait_until(lambda: settled(env.redis, sessions_ended=False), 10, 0.05), "rolled up")
    later = Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + SALES})
    ev = later.next_event(5)
    check(ev is not None and [v["session"] for v in ev["viewers"]] == ["live-2"],
          "the first picture a later listener gets is the current one: %r" % ev)
    col.terminate()
    col.wait(20)
    # the Env stops the server with two listeners connected: exit 0, no leaks

# The window, the cap and the order: 240 sessions with a link seen in the
# last two minutes (lastrecv 0.4 s apart), 20 seen three minutes ago, 5
# recent but closed, and then a burst of 80 anonymous sessions, newer than
# all of them, over two shards. The panel holds the 200 newest open link
# sessions of the window, newest first, whichever shard they are on: a
# burst of anonymous pages does not push a real prospect off (it did, for
# two minutes). Then 120 of the link sessions close: the other 120 come
# first, then the 50 newest anonymous ones.
import hashlib
with Env(access_log="false", shards=2) as env:
    srv, r = env.server, env.redis
    env.collector("live", extra=["--shards", "2", "--session_timeout_ms", "1800000"])
    check(wait_until(lambda: all(r.cmd("EXISTS", "dp:{%d}:events" % n) for n in (0, 1)), 10, 0.05),
          "groups made")
    now = int(time.time() * 1000)
    sessions = [("old-%d" % k, now - 180000 - k * 1000, False, True) for k in range(20)]
    sessions += [("win-%03d" % k, now - 5000 - k * 400, False, True) for k in range(240)]
    sessions += [("closed-%d" % k, now - 1000 - k, True, True) for k in range(5)]
    sessions += [("anon-%02d" % k, now - 500 - k * 5, False, False) for k in range(80)]

    def shard_of(sid):
        return int(hashlib.md5(sid.encode()).hexdigest(), 16) % 2

    def head(sid, at, link, n):
        viewer = "a:" + hashlib.md5(sid.encode()).hexdigest()
        return " ".join([str(at), "beacon", sid, "self", "deck-" + sid if link else "public",
                         viewer, "p-" + sid if link else "", "", "", "", str(n)])

    for sid, at, closed, link in sessions:
        lines = [head(sid, at, link, 3 if closed else 2), "1 open %d 4" % at,
                 "2 view %d q3 roi 1 1" % at] + (["3 close %d" % at] if closed else [])
        r.cmd("XADD", "dp:{%d}:events" % shard_of(sid), "*", "v", "3", "k", "1",
              "n", str(len(lines) - 1), "batches", "\n".join(lines))
    check(wait_until(lambda: settled(r, sessions_ended=False, shards=2), 20, 0.05),
          "the collector applied every entry")
    st = Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + SALES})
    wins = [sid for sid, at, closed, link in sessions if sid.startswith("win-")]
    ev = wait_for(st, lambda e: len(e["viewers"]) == 200, 15)
    check(ev is not None, "the panel filled up")
    if ev:
        got = [v["session"] for v in ev["viewers"]]
        eq(got, wins[:200], "the 200 newest open link sessions of the last two minutes, newest "
                            "first, none of the newer anonymous ones")
        eq([v["last_seen"] for v in ev["viewers"]],
           sorted((v["last_seen"] for v in ev["viewers"]), reverse=True), "by last_seen")
        eq({(v["prospect"], v["material"], v["slide"], v["slides"], v["seen"])
            for v in ev["viewers"][:1]}, {("p-win-000", "q3", "roi", 4, 1)}, "a row's fields")
    for sid, at, closed, link in sessions:
        if sid.startswith("win-") and int(sid[4:]) >= 120:
            lines = [head(sid, at, True, 1), "3 close %d" % at]
            r.cmd("XADD", "dp:{%d}:events" % shard_of(sid), "*", "v", "3", "k", "1", "n", "1",
                  "batches", "\n".join(lines))
    want = wins[:120] + ["anon-%02d" % k for k in range(50)]
    ev = wait_for(st, lambda e: [v["session"] for v in e["viewers"]] == want, 15)
    check(ev is not None, "120 link sessions first, then the 50 newest anonymous ones")
    if ev:
        eq(ev["viewers"][120]["prospect"], None, "an anonymous row")
    st.close()

finish()
