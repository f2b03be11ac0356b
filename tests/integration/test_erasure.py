"""DELETE /v1/prospects/{id} at real volumes and with awkward ids (issue 19):

- ':' is the key separator and is allowed in ids: prospect "acme" viewing
  material "jane:q3" and prospect "acme:jane" viewing "q3" wrote one key,
  and erasing "acme" deleted the other's slides seen;
- the erasure deleted one key per material of the whole set (past
  redis_timeout_ms at ~1.7 M materials): it touches the prospect's own keys
  only (counted here in Redis's own command statistics, not in time);
- a prospect whose links named other owners, accounts and campaigns over
  time is taken out of every one of their sets, not only the latest's.
"""

from dp import ADMIN, SALES, Env, check, eq, finish, settled, utc_day_for, view, wait_until

DAY = utc_day_for(120)


def auth(key):
    return {"Authorization": "Bearer " + key}


def calls(r, cmd):
    for line in r.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_%s:" % cmd):
            return int(line.split("calls=")[1].split(",")[0])
    return 0


with Env() as env:
    srv, r = env.server, env.redis
    env.collector("erase")
    first = srv.mint("deck-1", "acme", account="acct-old", owner="olga", campaign="spring")
    later = srv.mint("deck-2", "acme", account="acct-new", owner="pete", campaign="fall")
    other = srv.mint("deck-3", "acme:jane", account="acct-new", owner="pete")
    for sid, tok, mat, slides in (("s1", first, "jane:q3", ["a", "b"]), ("s2", later, "q3", ["c"]),
                                  ("s3", other, "q3", ["x", "y", "z"])):
        eq(srv.post_json("/v1/events", {"session": sid, "token": tok, "events": [
            view(i + 1, material=mat, slide=s) for i, s in enumerate(slides)]}).status, 202, sid)
    check(wait_until(lambda: settled(r, sessions_ended=False), 20, 0.1), "rolled up")

    def seen(pr):
        b = srv.get("/v1/prospects/%s?from=%s&to=%s" % (pr, DAY, DAY), auth(SALES)).json()
        return {m["material"]: m["slides_seen"] for m in b.get("materials", [])}
    eq(seen("acme"), {"jane:q3": 2, "q3": 1}, "acme's slides seen, each material its own")
    eq(seen("acme:jane"), {"q3": 3}, "acme:jane's, not mixed with acme's jane:q3")
    # a million-material set is not walked: add 200 000 ids, count DELs
    ids = ["bulk-%06d" % i for i in range(200000)]
    for i in range(0, len(ids), 10000):
        r.cmd("SADD", "dp:{0}:materials", *ids[i:i + 10000])
    dels = calls(r, "del")
    resp = srv.request("DELETE", "/v1/prospects/acme", b"", auth(ADMIN))
    eq(resp.status, 200, "erased")
    check(calls(r, "del") - dels < 100,
          "the erasure deleted the prospect's own keys, not one per material (%d DELs)"
          % (calls(r, "del") - dels))
    check(resp.json()["keys"] >= 6, "its keys counted: %r" % resp.json())
    eq(seen("acme:jane"), {"q3": 3}, "acme:jane's slides seen survive acme's erasure")
    eq(r.cmd("EXISTS", "dp:{0}:pseen:acme:jane|q3", "dp:{0}:pseen:acme:q3"), 0,
       "acme's slides seen are gone")
    eq([r.cmd("SISMEMBER", "dp:{0}:%s" % k, "acme") for k in
        ("aprospects:acct-old", "aprospects:acct-new", "oprospects:olga", "oprospects:pete",
         "cprospects:spring", "cprospects:fall")], [0] * 6,
       "out of every account, owner and campaign set its links ever named")
    eq([r.cmd("SISMEMBER", "dp:{0}:%s" % k, "acme:jane") for k in
        ("aprospects:acct-new", "oprospects:pete")], [1, 1], "the other prospect stays in hers")
    # a prospect last written by an earlier version (no pmats:, no "pm"),
    # whose day counters are gone (retention): its slides seen still go
    r.cmd("HSET", "dp:{0}:prospect:old-olga", "first_seen", "1", "last_seen", "2")
    r.cmd("SADD", "dp:{0}:pseen:old-olga:bulk-000123", "s1")
    r.cmd("ZADD", "dp:{0}:prospects", "2", "old-olga")
    eq(srv.request("DELETE", "/v1/prospects/old-olga", b"", auth(ADMIN)).status, 200, "erased")
    eq(r.cmd("EXISTS", "dp:{0}:pseen:old-olga:bulk-000123", "dp:{0}:prospect:old-olga"), 0,
       "an earlier version's prospect: every material tried, its slides seen gone")
    check(r.cmd("HGET", "dp:{0}:prospect:acme:jane", "pm") == "1",
          "this version marks the prospects whose materials it lists")

finish()
