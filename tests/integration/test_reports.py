"""The report API against known events: stream entries written with chosen
receive days (so the data spans several days), rolled up by the real
collector, then every report checked number for number against a recount
made here; CSV parsed back with libcsv, gzip inflated, ETags honoured; the
auth matrix (each role on each route); each bad parameter; the catalog with
a bad CSV line."""

import gzip
import hashlib
import json
import os
import signal
import subprocess
import time

from dp import (ADMIN, MARKETING, SALES, Env, check, eq, finish, libcsv_rows, make_request,
                metric, settled, wait_until)
from oracle import Within, r3

COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
DAYMS = 86400000
TODAY = int(time.time() * 1000) // DAYMS
D = [TODAY - 2, TODAY - 1, TODAY]  # the three days with data


def day(d):
    return time.strftime("%Y-%m-%d", time.gmtime(d * 86400))


def auth(key):
    return {"Authorization": "Bearer " + key}


# ---- the events ----
# (session, day, mode, presentation, prospect, account, campaign, owner, viewer, events)
# events: (type, material, slide, version, index/ms/name/slides)
SESSIONS = [
    ("s1", 2, "self", "deck-jane", "jane", "acme", "spring", "olga", "b-jane",
     [("open", None, None, None, 4), ("view", "q3", "intro", 1, 0), ("dwell", "q3", "intro", 1, 4000),
      ("view", "q3", "roi", 2, 1), ("dwell", "q3", "roi", 2, 12000),
      ("action", "q3", "roi", 2, "book-demo"), ("view", "q3", "pricing", 1, 2),
      ("dwell", "q3", "pricing", 1, 3000), ("view", "q3", "close", 1, 3),
      ("dwell", "q3", "close", 1, 1000), ("close", None, None, None, None)]),
    ("s2", 1, "live", "deck-bob", "bob", "acme", "spring", "pete", "b-bob",
     [("open", None, None, None, 4), ("view", "q3", "intro", 1, 0), ("dwell", "q3", "intro", 1, 2000),
      ("view", "q3", "roi", 1, 1), ("dwell", "q3", "roi", 1, 30000),
      ("close", None, None, None, None)]),
    ("s3", 0, "self", "public", "", "", "", "", "a:anon1",
     [("open", None, None, None, 4), ("view", "q3", "intro", 1, 0), ("dwell", "q3", "intro", 1, 500)]),
    ("s4", 2, "self", "deck-jane", "jane", "acme", "spring", "olga", "b-jane",
     [("open", None, None, None, 4), ("view", "q3", "intro", 1, 0), ("dwell", "q3", "intro", 1, 6000),
      ("view", "q3", "roi", 2, 1), ("dwell", "q3", "roi", 2, 8000), ("close", None, None, None, None)]),
    # a second browser opens bob's deck on the same day: forwarded
    ("s5", 1, "live", "deck-bob", "bob", "acme", "spring", "pete", "b-bob-2",
     [("open", None, None, None, 4), ("view", "q3", "intro", 1, 0), ("close", None, None, None, None)]),
    ("s6", 0, "self", "deck-carl", "carl", "globex", "fall", "olga", "b-carl",
     [("open", None, None, None, 2), ("view", "onb", "welcome", 1, 0),
      ("dwell", "onb", "welcome", 1, 60000), ("close", None, None, None, None)]),
    ("s7", 2, "self", "deck-dana", "dana", "globex", "fall", "pete", "b-dana",
     [("open", None, None, None, 2), ("view", "onb", "welcome", 1, 0),
      ("dwell", "onb", "welcome", 1, 1500), ("view", "onb", "setup", 1, 1),
      ("dwell", "onb", "setup", 1, 2500), ("close", None, None, None, None)]),
]


def vid(name):
    """An anonymous viewer id as the server makes them: "a:" + 32 hex digits."""
    return "a:" + hashlib.md5(name.encode()).hexdigest()


def entries():
    out = []
    for sid, di, mode, pres, pr, acct, camp, owner, viewer, evs in SESSIONS:
        received = D[di] * DAYMS + 3600000
        for seq, (t, m, s, v, x) in enumerate(evs, 1):
            f = {"v": "1", "received": str(received + seq), "source": "test", "session": sid,
                 "seq": str(seq), "type": t, "at": str(received + seq * 1000), "mode": mode,
                 "presentation": pres, "viewer": vid(viewer)}
            for name, val in (("prospect", pr), ("account", acct), ("campaign", camp),
                              ("owner", owner)):
                if val:
                    f[name] = val
            if m:
                f.update(material=m, slide=s, version=str(v))
            if t == "open":
                f["slides"] = str(x)
            elif t == "view":
                f["index"] = str(x)
            elif t == "dwell":
                f["ms"] = str(x)
            elif t == "action":
                f["name"] = x
            out.append(f)
    return out


def expect_material(mat, days, modes):
    """The material report recounted from SESSIONS."""
    rows, tot = {}, {"sessions": 0, "completed": 0, "views": 0, "dwell": [], "who": set()}
    deep, per_day = {}, {d: [0, 0] for d in days}
    for sid, di, mode, pres, pr, acct, camp, owner, viewer, evs in SESSIONS:
        if D[di] not in days or mode not in modes:
            continue
        views = [e for e in evs if e[0] == "view" and e[1] == mat]
        if not views:
            continue
        slides = evs[0][4]
        tot["sessions"] += 1
        per_day[D[di]][1] += 1
        allviews = [e for e in evs if e[0] == "view"]
        tot["completed"] += any(e[4] == slides - 1 for e in allviews)
        d = max(e[4] for e in views)
        deep[d] = deep.get(d, 0) + 1
        last = allviews[-1]
        seen = set()
        for t, m, s, v, x in evs:
            if m != mat:
                continue
            r = rows.setdefault((s, v), {"views": 0, "sessions": 0, "dwell": [], "exits": 0,
                                         "who": set(), "actions": {}})
            if t == "view":
                r["views"] += 1
                r["who"].add(pr or vid(viewer))
                tot["views"] += 1
                tot["who"].add(pr or vid(viewer))
                per_day[D[di]][0] += 1
                if (s, v) not in seen:
                    seen.add((s, v))
                    r["sessions"] += 1
            elif t == "dwell":
                r["dwell"].append(x)
                tot["dwell"].append(x)
            elif t == "action":
                r["actions"][x] = r["actions"].get(x, 0) + 1
        if last[1] == mat:
            rows[(last[2], last[3])]["exits"] += 1

    def dwell_stats(ms):
        return (sum(ms), (int(sum(ms) / len(ms) + 0.5) if ms else None), Within.of(ms, 0.5),
                Within.of(ms, 0.9))

    out_rows = {}
    for (s, v), r in rows.items():
        total, avg, med, p90 = dwell_stats(r["dwell"])
        out_rows[(s, v)] = {"views": r["views"], "viewers": len(r["who"]),
                            "sessions": r["sessions"], "dwell_ms_total": total,
                            "dwell_ms_avg": avg, "dwell_ms_median": med, "dwell_ms_p90": p90,
                            "exits": r["exits"],
                            "drop_off_rate": r3(r["exits"] / r["sessions"]) if r["sessions"] else None,
                            "actions": r["actions"]}
    total, avg, med, p90 = dwell_stats(tot["dwell"])
    reach, funnel = sum(deep.values()), []
    for k in range(max(deep) + 1 if deep else 0):
        funnel.append({"position": k, "sessions": reach,
                       "share": r3(reach / tot["sessions"])})
        reach -= deep.get(k, 0)
    return {"sessions": tot["sessions"], "completed": tot["completed"],
            "completion_rate": r3(tot["completed"] / tot["sessions"]) if tot["sessions"] else None,
            "views": tot["views"], "viewers": len(tot["who"]), "dwell_ms_total": total,
            "dwell_ms_avg": avg, "dwell_ms_median": med, "dwell_ms_p90": p90,
            "rows": out_rows, "funnel": funnel,
            "days": [{"date": day(d), "views": per_day[d][0], "sessions": per_day[d][1]}
                     for d in sorted(days)]}


CATALOG_Q3 = {"title": "Q3 pricing", "slides": [
    {"slide": "intro", "title": "Welcome"}, {"slide": "roi", "title": "=ROI calculator", "version": 2},
    {"slide": "pricing", "title": "Pricing, plans"}, {"slide": "close", "title": "Next steps"},
    {"slide": "faq", "title": "FAQ"}]}


SETTINGS = dict(access_log="false", start_collector="false", score_hot="22", score_warm="20")

with Env(**SETTINGS) as env:
    srv, r = env.server, env.redis
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    col = subprocess.Popen([COLLECTOR, "--redis", r.url(), "--data_dir", srv.data_dir,
                            "--session_timeout_ms", "1000", "--log_level", "warn"],
                           stdout=log, stderr=log)
    env.children.append(col)
    check(wait_until(lambda: r.cmd("EXISTS", "dp:{0}:events") == 1, 10), "consumer group made")

    # ---- the catalog ----
    eq(srv.request("PUT", "/v1/materials/q3", json.dumps(CATALOG_Q3),
                   dict(auth(MARKETING), **{"Content-Type": "application/json"})).json(),
       {"materials": 1, "slides": 5}, "PUT a material")
    bad_csv = ("material,title,slide,slide_title,version\n"
               "onb,Onboarding,welcome,Welcome,1\n"
               "onb,Onboarding,setup,Setup,two\n")
    resp = srv.request("POST", "/v1/catalog", bad_csv, dict(auth(ADMIN), **{"Content-Type": "text/csv"}))
    eq((resp.status, resp.json().get("error")),
       (400, "line 3: version: must be an integer between 1 and 1000000"), "catalog bad line")
    eq(r.cmd("EXISTS", "dp:{c}:material:onb"), 0, "nothing of a refused import is stored")
    good_csv = ("material,title,slide,slide_title,version\r\n"
                "onb,Onboarding,welcome,Welcome,1\r\n"
                "onb,Onboarding,setup,\"Setup, step 1\",1\r\n"
                "onb,Onboarding,done,Done,1\r\n")
    eq(srv.request("POST", "/v1/catalog", good_csv,
                   dict(auth(ADMIN), **{"Content-Type": "text/csv"})).json(),
       {"materials": 1, "slides": 3}, "catalog import")

    # ---- the events, with chosen receive days ----
    for f in entries():
        args = ["XADD", "dp:{0}:events", "*"]
        for k, v in f.items():
            args += [k, v]
        r.cmd(*args)
    check(wait_until(lambda: settled(r), 30, 0.1), "collector caught up")

    ALL = ("self", "live")
    RANGE = "from=%s&to=%s" % (day(D[0]), day(D[2]))

    def check_material(q, days, modes):
        resp = srv.get("/v1/materials/q3?" + q, auth(MARKETING))
        eq(resp.status, 200, "material report " + q)
        got, want = resp.json(), expect_material("q3", days, modes)
        for k in ("sessions", "completed", "completion_rate", "views", "viewers", "dwell_ms_total",
                  "dwell_ms_avg", "dwell_ms_median", "dwell_ms_p90"):
            eq(got[k], want[k], "material %s (%s)" % (k, q))
        eq(got["material"], "q3", "material id")
        eq(got["title"], "Q3 pricing", "material title from the catalog")
        wd = {d["date"]: d for d in want["days"]}
        eq([d for d in got["days"] if d["date"] in wd], want["days"], "daily trend (%s)" % q)
        check(all(d["views"] == 0 == d["sessions"] for d in got["days"] if d["date"] not in wd),
              "no data on the other days (%s)" % q)
        span = [day(d) for d in range(TODAY - 400, TODAY + 1)]
        eq([d["date"] for d in got["days"]],
           span[span.index(got["from"]):span.index(got["to"]) + 1], "a row for every day (%s)" % q)
        if "from=" not in q:
            eq((got["from"], got["to"]), (day(TODAY - 29), day(TODAY)), "the last 30 days by default")
        eq(got["funnel"], want["funnel"], "funnel (%s)" % q)
        rows = {(x["slide"], x["version"]): x for x in got["slides"]}
        for key, w in want["rows"].items():
            g = rows.get(key)
            check(g is not None, "row %s (%s)" % (key, q))
            if g:
                eq({k: g[k] for k in w}, w, "slide %s v%d (%s)" % (key[0], key[1], q))
        return got

    got = check_material(RANGE, D, ALL)
    # every catalog slide has a row, in deck order, with its title; versions
    # without a catalog entry follow their slide
    eq([(x["slide"], x["version"], x["title"], x["position"]) for x in got["slides"]],
       [("intro", 1, "Welcome", 0), ("roi", 1, "=ROI calculator", 1),
        ("roi", 2, "=ROI calculator", 1), ("pricing", 1, "Pricing, plans", 2),
        ("close", 1, "Next steps", 3), ("faq", 1, "FAQ", 4)], "slide rows in deck order")
    eq(got["slides"][5]["views"], 0, "a catalog slide nobody viewed has a row of zeros")
    # hand-checked: 5 sessions of q3, 1 completed; roi v2: 12000 + 8000 ms
    eq((got["sessions"], got["completed"], got["completion_rate"]), (5, 1, 0.2), "by hand")
    eq(got["slides"][2]["dwell_ms_total"], 20000, "roi v2 dwell by hand")
    eq(got["slides"][2]["actions"], {"book-demo": 1}, "roi v2 actions")
    check_material(RANGE + "&mode=self", D, ("self",))
    check_material(RANGE + "&mode=live", D, ("live",))
    check_material("from=%s&to=%s" % (day(D[1]), day(D[1])), [D[1]], ALL)
    check_material("", D, ALL)  # the default: the last 30 days

    # CSV, parsed back with libcsv; the formula in a title is neutralised
    for path in ("/v1/materials/q3?%s&format=csv" % RANGE, "/v1/materials/q3.csv?" + RANGE):
        resp = srv.get(path, auth(MARKETING))
        eq((resp.status, resp.header("content-type")), (200, "text/csv; charset=utf-8"), path)
        rows = libcsv_rows(resp.body)
        eq(rows[0], ["slide", "version", "title", "position", "views", "viewers", "sessions",
                     "dwell_ms_total", "dwell_ms_avg", "dwell_ms_median", "dwell_ms_p90",
                     "exits", "drop_off_rate", "actions", "deals_influenced", "won", "win_rate"],
           "CSV header")
        j = {(x["slide"], x["version"]): x for x in got["slides"]}
        for row in rows[1:]:
            x = j[(row[0], int(row[1]))]
            want = [x["slide"], str(x["version"]),
                    ("'" + x["title"]) if x["title"].startswith("=") else x["title"],
                    str(x["position"]), str(x["views"]), str(x["viewers"]), str(x["sessions"]),
                    str(x["dwell_ms_total"])] + [
                None if x[k] is None else str(x[k]) for k in
                ("dwell_ms_avg", "dwell_ms_median", "dwell_ms_p90")] + [
                str(x["exits"]), None if x["drop_off_rate"] is None else "%.3f" % x["drop_off_rate"],
                ";".join("%s:%d" % kv for kv in sorted(x["actions"].items()))] + [
                str(x["deals_influenced"]), str(x["won"]),
                None if x["win_rate"] is None else "%.3f" % x["win_rate"]]
            eq(row, want, "CSV row %s" % row[0])
        eq(len(rows), 7, "CSV rows")
    rows = libcsv_rows(srv.get("/v1/materials/q3.csv?%s&table=days" % RANGE, auth(MARKETING)).body)
    eq(rows, [["date", "views", "sessions"]] + [[d["date"], str(d["views"]), str(d["sessions"])]
                                                 for d in got["days"]], "CSV days")
    rows = libcsv_rows(srv.get("/v1/materials/q3.csv?%s&table=funnel" % RANGE, auth(MARKETING)).body)
    eq(rows, [["position", "sessions", "share"]] + [
        [str(f["position"]), str(f["sessions"]), "%.3f" % f["share"]] for f in got["funnel"]],
       "CSV funnel")

    # Accept: text/csv is CSV too, the same as ?format=csv
    acc = srv.get("/v1/materials/q3?" + RANGE, dict(auth(MARKETING), Accept="text/csv"))
    eq((acc.status, acc.header("content-type"), acc.body),
       (200, "text/csv; charset=utf-8",
        srv.get("/v1/materials/q3?%s&format=csv" % RANGE, auth(MARKETING)).body),
       "Accept: text/csv answers the CSV")
    acc = srv.get("/v1/prospects?" + RANGE, dict(auth(SALES), Accept="text/html, text/csv;q=0.9"))
    eq((acc.status, acc.header("content-type"), libcsv_rows(acc.body)[0][0]),
       (200, "text/csv; charset=utf-8", "prospect"), "text/csv among other types")
    acc = srv.get("/v1/materials?" + RANGE, dict(auth(MARKETING), Accept="application/json"))
    eq(acc.header("content-type"), "application/json", "Accept: application/json stays JSON")

    # gzip and ETag
    plain = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING))
    z = srv.get("/v1/materials/q3?" + RANGE, dict(auth(MARKETING), **{"Accept-Encoding": "gzip"}))
    eq(z.header("content-encoding"), "gzip", "gzip when accepted")
    eq(gzip.decompress(z.body), plain.body, "gzip inflates to the same report")
    etag = plain.header("etag")
    check(etag and etag != z.header("etag"), "ETags differ by encoding")
    nm = srv.get("/v1/materials/q3?" + RANGE, dict(auth(MARKETING), **{"If-None-Match": etag}))
    eq((nm.status, nm.body), (304, b""), "If-None-Match answers 304")

    # ---- the leaderboard ----
    resp = srv.get("/v1/materials?" + RANGE, auth(MARKETING))
    eq(resp.status, 200, "leaderboard")
    board = resp.json()
    mats = {m["material"]: m for m in board["materials"]}
    q3, onb = expect_material("q3", D, ALL), expect_material("onb", D, ALL)
    for mid, w in (("q3", q3), ("onb", onb)):
        for k in ("views", "sessions", "viewers", "dwell_ms_total", "dwell_ms_median",
                  "completion_rate", "completed"):
            eq(mats[mid][k], w[k], "leaderboard %s %s" % (mid, k))
    eq(mats["onb"]["title"], "Onboarding", "leaderboard title")
    eq([m["material"] for m in board["materials"]], ["q3", "onb"], "sorted by views")
    eq(mats["q3"]["previous"]["views"], 0, "nothing in the previous period")
    eq(mats["q3"]["change"]["views"], None, "no change against nothing")
    # day 2 against day 1: the previous period of one day
    one = srv.get("/v1/materials?from=%s&to=%s" % (day(D[2]), day(D[2])), auth(MARKETING)).json()
    m1 = {m["material"]: m for m in one["materials"]}
    cur, prev = expect_material("q3", [D[2]], ALL), expect_material("q3", [D[1]], ALL)
    eq((m1["q3"]["views"], m1["q3"]["previous"]["views"]), (cur["views"], prev["views"]),
       "views against the previous day")
    eq(m1["q3"]["change"]["views"], r3((cur["views"] - prev["views"]) / prev["views"]),
       "change in views")
    eq(one["previous_from"], day(D[1]), "previous period")
    srt = srv.get("/v1/materials?%s&sort=material&order=desc" % RANGE, auth(MARKETING)).json()
    eq([m["material"] for m in srt["materials"]], ["q3", "onb"], "sort=material&order=desc")
    srt = srv.get("/v1/materials?%s&sort=dwell_ms_total&order=asc" % RANGE, auth(MARKETING)).json()
    eq([m["material"] for m in srt["materials"]],
       sorted(["q3", "onb"], key=lambda x: expect_material(x, D, ALL)["dwell_ms_total"]),
       "sort by dwell, ascending")
    rows = libcsv_rows(srv.get("/v1/materials.csv?" + RANGE, auth(MARKETING)).body)
    eq(rows[0][:9], ["material", "title", "views", "sessions", "viewers", "dwell_ms_total",
                     "dwell_ms_median", "completion_rate", "completed"], "leaderboard CSV header")
    eq(rows[1][:5], ["q3", "Q3 pricing", str(q3["views"]), str(q3["sessions"]),
                     str(q3["viewers"])], "leaderboard CSV row")

    # ---- prospects ----
    def score(dwell, completions, sessions, forwarded, actions, age):
        pts = 2 * dwell / 60000 + 10 * completions + 5 * max(0, sessions - 1) + 15 * forwarded + 8 * actions
        return round(pts * 0.5 ** (age / 14) + 1e-9, 1)

    want_scores = {"jane": score(34000, 1, 2, 0, 1, 0), "bob": score(32000, 0, 2, 1, 0, 1),
                   "carl": score(60000, 0, 1, 0, 0, 2), "dana": score(4000, 1, 1, 0, 0, 0)}
    temp = lambda s: "hot" if s >= 22 else "warm" if s >= 20 else "cold"
    resp = srv.get("/v1/prospects?" + RANGE, auth(SALES))
    eq(resp.status, 200, "hot list")
    hot = resp.json()["prospects"]
    eq([p["prospect"] for p in hot], sorted(want_scores, key=lambda p: -want_scores[p]),
       "hot list by score")
    for p in hot:
        eq((p["score"], p["temperature"]), (want_scores[p["prospect"]], temp(want_scores[p["prospect"]])),
           "score of " + p["prospect"])
    eq({p["prospect"]: p["account"] for p in hot},
       {"jane": "acme", "bob": "acme", "carl": "globex", "dana": "globex"}, "accounts")
    for q, want in (("owner=olga", ["jane", "carl"]), ("account=globex", ["dana", "carl"]),
                    ("campaign=spring&owner=pete", ["bob"]), ("limit=1", ["jane"])):
        got = [p["prospect"] for p in srv.get("/v1/prospects?%s&%s" % (RANGE, q), auth(SALES)).json()["prospects"]]
        eq(sorted(got), sorted(want), "hot list filtered by " + q)
    rows = libcsv_rows(srv.get("/v1/prospects.csv?" + RANGE, auth(SALES)).body)
    eq(rows[0][:6], ["prospect", "account", "owner", "campaign", "score", "temperature"],
       "hot list CSV header")
    eq([x[0] for x in rows[1:]], [p["prospect"] for p in hot], "hot list CSV rows")

    # the brief
    resp = srv.get("/v1/prospects/jane?" + RANGE, auth(SALES))
    eq(resp.status, 200, "brief")
    b = resp.json()
    eq((b["prospect"], b["account"], b["owner"], b["campaign"]), ("jane", "acme", "olga", "spring"),
       "brief identity")
    eq((b["score"], b["temperature"]), (want_scores["jane"], "hot"), "brief score")
    parts = {p["part"]: p for p in b["score_explained"]["parts"]}
    eq((parts["completions"]["value"], parts["completions"]["weight"], parts["completions"]["points"]),
       (1, 10, 10), "score part: completions")
    eq((parts["revisits"]["points"], parts["actions"]["points"]), (5, 8), "score parts")
    eq(b["score_explained"]["decay"], 1, "seen today: no decay")
    eq((b["sessions"], b["views"], b["dwell_ms_total"]), (2, 6, 34000), "brief totals")
    eq(b["first_seen"], D[2] * DAYMS + 3600000 + 1, "first seen")
    eq(b["materials"], [{"material": "q3", "title": "Q3 pricing", "dwell_ms_total": 34000,
                         "slides_seen": 4, "slides_total": 5, "completed": 1}], "brief materials")
    eq([(s["slide"], s["version"], s["dwell_ms_total"]) for s in b["slides"]],
       [("roi", 2, 20000), ("intro", 1, 10000), ("pricing", 1, 3000), ("close", 1, 1000)],
       "slides by dwell")
    eq(b["slides"][0]["title"], "=ROI calculator", "slide titles in the brief")
    eq([(s["material"], s["slide"]) for s in b["skipped"]], [("q3", "faq")], "slides skipped")
    eq(b["actions"], {"book-demo": 1}, "brief actions")
    eq(len(b["timeline"]), 17, "timeline: every event of jane's two sessions")
    eq((b["timeline"][0]["type"], b["timeline"][-1]["type"]), ("close", "open"), "newest first")
    since = D[2] * DAYMS + 3600000 + 5 * 1000  # s4's events after its seq 5 are new
    nb = srv.get("/v1/prospects/jane?%s&since=%d" % (RANGE, since), auth(SALES)).json()["new_since"]
    new = [e for e in b["timeline"] if e["at"] > since]
    eq((nb["events"], nb["views"], nb["complete"]),
       (len(new), sum(e["type"] == "view" for e in new), True), "new since")
    eq(nb["dwell_ms_total"], sum(e.get("ms", 0) for e in new), "new dwell since")
    carl = srv.get("/v1/prospects/carl?" + RANGE, auth(SALES)).json()
    eq((carl["score"], carl["score_explained"]["age_days"]), (want_scores["carl"], 2),
       "the score decays with the days since last seen")
    rows = libcsv_rows(srv.get("/v1/prospects/jane.csv?" + RANGE, auth(SALES)).body)
    eq(rows[1][:6], ["q3", "roi", "2", "'=ROI calculator", "2", "20000"], "brief CSV slides")

    # account and presentation
    a = srv.get("/v1/accounts/acme?" + RANGE, auth(SALES)).json()
    eq((a["prospects_active"], a["sessions"], a["views"], a["dwell_ms_total"], a["forwarded"],
        a["truncated"]), (2, 4, 6 + 3, 34000 + 32000, 1, False), "account sums its prospects")
    eq(a["score"], round(want_scores["jane"] + want_scores["bob"], 1), "account score")
    eq(a["actions"], {"book-demo": 1}, "account actions")
    eq([p["prospect"] for p in a["prospects"]], ["jane", "bob"], "account prospects by score")
    pres = srv.get("/v1/presentations/deck-bob?" + RANGE, auth(SALES)).json()
    eq((pres["sessions"], pres["completed"], pres["viewers"], pres["forwarded"]),
       (2, 0, 2, True), "presentation")
    eq([d["viewers"] for d in pres["days"]], [0, 2, 0], "presentation viewers per day")
    eq([d["sessions"] for d in pres["days"]], [0, 2, 0], "presentation sessions per day")
    eq(pres["all_time"], {"sessions": 2, "completed": 0, "viewers": 2}, "presentation all time")
    jp = srv.get("/v1/presentations/deck-jane?%s&mode=self" % RANGE, auth(SALES)).json()
    eq((jp["sessions"], jp["completed"], jp["completion_rate"]), (2, 1, 0.5), "jane's deck, self")
    eq(srv.get("/v1/presentations/deck-jane?%s&mode=live" % RANGE, auth(SALES)).json()["sessions"],
       0, "jane's deck, live: none")
    one = srv.get("/v1/presentations/deck-bob?from=%s&to=%s" % (day(D[2]), day(D[2])), auth(SALES)).json()
    eq((one["sessions"], one["viewers"], one["all_time"]["sessions"]), (0, 0, 2),
       "bob's deck on a day without him")

    # ---- new data changes the answer (the cache follows the data) ----
    before = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING))
    again = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING))
    eq((again.body, again.header("etag")), (before.body, before.header("etag")), "stable answer")
    r.cmd("XADD", "dp:{0}:events", "*", "v", "1", "received", str(D[2] * DAYMS + 7200000),
          "source", "test", "session", "s9", "seq", "1", "type", "view", "at", str(D[2] * DAYMS),
          "mode", "self", "presentation", "public", "viewer", vid("late"), "material", "q3", "slide", "faq", "version", "1",
          "index", "4")
    check(wait_until(lambda: r.cmd("HGET", "dp:{0}:slides:q3:%s:self" % day(D[2]), "faq|1|views") == "1",
                     10, 0.05), "late event rolled up")
    # report_stale_ms (2000 by default): the answer of just now may be served
    # once more while the current one is computed; then the new view is in
    t0 = time.time()
    check(wait_until(lambda: srv.get("/v1/materials/q3?" + RANGE, dict(
        auth(MARKETING), **{"If-None-Match": before.header("etag")})).status == 200, 5, 0.05),
        "a changed report is not 304 for long")
    check(time.time() - t0 < 2.5, "numbers at most report_stale_ms old")
    after = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING))
    eq(after.json()["views"], before.json()["views"] + 1, "the new view is counted")

    # ---- one computation for many requests of the same answer ----
    before_n = metric(srv, "dp_reports_computed_total")
    conns = [srv.conn() for _ in range(6)]
    path = "/v1/materials/q3.csv?from=%s&to=%s&mode=live&table=funnel" % (day(D[0]), day(D[1]))
    for c in conns:
        c.send(make_request("GET", path, b"", auth(MARKETING)))
    answers = [c.response() for c in conns]
    for c in conns:
        c.close()
    eq([a.status for a in answers], [200] * 6, "six requests at once")
    eq(len({a.body for a in answers}), 1, "one answer")
    eq(metric(srv, "dp_reports_computed_total") - before_n, 1, "computed once for six requests")
    eq(metric(srv, "dp_reports_running"), 0, "nothing left running")
    check(metric(srv, "dp_report_cache_hits_total") > 0, "cache hits counted")

    # ---- access: each role on each route ----
    routes = [("/v1/materials", "m"), ("/v1/materials/q3", "m"), ("/v1/prospects", "s"),
              ("/v1/prospects/jane", "s"), ("/v1/accounts/acme", "s"),
              ("/v1/presentations/deck-bob", "s"), ("/v1/materials.csv", "m")]
    for path, who in routes:
        for key, role in ((ADMIN, "admin"), (MARKETING, "marketing"), (SALES, "sales")):
            want = 200 if role == "admin" or role[0] == who else 403
            eq(srv.get(path, auth(key)).status, want, "%s as %s" % (path, role))
        eq(srv.get(path).status, 401, path + " without a key")
        eq(srv.get(path, auth("not-a-valid-key-000000000")).status, 401, path + " bad key")
    for method, path, ctype, body in (("PUT", "/v1/materials/x", "application/json", json.dumps(CATALOG_Q3)),
                                      ("POST", "/v1/catalog", "text/csv", good_csv)):
        for key, want in ((ADMIN, 200), (MARKETING, 200), (SALES, 403), ("wrong-key-0000000000", 401)):
            eq(srv.request(method, path, body, dict(auth(key), **{"Content-Type": ctype})).status,
               want, "%s %s with %s" % (method, path, key[:5]))
    link = json.dumps({"presentation": "deck-x", "prospect": "xena"})
    for key, want in ((ADMIN, 201), (SALES, 201), (MARKETING, 403), ("wrong-key-0000000000", 401)):
        eq(srv.request("POST", "/v1/links", link, dict(auth(key), **{"Content-Type": "application/json"})).status,
           want, "POST /v1/links with %s" % key[:5])
    msg = srv.get("/v1/prospects", auth(MARKETING)).json()["error"]
    eq(msg, "this API key's role may not read prospect reports (needs sales or admin)", "403 message")

    # ---- bad parameters: 400 naming the parameter ----
    for path, key, want in (
            ("/v1/materials?from=2026-02-30", MARKETING, "from: must be a date YYYY-MM-DD"),
            ("/v1/materials?to=tomorrow", MARKETING, "to: must be a date YYYY-MM-DD"),
            ("/v1/materials?from=2026-05-02&to=2026-05-01", MARKETING, "from: must not be after to"),
            ("/v1/materials?from=2020-01-01&to=2026-01-01", MARKETING,
             "from: the range is longer than 731 days"),
            ("/v1/materials?mode=both", MARKETING, "mode: must be self, live or all"),
            ("/v1/materials?format=xls", MARKETING, "format: must be json or csv"),
            ("/v1/materials?sort=fun", MARKETING,
             "sort: must be one of views, sessions, viewers, dwell_ms_total, dwell_ms_median, "
             "completion_rate, completed, deals_influenced, won, won_amount, win_rate, material, "
             "title"),
            ("/v1/materials?order=up", MARKETING, "order: must be asc or desc"),
            ("/v1/materials/q3?table=x", MARKETING, "table: must be slides, days or funnel"),
            ("/v1/materials/bad%20id", MARKETING,
             "material: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
            ("/v1/prospects?limit=0", SALES, "limit: must be an integer between 1 and 1000"),
            ("/v1/prospects?owner=a%20b", SALES, "owner: must be 1-64 characters of A-Z a-z 0-9 . _ : -"),
            ("/v1/prospects/jane?since=yesterday", SALES, "since: must be a time in epoch milliseconds"),
            ("/v1/prospects/jane?table=x", SALES, "table: must be slides, materials or timeline")):
        resp = srv.get(path, auth(key))
        eq((resp.status, resp.json().get("error")), (400, want), path)
    for path in ("/v1/materials/nope", "/v1/prospects/nobody", "/v1/accounts/none",
                 "/v1/presentations/none"):
        eq(srv.get(path, auth(ADMIN)).status, 404, path)
    ans = srv.request("POST", "/v1/materials", "", auth(ADMIN))
    eq((ans.status, ans.header("allow")), (405, "GET, HEAD"), "POST a report: 405 with Allow")
    ans = srv.request("POST", "/v1/materials/q3", "", auth(ADMIN))
    eq((ans.status, ans.header("allow"), ans.json()), (405, "GET, HEAD, PUT", {"error": "use GET or PUT"}),
       "POST a material: 405, Allow lists GET and PUT")
    ans = srv.request("POST", "/v1/prospects/jane", "", auth(ADMIN))
    eq((ans.status, ans.header("allow")), (405, "GET, HEAD, DELETE"), "POST a prospect: 405")
    ans = srv.request("GET", "/v1/links", "", auth(ADMIN))
    eq(ans.header("www-authenticate"), None, "405 is not a 401")
    ans = srv.get("/v1/materials/q3?" + RANGE)
    eq((ans.status, ans.header("www-authenticate")), (401, "Bearer"), "a 401 names the scheme")

    # ---- erasure: a prospect's personal data goes, anonymous totals stay ----
    before = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING)).json()
    eq(srv.request("DELETE", "/v1/prospects/jane", "", auth(SALES)).status, 403, "erase as sales")
    naming = [k for k in r.cmd("KEYS", "*jane*") if "deck-jane" not in k]
    resp = srv.request("DELETE", "/v1/prospects/jane", "", auth(ADMIN))
    eq(resp.status, 200, "erase as admin")
    eq(resp.json()["keys"], len(naming), "every key naming jane removed, counted: %r" % naming)
    # (deck-jane is the presentation's id, not the person)
    eq([k for k in r.cmd("KEYS", "*jane*") if "deck-jane" not in k], [], "no key names jane")
    eq(srv.get("/v1/prospects/jane?" + RANGE, auth(SALES)).status, 404, "the brief is gone")
    check("jane" not in [p["prospect"] for p in srv.get("/v1/prospects?" + RANGE, auth(SALES)).json()["prospects"]],
          "off the hot list")
    eq([p["prospect"] for p in srv.get("/v1/accounts/acme?" + RANGE, auth(SALES)).json()["prospects"]],
       ["bob"], "off the account")
    sess = [r.cmd("HGET", "dp:{0}:sess:" + s, "prospect") for s in ("s1", "s4")]
    check(all(v in ("", None) for v in sess), "sessions lose the name: %r" % sess)
    after = srv.get("/v1/materials/q3?" + RANGE, auth(MARKETING)).json()
    eq({k: after[k] for k in ("views", "sessions", "completed", "dwell_ms_total", "viewers")},
       {k: before[k] for k in ("views", "sessions", "completed", "dwell_ms_total", "viewers")},
       "anonymous totals remain")
    eq(srv.request("DELETE", "/v1/prospects/jane", "", auth(ADMIN)).json()["keys"], 0,
       "erasing again is harmless")

    # ...and the raw archive loses jane's rows, at the collector's next tick
    import csv
    import glob
    import io
    from dp import archive_text

    def archived_prospects():
        who = []
        for f in glob.glob(os.path.join(srv.data_dir, "archive", "*", "*.csv.gz")):
            text = archive_text(f)
            who += [row["prospect"] for row in csv.DictReader(io.StringIO(text))]
        return who
    check(wait_until(lambda: "jane" not in archived_prospects(), 10, 0.1),
          "no archive row of jane")
    check("bob" in archived_prospects(), "bob's rows stay in the archive")
    eq(r.cmd("HEXISTS", "dp:{0}:erasures", "jane"), 1, "the erasure is recorded for collectors")
    # rows appended after the rewrite go on in the same file
    bobs = archived_prospects().count("bob")
    r.cmd("XADD", "dp:{0}:events", "*", "v", "1", "received", str(D[2] * DAYMS + 7300000),
          "source", "test", "session", "s10", "seq", "1", "type", "view", "at", str(D[2] * DAYMS),
          "mode", "self", "presentation", "deck-bob", "viewer", vid("bob"), "prospect", "bob",
          "material", "q3", "slide", "faq", "version", "1", "index", "4")
    check(wait_until(lambda: archived_prospects().count("bob") == bobs + 1, 10, 0.1),
          "the archive goes on after the rewrite")

    col.terminate()
    col.wait(20)
    text = open(os.path.join(env.tmp, "collector.log"), errors="replace").read()
    check("AddressSanitizer" not in text and "runtime error" not in text, "collector log clean")

# report_concurrency: at most that many computations at once; more answer
# 503 with Retry-After. Without a report cache (report_cache_mb 0) a report
# takes its place at once; Redis is stopped so the first two cannot finish.
with Env(access_log="false", report_concurrency=2, report_cache_mb=0, redis_timeout_ms=3000) as env:
    srv = env.server
    today = day(TODAY)
    paths = ["/v1/materials?from=%s&to=%s" % (day(TODAY - k), today) for k in range(4)]
    eq(srv.get(paths[3], auth(MARKETING)).status, 200, "a report with Redis up")
    env.redis.proc.send_signal(signal.SIGSTOP)
    try:
        conns = [srv.conn() for _ in range(4)]
        for c, path in zip(conns[:2], paths[:2]):
            c.send(make_request("GET", path, b"", auth(MARKETING)))
        # (/metrics asks Redis, so it cannot tell while Redis is stopped: a
        # /healthz answered after both requests were in the server's sockets
        # means the loop has read them, and they took their places)
        eq(srv.get("/healthz").status, 200, "the loop has read the first two")
        for c, path in zip(conns[2:], paths[2:]):
            c.send(make_request("GET", path, b"", auth(MARKETING)))
        busy = [c.response() for c in conns[2:]]
        eq([(b.status, b.json(), b.header("retry-after")) for b in busy],
           [(503, {"error": "reports busy: too many being computed at once; retry shortly"},
             "2")] * 2, "past report_concurrency: 503 with the reason and Retry-After")
    finally:
        env.redis.proc.send_signal(signal.SIGCONT)
    eq([c.response().status for c in conns[:2]], [200, 200], "the two running ones answer")
    eq(metric(srv, "dp_reports_computed_total"), 3, "three computed: the first, then the two")
    check(wait_until(lambda: metric(srv, "dp_reports_running") == 0, 5, 0.02), "none left running")
    eq(srv.get(paths[2], auth(MARKETING)).status, 200, "a place is free again")
    for c in conns:
        c.close()

finish()
