"""Alerts and webhooks on a Redis Cluster (issue 22).

The keys they touch are spread over the primaries: each shard's alerts
stream ({N}), the catalog ({c}, written in one MULTI/EXEC), the link records
({d}), the webhooks, queues and muted links ({w}), the temperatures with
shard 0's alerts ({0}). A scripted visit per prospect, on 8 shards, through
a collector and a notifier on the 6-node cluster: each webhook event arrives
once, signed, and session.ended carries what is read on two nodes (the
slide read longest, from the shard; the titles, from the catalog); a muted
link alerts nobody; the deliveries route and /metrics read the {w} keys; the
live feed (GET /v1/live) shows a viewer whose session is on any shard."""

import json
import time

from dp import (ADMIN, SALES, Env, Server, batch, check, eq, finish, metric, metrics, view,
                wait_until)
from sse import Stream, wait_for
from webhook_receiver import Receiver

SHARDS = 8
H = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}

rec = Receiver()
with Env(cluster=True, shards=SHARDS, webhook_allow_private="true",
         score_warm="100000", score_hot="200000") as env:
    srv = env.server
    resp = srv.request("POST", "/v1/webhooks", json.dumps(
        {"url": "http://127.0.0.1:%d/ok" % rec.port}).encode(), H)
    eq(resp.status, 201, "a webhook")
    rec.secrets["/ok"] = resp.json()["secret"]
    hook_id = resp.json()["id"]
    env.collector("alerts", extra=["--shards", str(SHARDS)])
    env.notifier("n1", extra=["--shards", str(SHARDS), "--webhook_allow_private", "true"])
    eq(srv.request("PUT", "/v1/materials/q3-pricing", json.dumps(
        {"title": "Q3 pricing", "slides": [{"slide": "intro", "title": "Welcome"},
                                           {"slide": "roi", "title": "ROI calculator"}]}),
        H).status, 200, "the catalog (one MULTI/EXEC on the {c} node)")
    live = Stream(srv.port, "/v1/live", {"Authorization": "Bearer " + SALES})
    eq(live.status, 200, "the live feed")
    now = int(time.time() * 1000)
    people = ["p%d" % i for i in range(6)]
    for i, who in enumerate(people):
        token = srv.mint("deck-" + who, who, account="acme", campaign="spring", owner="olga")
        visit = batch("s-" + who, [
            {"seq": 1, "type": "open", "at": now, "slides": 2},
            view(2, slide="intro", index=0, at=now + 1),
            {"seq": 3, "type": "dwell", "at": now + 2, "material": "q3-pricing",
             "slide": "roi" if i % 2 else "intro", "version": 1, "ms": 30000 + i},
            view(4, slide="roi", index=1, at=now + 3),
            {"seq": 5, "type": "close", "at": now + 4}], token)
        eq(srv.post_json("/v1/events", visit).status, 202, "the visit of " + who)
    # viewing now, on whichever shard: on the live feed
    watching = srv.mint("deck-watch", "watcher", account="acme")
    eq(srv.post_json("/v1/events", batch("s-watch", [
        {"seq": 1, "type": "open", "at": now, "slides": 2},
        view(2, slide="intro", index=0, at=now + 1)], watching)).status, 202, "a session left open")
    ev, seq, end = None, 2, time.time() + 15
    while ev is None and time.time() < end:
        # still reading (sessions idle for 1.5 s are ended by the collector here)
        seq += 1
        srv.post_json("/v1/events", batch("s-watch", [
            view(seq, slide="intro", index=0, at=now + seq)], watching))
        ev = wait_for(live, lambda e: any(v["prospect"] == "watcher" for v in e["viewers"]), 0.5)
    check(ev is not None, "the live feed shows the open session")
    live.close()
    muted = srv.mint("deck-quiet", "quiet", muted=True)
    eq(srv.post_json("/v1/events", batch("s-quiet", [view(1, at=now)], muted)).status, 202,
       "a muted link's visit")
    want = {(w, t) for w in people for t in ("session.started", "session.ended")}
    want |= {("watcher", "session.started"), ("watcher", "session.ended")}
    check(wait_until(lambda: {(b["prospect"], b["type"]) for b in rec.bodies("/ok")} >= want,
                     30, 0.1), "every session started and ended reached the webhook")
    time.sleep(1.0)  # anything more would have come by now
    got = rec.bodies("/ok")
    eq(sorted((b["prospect"], b["type"]) for b in got), sorted(want), "each event once")
    eq(rec.bad, [], "every signature verified")
    for b in got:
        if b["type"] != "session.ended" or b["prospect"] == "watcher":
            continue
        odd = int(b["prospect"][1:]) % 2
        eq({k: b["data"].get(k) for k in ("material_title", "top_slide", "top_slide_title",
                                           "top_dwell_ms")},
           {"material_title": "Q3 pricing", "top_slide": "roi" if odd else "intro",
            "top_slide_title": "ROI calculator" if odd else "Welcome",
            "top_dwell_ms": 30000 + int(b["prospect"][1:])},
           "%s: enriched from its shard and from the catalog" % b["prospect"])
    eq([b for b in got if b["prospect"] == "quiet"], [], "the muted link alerted nobody")
    dl = srv.get("/v1/webhooks/%s/deliveries" % hook_id, H).json()
    eq((len(dl["deliveries"]), dl["pending"]), (len(want), 0), "the deliveries route")
    check(wait_until(lambda: metrics(srv.get("/metrics").body.decode()).get(
        'dp_webhook_deliveries_sent_total{webhook="%s"}' % hook_id) == len(want), 10, 0.2),
        "/metrics counts the deliveries")
    campaign = srv.get("/v1/campaigns/spring", {"Authorization": "Bearer " + ADMIN}).json()
    eq(campaign.get("links"), len(people), "the link records ({d}) count the links")
    # durability is checked on every primary: one with appendfsync everysec says so
    eq(metric(srv, "dp_redis_durable"), 1, "every primary runs appendfsync always")
    weak = env.redis.primaries()[1]
    env.redis.node_cmd(weak, "CONFIG", "SET", "appendfsync", "everysec")
    other = Server(env.tmp, env.redis.url(), data_dir=srv.data_dir, shards=SHARDS)
    check(wait_until(lambda: metric(other, "dp_redis_durable") == 0, 10, 0.1),
          "a server that finds one primary weaker says a 202 may not survive a power loss")
    check("redis 127.0.0.1:%d: appendonly yes, appendfsync everysec" % weak in other.log(),
          "and names the node")
    eq(other.stop(), 0, "its exit code")
    env.redis.node_cmd(weak, "CONFIG", "SET", "appendfsync", "always")

finish()
