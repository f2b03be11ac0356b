"""Alerts and webhooks (issue 21), first part: the webhook registry and
the alerts the collector emits.

  - POST/GET/DELETE /v1/webhooks and GET /v1/webhooks/{id}/deliveries:
    admin only, every bad field refused by name, a URL resolving to a
    private address refused (unless webhook_allow_private), the secret
    shown once (Standard Webhooks' whsec_ format), at most 100;
  - a scripted visit emits, in the shard's alerts stream, exactly one
    session.started (at its first view, not its open), one action per
    action, one session.ended (at close: what the session did), one
    presentation.forwarded (when a second browser opens the link, once),
    prospect.returned (the first session after alert_quiet_days), and a
    session ended by the timeout sweep alerts too; a batch posted again
    alerts nothing new; anonymous sessions alert nothing;
  - prospect.temperature: the server's watcher scores prospects as the hot
    list does and alerts each rise (cold -> warm, warm -> hot) once."""

import json
import time

from dp import ADMIN, MARKETING, SALES, Env, batch, check, eq, finish, settled, view, wait_until

H = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}


def alerts(r):
    out = []
    for eid, fields in r.cmd("XRANGE", "dp:{0}:alerts", "-", "+"):
        f = dict(zip(fields[::2], fields[1::2]))
        lines = f["a"].split("\n")
        eq((lines[-1], len(lines) - 1), ("", int(f["n"])), "an entry's alerts, one a line")
        for line in lines[:-1]:  # a batch's alerts are one entry
            t, at, ids, data = line.split("\t")
            a = dict(zip(("session", "presentation", "prospect", "account", "campaign", "owner"),
                         ids.split("|")))
            a.update(type=t, at=at, data=json.loads(data))
            out.append(a)
    return out


# (thresholds out of reach: no prospect.temperature in this part, tested below)
with Env(allow_anonymous="true", score_warm="100000", score_hot="200000") as env:
    srv, r = env.server, env.redis

    def hook(body, key=ADMIN):
        return srv.request("POST", "/v1/webhooks", json.dumps(body).encode(),
                           dict(H, Authorization="Bearer " + key))

    # ---- the registry ----
    for body, msg in (
            ({"url": "http://127.0.0.1:9/x"},
             "url: resolves to a private address (127.0.0.1); refused unless "
             "webhook_allow_private"),
            ({"url": "http://[::1]:9/x"},
             "url: resolves to a private address (::1); refused unless webhook_allow_private"),
            ({"url": "http://10.1.2.3/x"},
             "url: resolves to a private address (10.1.2.3); refused unless "
             "webhook_allow_private"),
            ({"url": "http://169.254.169.254/latest"},
             "url: resolves to a private address (169.254.169.254); refused unless "
             "webhook_allow_private"),
            ({"url": "ftp://8.8.8.8/x"}, "url: must start with http:// or https://"),
            ({"url": "http://user:pw@8.8.8.8/x"}, "url: no user:password@ allowed"),
            ({"url": "http://8.8.8.8:99999/x"}, "url: the port must be 1 to 65535"),
            ({"url": "http://8.8.8.8/a b"}, "url: spaces and control characters are not allowed"),
            ({}, "url: required"),
            ({"url": "http://8.8.8.8/x", "events": []},
             "events: must be a non-empty array of event names"),
            ({"url": "http://8.8.8.8/x", "events": ["session.started", "nope"]},
             "events[1]: must be one of session.started, session.ended, prospect.returned, "
             "prospect.temperature, presentation.forwarded, action"),
            ({"url": "http://8.8.8.8/x", "format": "teams"}, "format: must be standard or slack"),
            ({"url": "http://8.8.8.8/x", "owner": "a b"},
             "owner: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
            ({"url": "http://8.8.8.8/x", "colour": "red"}, "colour: unknown field")):
        resp = hook(body)
        eq((resp.status, resp.json()), (400, {"error": msg}), msg)
    eq(r.cmd("HLEN", "dp:{w}:hooks"), 0, "nothing refused was stored")
    eq(hook({"url": "http://8.8.8.8/x"}, SALES).status, 403, "sales may not")
    eq(hook({"url": "http://8.8.8.8/x"}, MARKETING).status, 403, "marketing may not")
    eq(srv.get("/v1/webhooks").status, 401, "no key: 401")
    resp = hook({"url": "https://8.8.8.8/crm", "events": ["session.ended"], "owner": "olga",
                 "format": "slack"})
    eq(resp.status, 201, "registered")
    made = resp.json()
    check(made["id"].startswith("wh_") and made["secret"].startswith("whsec_") and
          len(made["secret"]) == 50, "an id and a whsec_ secret (32 bytes)")
    eq({k: made[k] for k in ("url", "events", "owner", "format")},
       {"url": "https://8.8.8.8/crm", "events": ["session.ended"], "owner": "olga",
        "format": "slack"}, "as asked")
    listed = srv.get("/v1/webhooks", H).json()["webhooks"]
    eq([(w["id"], w["pending"], w["dead"], "secret" in w) for w in listed],
       [(made["id"], 0, 0, False)], "listed, without its secret")
    eq(srv.get("/v1/webhooks/%s/deliveries" % made["id"], H).json(),
       {"webhook": made["id"], "pending": 0, "deliveries": [], "dead_total": 0, "dead": []},
       "no delivery yet")
    eq(srv.get("/v1/webhooks/nope/deliveries", H).status, 404, "unknown webhook")
    eq(srv.request("DELETE", "/v1/webhooks/" + made["id"], b"", H).json(),
       {"deleted": made["id"]}, "deleted")
    eq(srv.request("DELETE", "/v1/webhooks/" + made["id"], b"", H).status, 404, "gone")
    for i in range(100):
        eq(hook({"url": "http://8.8.8.8/h%d" % i}).status, 201, "webhook %d" % i)
    resp = hook({"url": "http://8.8.8.8/one-too-many"})
    eq((resp.status, resp.json()), (409, {"error": "webhooks: at most 100; delete one first"}),
       "at most 100")
    for w in srv.get("/v1/webhooks", H).json()["webhooks"]:
        srv.request("DELETE", "/v1/webhooks/" + w["id"], b"", H)

    # ---- the alerts of a scripted visit ----
    env.collector("alerts", extra=["--alert_quiet_days", "1"])
    token = srv.mint("deck-jane", "jane", account="acme", campaign="spring", owner="olga")
    now = int(time.time() * 1000)

    def post(body, ua="browser-1"):
        return srv.request("POST", "/v1/events", json.dumps(body).encode(),
                           {"Content-Type": "text/plain", "User-Agent": ua}).status

    visit = [batch("s1", [{"seq": 1, "type": "open", "at": now, "slides": 3}], token),
             batch("s1", [view(2, slide="intro", index=0, at=now + 1),
                          {"seq": 3, "type": "dwell", "at": now + 2, "material": "q3-pricing",
                           "slide": "intro", "version": 1, "ms": 4000}], token),
             batch("s1", [view(4, slide="roi", index=1, at=now + 3),
                          {"seq": 5, "type": "action", "at": now + 4, "material": "q3-pricing",
                           "slide": "roi", "version": 1, "name": "book-demo"},
                          {"seq": 6, "type": "dwell", "at": now + 5, "material": "q3-pricing",
                           "slide": "roi", "version": 1, "ms": 6000},
                          view(7, slide="pricing", index=2, at=now + 6),
                          {"seq": 8, "type": "close", "at": now + 7}], token)]
    eq(post(visit[0]), 202, "open")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    eq(alerts(r), [], "an open alone starts nothing (no view yet)")
    for b in visit[1:]:
        eq(post(b), 202, "batch")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    got = alerts(r)
    eq([a["type"] for a in got], ["session.started", "action", "session.ended"],
       "started at the first view, the action, ended at close")
    ids = {"session": "s1", "presentation": "deck-jane", "prospect": "jane", "account": "acme",
           "campaign": "spring", "owner": "olga"}
    for a in got:
        eq({k: a[k] for k in ids}, ids, "%s carries the identities" % a["type"])
    eq(got[0]["data"], {"material": "q3-pricing", "slide": "intro", "version": 1}, "started")
    eq(got[1]["data"], {"material": "q3-pricing", "slide": "roi", "version": 1,
                        "name": "book-demo"}, "the action")
    eq(got[2]["data"], {"material": "q3-pricing", "slides_seen": 3, "slides": 3,
                        "dwell_ms": 10000, "completed": True, "actions": 1, "mode": "self"},
       "what the session did")
    # the same batches again: counted once, alerted once
    for b in visit:
        eq(post(b), 202, "again")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    eq(len(alerts(r)), 3, "a duplicated batch alerts nothing new")

    # a second browser on the link: forwarded, once; a third: nothing more
    eq(post(batch("s2", [view(1, at=now + 10)], token), ua="browser-2"), 202, "second browser")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    eq(post(batch("s3", [view(1, at=now + 11)], token), ua="browser-3"), 202, "third browser")
    # an anonymous session: no alert
    eq(post(batch("anon-1", [view(1, at=now + 12)], presentation="public"), ua="x"), 202,
       "anonymous")
    check(wait_until(lambda: settled(r, sessions_ended=True), 30, 0.1),
          "s2, s3 and anon-1 ended by the sweep (session_timeout_ms 1500)")
    types = [a["type"] for a in alerts(r)[3:]]
    eq(sorted(types), sorted(["session.started", "presentation.forwarded", "session.started",
                              "session.ended", "session.ended"]),
       "s2 and s3 start and end (the sweep's session.ended), forwarded once")
    ended = [a for a in alerts(r) if a["type"] == "session.ended" and a["session"] == "s2"][0]
    eq(ended["data"], {"material": "q3-pricing", "slides_seen": 1, "slides": 0, "dwell_ms": 0,
                       "completed": False, "actions": 0, "mode": "self"},
       "a session ended by the timeout says what it did")
    check(all(a["prospect"] == "jane" for a in alerts(r)), "no alert for the anonymous session")

    # back after more than alert_quiet_days (1 here): prospect.returned
    n = len(alerts(r))
    for k in range(1):
        r.cmd("HSET", "dp:{%d}:prospect:jane" % k, "last_seen", str(now - 3 * 86400000))
    eq(post(batch("s4", [view(1, at=now + 20)], token)), 202, "back after three days")
    check(wait_until(lambda: len(alerts(r)) >= n + 2, 20, 0.05), "alerted")
    new = alerts(r)[n:]
    eq([a["type"] for a in new], ["prospect.returned", "session.started"], "returned, started")
    eq(new[0]["data"], {"days_away": 3}, "three days away")
    eq(post(batch("s5", [view(1, at=now + 30)], token)), 202, "again the same day")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    eq([a["type"] for a in alerts(r)[n + 2:]], ["session.started"], "not returned again")

# prospect.temperature: warm at 5 points, hot at 40 (2 a minute of dwell,
# 5 a revisit)
with Env(score_warm="5", score_hot="40") as env:
    srv, r = env.server, env.redis
    env.collector("temps")
    token = srv.mint("deck-tom", "tom", account="initech", owner="olga")
    now = int(time.time() * 1000)

    def dwell(session, seq, ms, view_too=False):
        evs = [view(seq, at=now + seq)] if view_too else []
        evs.append({"seq": seq + 1, "type": "dwell", "at": now + seq + 1,
                    "material": "q3-pricing", "slide": "roi", "version": 1, "ms": ms})
        eq(srv.post_json("/v1/events", batch(session, evs, token)).status, 202, "dwell")

    def temps():
        return [a for a in alerts(r) if a["type"] == "prospect.temperature"]

    def score():
        return srv.get("/v1/prospects/tom", {"Authorization": "Bearer " + ADMIN}).json()["score"]

    dwell("t1", 1, 60000, view_too=True)  # 2 points: cold
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    time.sleep(2.5)  # a pass of the watcher
    eq(temps(), [], "cold: nothing")
    dwell("t1", 3, 120000)  # 6 points: warm
    check(wait_until(lambda: len(temps()) == 1, 15, 0.1), "warm alerted")
    t = temps()[0]
    eq((t["prospect"], t["account"], t["owner"], t["data"]),
       ("tom", "initech", "olga", {"temperature": "warm", "from": "cold", "score": 6.0}),
       "cold to warm, with the score the brief shows (%r)" % score())
    dwell("t2", 1, 17 * 60000, view_too=True)  # 40 + 5 (a revisit) = 45 points: hot
    check(wait_until(lambda: len(temps()) == 2, 15, 0.1), "hot alerted")
    eq(temps()[1]["data"], {"temperature": "hot", "from": "warm", "score": 45.0}, "warm to hot")
    dwell("t3", 1, 60000, view_too=True)  # still hot
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.05), "rolled up")
    time.sleep(2.5)
    eq(len(temps()), 2, "still hot: nothing more")
    eq(r.cmd("HGET", "dp:{0}:temp", "tom"), "hot", "recorded")
    eq(srv.request("DELETE", "/v1/prospects/tom", b"", {"Authorization": "Bearer " + ADMIN}
                   ).status, 200, "erased")
    eq(r.cmd("HEXISTS", "dp:{0}:temp", "tom"), 0, "the erasure takes the temperature too")
    # temperatures an earlier version kept under {w}: carried over at start
    r.cmd("DEL", "dp:{0}:temp")
    r.cmd("HSET", "dp:{w}:temp", "old-timer", "hot")
    eq(srv.stop(), 0, "server stopped")
    srv.start()
    check(srv.wait_ready(), "server back")
    check(wait_until(lambda: r.cmd("HGET", "dp:{0}:temp", "old-timer") == "hot", 5, 0.05),
          "the earlier temperatures carried over (no second alert for them)")
    eq(r.cmd("EXISTS", "dp:{w}:temp"), 0, "and the old key gone")

finish()
