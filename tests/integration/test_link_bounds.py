"""What one link token or one anonymous page can make deckpulse count or
hold (issue 19), each rule as the README states it:

- the score: one day of a prospect counts at most score_sessions_per_day
  sessions and score_actions_per_day actions (20 sessions through one link
  made a prospect hot);
- a presentation names at most max_slides_per_presentation slide versions
  and max_actions_per_presentation action names: events naming more are
  not counted, and counted as refused (70 anonymous requests turned a
  material's 4 slide rows into 10 004);
- an anonymous viewer is a network: another User-Agent is not another
  viewer;
- catalog_strict: a material the catalog knows is closed, and events
  naming a slide it does not list are refused (named in the answer);
"""

import json
import time

from dp import ADMIN, MARKETING, SALES, Env, metric, metrics, check, eq, finish, settled, utc_day_for, view, wait_until

DAY = utc_day_for(120)


def auth(key):
    return {"Authorization": "Bearer " + key}


def action(seq, name, material="q3-pricing", slide="roi"):
    return {"seq": seq, "type": "action", "at": 1763800000000 + seq, "material": material,
            "slide": slide, "name": name}


# the score's daily caps: twenty sessions and twelve actions in a day
with Env() as env:
    srv, r = env.server, env.redis
    env.collector("score")
    loop = srv.mint("deck", "loop")
    for i in range(20):
        events = [view(1)] + ([action(2, "download")] if i < 12 else [])
        eq(srv.post_json("/v1/events", {"session": "loop-%d" % i, "token": loop,
                                        "events": events}).status, 202, "session %d" % i)
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    b = srv.get("/v1/prospects/loop?from=%s&to=%s" % (DAY, DAY), auth(SALES)).json()
    eq((b["sessions"], b["actions"]), (20, {"download": 12}), "the brief counts everything")
    parts = {p["part"]: (p["value"], p["points"]) for p in b["score_explained"]["parts"]}
    eq((parts["revisits"], parts["actions"]), ((2, 10), (5, 40)),
       "the score counts 3 sessions (2 revisits) and 5 actions of the day")
    eq((b["score"], b["temperature"]), (50.0, "hot"), "5 actions are still a hot prospect")
    ex = b["score_explained"]
    eq((ex["sessions_per_day_max"], ex["actions_per_day_max"]), (3, 5), "the caps are shown")
    view_only = srv.mint("deck", "viewer")
    for i in range(20):
        srv.post_json("/v1/events", {"session": "vo-%d" % i, "token": view_only, "events": [view(1)]})
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    b = srv.get("/v1/prospects/viewer?from=%s&to=%s" % (DAY, DAY), auth(SALES)).json()
    eq((b["sessions"], b["score"], b["temperature"]), (20, 10.0, "cold"),
       "20 view-only sessions of one day are not a hot prospect")

# a presentation's slide versions and action names
with Env(allow_anonymous="true") as env:
    srv, r = env.server, env.redis
    env.collector("caps", extra=["--max_slides_per_presentation", "5",
                                 "--max_actions_per_presentation", "2"])
    link = srv.mint("deck", "pat")
    # the real deck: 3 slides of q3 (one in two versions), 2 actions
    real = [view(1, slide="a"), view(2, slide="b"), view(3, slide="b", version=2),
            view(4, slide="c"), action(5, "book-demo", slide="a"), action(6, "download", slide="a")]
    eq(srv.post_json("/v1/events", {"session": "real", "token": link, "events": real}).status, 202,
       "the deck")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    # then someone with the link names 40 more slides and 10 more actions
    junk = [view(i + 1, slide="junk-%d" % i) for i in range(40)]
    junk += [action(100 + i, "junk-%d" % i, slide="a") for i in range(10)]
    junk += [view(200, slide="d"), action(201, "book-demo", slide="c")]
    eq(srv.post_json("/v1/events", {"session": "junk", "token": link, "events": junk}).status, 202,
       "accepted (the ceiling is the collector's)")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    m = srv.get("/v1/materials/q3-pricing?from=%s&to=%s" % (DAY, DAY), auth(MARKETING)).json()
    rows = {(x["slide"], x["version"]): (x["views"], x["actions"]) for x in m["slides"]}
    eq(rows, {("a", 1): (1, {"book-demo": 1, "download": 1}), ("b", 1): (1, {}),
              ("b", 2): (1, {}), ("c", 1): (1, {"book-demo": 1}), ("junk-0", 1): (1, {})},
       "the first 5 slide versions named, and the first 2 action names, are all there is")
    eq(m["views"], 5, "views of slides past the ceiling are not counted")
    series = lambda name: metrics(srv.get("/metrics").body.decode()).get(
        '%s{collector="caps"}' % name)
    check(wait_until(lambda: series("dp_collector_refused_slides_total") == 40, 10, 0.2),
          "39 junk slides and slide d refused: %r" % series("dp_collector_refused_slides_total"))
    check(wait_until(lambda: series("dp_collector_refused_actions_total") == 10, 10, 0.2),
          "10 junk action names refused: %r" % series("dp_collector_refused_actions_total"))
    eq(r.cmd("SCARD", "dp:{0}:ptri:deck"), 5, "what the presentation named, kept")
    # another presentation has its own
    other = srv.mint("deck-2", "pat")
    eq(srv.post_json("/v1/events", {"session": "o", "token": other, "events": [view(1, slide="d")]}
                     ).status, 202, "another deck")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    d_views = lambda: [x["views"] for x in srv.get("/v1/materials/q3-pricing?from=%s&to=%s" % (
        DAY, DAY), auth(MARKETING)).json()["slides"] if x["slide"] == "d"]
    check(wait_until(lambda: d_views() == [1], 10, 0.2), "its slide d is counted")
    # an anonymous page: 70 requests with 70 User-Agents from one address
    for i in range(70):
        eq(srv.post_json("/v1/events", {"session": "anon-%d" % i, "presentation": "public",
                                        "events": [view(1, material="pub", slide="s1")]},
                         {"User-Agent": "Mozilla/5.0 agent-%d" % i}).status, 202, "anonymous")
    for n in range(2, 4):
        srv.post_json("/v1/events", {"session": "net-%d" % n, "presentation": "public",
                                     "events": [view(1, material="pub", slide="s1")]},
                      source="127.0.0.%d" % n)
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    pub = lambda: srv.get("/v1/materials/pub?from=%s&to=%s" % (DAY, DAY), auth(MARKETING)).json()
    wait_until(lambda: pub().get("views") == 72, 10, 0.2)
    m = pub()
    eq((m["views"], m["viewers"]), (72, 3),
       "72 views, but three viewers: one address whatever its User-Agents, and two more")

# catalog_strict: closed materials
with Env(catalog_strict="true") as env:
    srv, r = env.server, env.redis
    env.collector("strict")
    link = srv.mint("deck", "pat")
    put = lambda slides: srv.request("PUT", "/v1/materials/q3", json.dumps(
        {"title": "Q3", "slides": slides}).encode(),
        {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}).status
    eq(put([{"slide": "a", "title": "A"}, {"slide": "b", "title": "B", "version": 2}]), 200,
       "the catalog knows q3")
    post = lambda sid, events: srv.post_json("/v1/events", {"session": sid, "token": link,
                                                            "events": events}).json()
    # a catalog change takes effect within about a second
    check(wait_until(lambda: post("probe", [view(1, material="q3", slide="zz")]).get("refused") == 1,
                     5, 0.2), "the server has read the catalog")
    got = post("s1", [view(1, material="q3", slide="a"), view(2, material="q3", slide="b", version=2),
                      view(3, material="q3", slide="b", version=3), view(4, material="q3", slide="x"),
                      view(5, material="open-deck", slide="z")])
    eq(got, {"accepted": 3, "refused": 2,
             "message": "events[2].slide: material q3 has no slide b version 3 in the catalog "
                        "(catalog_strict)"},
       "slides q3 does not have are refused, the first named; another material is open")
    eq(post("s2", [view(1, material="q3", slide="x")]),
       {"accepted": 0, "refused": 1, "message": "events[0].slide: material q3 has no slide x "
                                                "version 1 in the catalog (catalog_strict)"},
       "a batch of refused events only")
    refused = metric(srv, 'dp_events_refused_total{reason="catalog"}')
    check(refused >= 3, "counted: %r" % refused)
    eq(put([{"slide": "a", "title": "A"}, {"slide": "b", "title": "B", "version": 2},
            {"slide": "x", "title": "X"}]), 200, "slide x added to the catalog")
    check(wait_until(lambda: post("s3-%f" % time.time(), [view(1, material="q3", slide="x")]) ==
                     {"accepted": 1}, 5, 0.2), "then x is counted")
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")
    m = srv.get("/v1/materials/q3?from=%s&to=%s" % (DAY, DAY), auth(MARKETING)).json()
    # (the probes sent before the server had read the catalog were counted)
    eq(sorted((x["slide"], x["version"]) for x in m["slides"] if x["views"] and x["slide"] != "zz"),
       [("a", 1), ("b", 2), ("x", 1)], "only the catalog's slides have views")

finish()
