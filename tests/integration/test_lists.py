"""Every list answer is complete, or says it was cut (issue 19): the
leaderboard sorts over every material the collectors and the catalog know
(more than the 10 000 it read before sorting), counts them in "total" and
says "truncated" when it shows fewer; the brief says when a prospect's
lists reached their ceiling."""

import csv
import io
import time

from dp import ADMIN, MARKETING, SALES, Env, check, eq, finish, settled, utc_day_for, view, wait_until

DAY = utc_day_for(120)


def auth(key):
    return {"Authorization": "Bearer " + key}


with Env(allow_anonymous="true") as env:
    srv, r = env.server, env.redis
    env.collector("lists")
    token = srv.mint("deck", "pat")
    # the material with the most views, one with fewer
    for i in range(3):
        eq(srv.post_json("/v1/events", {"session": "top-%d" % i, "token": token, "events":
                                        [view(1, material="top", slide="s1")]}).status, 202, "top")
    eq(srv.post_json("/v1/events", {"session": "second", "token": token, "events":
                                    [view(1, material="second", slide="s1")]}).status, 202, "second")
    check(wait_until(lambda: settled(r), 20, 0.1), "rolled up")
    # 12 000 more material ids the collectors know (no data in the range),
    # and one only the catalog knows
    r.cmd("SADD", "dp:{0}:materials", *["m%05d" % i for i in range(12000)])
    eq(srv.request("PUT", "/v1/materials/cat-only",
                   b'{"title":"Only in the catalog","slides":[{"slide":"a","title":"A"}]}',
                   dict(auth(ADMIN), **{"Content-Type": "application/json"})).status, 200,
       "a catalog-only material")
    total = 12000 + 3
    for _ in range(3):  # whatever order Redis gives the ids in
        b = srv.get("/v1/materials?sort=views&limit=3", auth(MARKETING)).json()
        eq([m["material"] for m in b["materials"]][:2], ["top", "second"],
           "the most viewed first, over every material")
        eq((b["total"], b["truncated"], len(b["materials"])), (total, True, 3),
           "total counted, the cut said")
    b = srv.get("/v1/materials?sort=material&order=asc&limit=2", auth(MARKETING)).json()
    eq([m["material"] for m in b["materials"]], ["cat-only", "m00000"],
       "the catalog-only material is in the list")
    b = srv.get("/v1/materials", auth(MARKETING)).json()
    eq((len(b["materials"]), b["total"], b["truncated"]), (1000, total, True),
       "JSON: 1000 rows unless ?limit=")
    resp = srv.get("/v1/materials.csv?sort=views", auth(MARKETING))
    rows = list(csv.reader(io.StringIO(resp.body.decode())))
    eq((len(rows) - 1, rows[1][0], rows[2][0]), (total, "top", "second"), "CSV: every material")
    eq((resp.header("x-total-count"), resp.header("x-truncated")), (str(total), "false"),
       "CSV: the count and that nothing was cut, in headers")
    resp = srv.get("/v1/materials.csv?sort=views&limit=5", auth(MARKETING))
    eq((resp.header("x-total-count"), resp.header("x-truncated")), (str(total), "true"),
       "CSV: a cut said in X-Truncated")
    b = srv.get("/v1/materials?limit=%d" % total, auth(MARKETING)).json()
    eq((len(b["materials"]), b["truncated"]), (total, False), "all of them: not truncated")
    resp = srv.get("/v1/materials?limit=0", auth(MARKETING))
    eq((resp.status, resp.json()), (400, {"error": "limit: must be an integer between 1 and 25000"}),
       "limit checked")
    # past DP_BOARD_MAX ids even the CSV is cut, and says so
    r.cmd("SADD", "dp:{0}:materials", *["n%05d" % i for i in range(14000)])
    r.cmd("HINCRBY", "dp:{0}:gen", "*", 1)
    check(wait_until(lambda: srv.get("/v1/materials.csv", auth(MARKETING)).header("x-truncated")
                     == "true", 10, 0.3), "CSV past 25 000 materials: X-Truncated: true")

# The hot list: 10 500 prospects seen more recently than a hot one (an
# ordinary newsletter's pixel opens): she is first (she was missing, read
# past a ceiling of 10 000); the list is read in chunks of 10 000. Past
# report_prospects_max (20 000 here) the list says it could not read them
# all; filtered by her account it is complete.
with Env(allow_anonymous="true", report_prospects_max="20000") as env:
    srv, r = env.server, env.redis
    env.collector("hot")
    token = srv.mint("deck-hot", "hot-jane", account="acme", owner="olga", campaign="spring")
    for i in range(4):
        eq(srv.post_json("/v1/events", {"session": "hj-%d" % i, "token": token, "events":
                                        [view(1, material="m", slide="s%d" % k, index=k)
                                         for k in range(3)]}).status, 202, "hot-jane")
    check(wait_until(lambda: settled(r), 20, 0.1), "rolled up")
    later = int(time.time() * 1000) + 3600000
    args = []
    for i in range(10500):
        args += [later + i, "reader-%05d" % i]
    r.cmd("ZADD", "dp:{0}:prospects", *args)
    r.cmd("HINCRBY", "dp:{0}:gen", "*", 1)
    b = srv.get("/v1/prospects?limit=1000", auth(SALES)).json()
    eq(([p["prospect"] for p in b["prospects"]][:1], b["total"], b["truncated"]),
       (["hot-jane"], 1, False), "after a newsletter's 10 500 opens she is on the hot list")
    args = []
    for i in range(10500, 20500):
        args += [later + i, "reader-%05d" % i]
    r.cmd("ZADD", "dp:{0}:prospects", *args)
    r.cmd("HINCRBY", "dp:{0}:gen", "*", 1)
    # (the answer before may be served while this one is computed: report_stale_ms)
    check(wait_until(lambda: srv.get("/v1/prospects?limit=1000", auth(SALES)).json()["truncated"],
                     10, 0.3), "past report_prospects_max the list says it did not read everyone")
    b = srv.get("/v1/prospects?account=acme", auth(SALES)).json()
    eq(([p["prospect"] for p in b["prospects"]], b["truncated"]), (["hot-jane"], False),
       "filtered by account: complete, she is there")
    b = srv.get("/v1/prospects?account=acme&owner=olga", auth(SALES)).json()
    eq([p["prospect"] for p in b["prospects"]], ["hot-jane"], "and by her owner within it")
    for q in ("owner=olga", "campaign=spring"):
        b = srv.get("/v1/prospects?" + q, auth(SALES)).json()
        eq([p["prospect"] for p in b["prospects"]], ["hot-jane"],
           "filtered by %s: she is there, found through its own set" % q)
    eq(sorted(r.cmd("SMEMBERS", "dp:{0}:oprospects:olga")), ["hot-jane"], "the owner's set")
    # erasing her takes her out of the account's, owner's and campaign's sets
    eq(srv.request("DELETE", "/v1/prospects/hot-jane", "", auth(ADMIN)).status, 200, "erased")
    eq([r.cmd("SISMEMBER", "dp:{0}:%s" % k, "hot-jane") for k in
        ("aprospects:acme", "oprospects:olga", "cprospects:spring")], [0, 0, 0],
       "no set names her after the erasure")

# The brief: a prospect with more distinct slides than it keeps says so.
with Env(allow_anonymous="true", max_events="500") as env:
    srv, r = env.server, env.redis
    # (one presentation names them all: past the default ceiling of 500)
    env.collector("brief", extra=["--max_slides_per_presentation", "5000"])
    token = srv.mint("deck-big", "wide-will")
    n = 4100
    for start in range(0, n, 500):
        evs = [view(k + 1, material="big", slide="s%04d" % k) for k in range(start, min(n, start + 500))]
        eq(srv.post_json("/v1/events", {"session": "wide", "token": token, "events": evs}).status,
           202, "batch from %d" % start)
    check(wait_until(lambda: settled(r), 60, 0.2), "rolled up")
    b = srv.get("/v1/prospects/wide-will", auth(SALES)).json()
    eq((b["sessions"], len(b["slides"]), b["truncated"]), (1, 4096, True),
       "the brief shows 4 096 slides and says it is cut")
    token = srv.mint("deck-small", "narrow-nell")
    eq(srv.post_json("/v1/events", {"session": "narrow", "token": token, "events":
                                    [view(1, material="m", slide="a")]}).status, 202, "nell")
    check(wait_until(lambda: settled(r), 20, 0.1), "rolled up")
    eq(srv.get("/v1/prospects/narrow-nell", auth(SALES)).json()["truncated"], False,
       "a brief with everything says so")

finish()
