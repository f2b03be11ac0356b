"""What one link token or one anonymous page can make deckpulse count or
hold (issue 19), each rule as the README states it:

- the score: one day of a prospect counts at most score_sessions_per_day
  sessions and score_actions_per_day actions (20 sessions through one link
  made a prospect hot);
"""

from dp import SALES, Env, check, eq, finish, settled, utc_day_for, view, wait_until

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

finish()
