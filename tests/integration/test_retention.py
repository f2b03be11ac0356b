"""Retention, enforced by the collector: per-day aggregates (materials,
slides, viewers, prospects) of days older than retention_days and raw
archive days older than retention_archive_days are deleted; newer days are
untouched and the reports show only them."""

import hashlib
import os
import subprocess
import time

from dp import MARKETING, Env, check, eq, finish, wait_until

COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
DAYMS = 86400000
TODAY = int(time.time() * 1000) // DAYMS
OLD, NEW = TODAY - 10, TODAY
day = lambda d: time.strftime("%Y-%m-%d", time.gmtime(d * 86400))


def settled(r):
    try:
        g = r.cmd("XINFO", "GROUPS", "dp:{0}:events")
    except RuntimeError:
        return False
    g = dict(zip(g[0][::2], g[0][1::2])) if g else {}
    return g.get("lag") == 0 and g.get("pending") == 0 and r.cmd("ZCARD", "dp:{0}:open") == 0


def collector(env, *extra):
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    p = subprocess.Popen([COLLECTOR, "--redis", env.redis.url(), "--data_dir",
                          env.server.data_dir, "--session_timeout_ms", "1000",
                          "--log_level", "info"] + list(extra), stdout=log, stderr=log)
    env.children.append(p)
    return p


with Env(access_log="false") as env:
    r = env.redis
    c = collector(env)
    check(wait_until(lambda: r.cmd("EXISTS", "dp:{0}:events") == 1, 10), "group made")
    for sid, d, pr in (("old", OLD, "olda"), ("new", NEW, "newb")):
        base = d * DAYMS + 3600000
        viewer = "a:" + hashlib.md5(sid.encode()).hexdigest()
        for seq, (t, extra) in enumerate((("open", ["slides", "2"]),
                                          ("view", ["material", "q3", "slide", "intro",
                                                    "version", "1", "index", "0"]),
                                          ("dwell", ["material", "q3", "slide", "intro",
                                                     "version", "1", "ms", "4000"]),
                                          ("close", [])), 1):
            r.cmd("XADD", "dp:{0}:events", "*", "v", "1", "received", str(base + seq),
                  "source", "test", "session", sid, "seq", str(seq), "type", t,
                  "at", str(base + seq), "mode", "self", "presentation", "deck-" + pr,
                  "prospect", pr, "viewer", viewer, *extra)
    check(wait_until(lambda: settled(r), 20, 0.1), "collector caught up")
    c.terminate()
    c.wait(20)
    archive = os.path.join(env.server.data_dir, "archive")
    eq(sorted(os.listdir(archive)), [day(OLD), day(NEW)], "both days archived")
    old_keys = ["dp:{0}:slides:q3:%s:self" % day(OLD), "dp:{0}:mat:q3:%s:self" % day(OLD),
                "dp:{0}:mv:q3:%s:self" % day(OLD), "dp:{0}:sv:q3:intro:1:%s:self" % day(OLD),
                "dp:{0}:pd:olda:%s:self" % day(OLD), "dp:{0}:pvd:deck-olda:%s" % day(OLD)]
    new_keys = [k.replace(day(OLD), day(NEW)).replace("olda", "newb") for k in old_keys]
    eq([r.cmd("EXISTS", k) for k in old_keys + new_keys], [1] * 12, "all there before")

    # deal outcomes: one closed ten days ago, one today
    from dp import ADMIN
    import json as _json
    body = {"outcomes": [
        {"deal": "old-deal", "prospects": ["olda", "x"], "account": "acme", "owner": "olga",
         "stage": "won", "at": OLD * DAYMS + 1000},
        {"deal": "new-deal", "prospects": ["newb"], "account": "acme", "stage": "open",
         "at": NEW * DAYMS + 1000}]}
    eq(env.server.request("POST", "/v1/outcomes", _json.dumps(body).encode(),
                          {"Authorization": "Bearer " + ADMIN,
                           "Content-Type": "application/json"}).status, 200, "outcomes")

    c = collector(env, "--retention_days", "5", "--retention_archive_days", "5")
    check(wait_until(lambda: r.cmd("EXISTS", old_keys[0]) == 0, 10, 0.1),
          "retention ran at the collector's first tick")
    eq([r.cmd("EXISTS", k) for k in old_keys], [0] * 6, "the old day's aggregates are gone")
    eq([r.cmd("EXISTS", k) for k in new_keys], [1] * 6, "today's stay")
    eq(r.cmd("SMEMBERS", "dp:{0}:days:q3"), [day(NEW)], "the material's days")
    eq(r.cmd("SMEMBERS", "dp:{0}:pdays:olda"), [], "the prospect's days")
    eq(os.listdir(archive), [day(NEW)], "the old archive day is gone")
    eq([r.cmd("EXISTS", "dp:{d}:%s:old-deal" % k) for k in ("deal", "dealh", "dealv")], [0, 0, 0],
       "the old deal and its history are gone")
    eq((r.cmd("ZRANGE", "dp:{d}:deals", "0", "-1"), r.cmd("SMEMBERS", "dp:{d}:adeals:acme"),
        r.cmd("EXISTS", "dp:{d}:pdeals:olda", "dp:{d}:pdeals:x", "dp:{d}:odeals:olga")),
       (["new-deal"], ["new-deal"], 0), "and its place in every set; today's deal stays")
    rep = env.server.get("/v1/materials/q3?from=%s&to=%s" % (day(OLD), day(NEW)),
                         {"Authorization": "Bearer " + MARKETING}).json()
    eq((rep["sessions"], rep["views"], rep["dwell_ms_total"]), (1, 1, 4000),
       "the report has only the kept day")
    c.terminate()
    eq(c.wait(20), 0, "collector exit code")
    check("retention: deleted 3 day(s) of aggregates" in
          open(os.path.join(env.tmp, "collector.log")).read(), "logged")

finish()
