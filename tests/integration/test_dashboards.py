"""The dashboards in headless Chromium against a real server, collector and
Redis with demo data loaded by scripts/demo.py through the ingest API (and
its deal outcomes): every page (leaderboard, material, campaigns, a
campaign, salespeople, an owner, hot list, brief, account, live) loads, the
numbers it shows are the API's, charts are drawn, pages follow the key's
role, the phone layout does not overflow, and the live panel shows a new
session as it happens. Screenshots go to ./dashboard-screenshots."""

import json
import os
import subprocess
import sys
import time

from dp import ADMIN, MARKETING, SALES, Env, check, eq, finish, settled, wait_until

SRC = os.environ.get("DP_SOURCE_DIR", ".")
COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
DRIVER = os.path.join(SRC, "beacon", "e2e", "dashboards.js")
SHOTS = os.path.abspath("dashboard-screenshots")


def drive(srv, key, pages, live=None):
    opt = {"url": "http://127.0.0.1:%d" % srv.port, "key": key, "shots": SHOTS, "pages": pages}
    if live:
        opt["live"] = live
    p = subprocess.run(["node", DRIVER, json.dumps(opt)], capture_output=True, text=True,
                       timeout=180, cwd=os.path.join(SRC, "beacon"))
    eq(p.returncode, 0, "the dashboards ran in the browser (%s)" % p.stderr[-3000:])
    out = json.loads(p.stdout.strip().splitlines()[-1])
    eq(out["errors"], [], "no script errors on the pages")
    eq([u for u in out["urls"] if key in u or "key=" in u], [],
       "no URL the pages asked for carries the API key (proxies log URLs)")
    if live:
        check(any("/v1/live?ticket=" in u for u in out["urls"]), "the live panel used a ticket")
    return out["pages"]


def same(shown, want):
    """data-v (a string, "" for null) against the API's value."""
    if want is None:
        return shown == ""
    try:
        return abs(float(shown) - float(want)) < 1e-9
    except ValueError:
        return False


def panel(values, table):
    """The figures one panel (a table by its id, "kpis" for the headline
    figures) shows, in page order: [(key, data-v)]."""
    return [(v["k"], v["v"]) for v in values if v["row"].get("table", "kpis") == table]


def expect(shown, want, what):
    """The panel shows exactly the figures wanted, in order, each equal to
    the API's: [(key, API value)]. Nothing shown is skipped; a figure the
    page leaves out or adds fails."""
    eq([k for k, _ in shown], [k for k, _ in want], "%s: the figures shown (%d)" % (what, len(want)))
    eq([(i, k, v, w) for i, ((k, v), (_, w)) in enumerate(zip(shown, want)) if not same(v, w)],
       [], "%s: figures that differ from the API's (index, key, shown, API)" % what)
    check(len(want) > 0, "%s: has figures" % what)


def rows_of(items, keys):
    return [(k, it.get(k)) for it in items for k in keys]


with Env(access_log="false") as env:
    srv = env.server
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    col = subprocess.Popen([COLLECTOR, "--redis", env.redis.url(), "--data_dir", srv.data_dir,
                            "--log_level", "warn"], stdout=log, stderr=log)
    env.children.append(col)
    d = subprocess.run([sys.executable, os.path.join(SRC, "scripts", "demo.py"),
                        "http://127.0.0.1:%d" % srv.port, ADMIN, "--sessions", "120"],
                       capture_output=True, text=True, timeout=120)
    eq(d.returncode, 0, "demo data loaded through the ingest API (%s)" % d.stderr[-500:])
    check(wait_until(lambda: settled(env.redis, sessions_ended=False), 60, 0.1), "collector caught up")

    def get(path, key=ADMIN):
        r = srv.get(path, {"Authorization": "Bearer " + key})
        eq(r.status, 200, path)
        return r.json()

    board = get("/v1/materials")
    q3 = get("/v1/materials/q3-pricing")
    hot = get("/v1/prospects")
    top = hot["prospects"][0]
    brief = get("/v1/prospects/" + top["prospect"])
    acct = get("/v1/accounts/" + top["account"])
    token = srv.mint("live-deck", "lena-live", account="hooli")
    camps = get("/v1/campaigns")
    owners = get("/v1/owners")
    camp = get("/v1/campaigns/" + camps["campaigns"][0]["campaign"])
    pete = get("/v1/owners/pete")
    check(len(camps["campaigns"]) == 2 and len(owners["owners"]) == 3,
          "the demo's outcomes came through two campaigns and three owners")
    check(sum(c["won"] for c in camps["campaigns"]) > 0 and
          sum(c["lost"] for c in camps["campaigns"]) > 0, "some won, some lost")
    check(pete["cut_slides"], "pete leaves slides out")
    made = srv.request("POST", "/v1/webhooks", json.dumps(
        {"url": "https://8.8.8.8/crm", "owner": "olga"}).encode(),
        {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"})
    eq(made.status, 201, "a webhook to show")
    hooks = get("/v1/webhooks")["webhooks"]

    pages = drive(srv, ADMIN, [
        {"name": "materials", "hash": "#/materials"},
        {"name": "material", "hash": "#/material/q3-pricing", "full": True},
        {"name": "prospects", "hash": "#/prospects"},
        {"name": "prospect", "hash": "#/prospect/" + top["prospect"], "full": True},
        {"name": "account", "hash": "#/account/" + top["account"]},
        {"name": "campaigns", "hash": "#/campaigns"},
        {"name": "campaign", "hash": "#/campaign/" + camp["campaign"]},
        {"name": "owners", "hash": "#/owners"},
        {"name": "owner", "hash": "#/owner/pete", "full": True},
        {"name": "webhooks", "hash": "#/webhooks"},
        {"name": "material-phone", "hash": "#/material/q3-pricing", "width": 390, "height": 844},
        {"name": "prospect-phone", "hash": "#/prospect/" + top["prospect"], "width": 390,
         "height": 844},
        {"name": "live", "hash": "#/live"}],
        live={"token": token, "session": "live-session-1"})

    expect(panel(pages["materials"]["values"], "leaderboard"),
           rows_of(board["materials"], ["views", "sessions", "viewers", "dwell_ms_total",
                                        "dwell_ms_median", "completion_rate", "deals_influenced",
                                        "won", "won_amount", "win_rate"]), "leaderboard")
    check(any(m["deals_influenced"] for m in board["materials"]), "deals on the leaderboard")
    mp = pages["material"]["values"]
    expect(panel(mp, "kpis"), rows_of([q3], ["sessions", "viewers", "views", "completion_rate",
                                             "dwell_ms_total", "dwell_ms_median",
                                             "deals_influenced", "won", "won_amount",
                                             "won_amount_share", "win_rate", "win_rate_without"]),
           "material figures")
    expect(panel(mp, "slides"),
           rows_of(q3["slides"], ["version", "views", "viewers", "dwell_ms_avg", "dwell_ms_median",
                                  "dwell_ms_p90", "exits", "drop_off_rate", "deals_influenced",
                                  "won", "win_rate"]), "slide table")
    gcols = ["links", "prospects", "opened", "engaged", "deals", "won", "won_amount", "win_rate"]
    expect(panel(pages["campaigns"]["values"], "campaigns"),
           rows_of(camps["campaigns"], gcols + ["days_to_win_median"]), "campaigns")
    one = ["links", "prospects", "opened", "engaged", "hot", "sessions", "live_sessions",
           "self_sessions", "completion_rate", "deals", "won", "lost", "won_amount", "win_rate",
           "days_to_win_median"]
    expect(panel(pages["campaign"]["values"], "kpis"), rows_of([camp], one), "a campaign")
    expect(panel(pages["campaign"]["values"], "group-materials"),
           rows_of(camp["materials"], ["sessions", "deals_influenced", "won"]),
           "a campaign's materials")
    expect(panel(pages["owners"]["values"], "owners"),
           rows_of(owners["owners"], ["links", "prospects", "opened", "engaged", "hot",
                                      "live_sessions", "self_sessions", "completion_rate", "deals",
                                      "won", "won_amount", "win_rate"]), "salespeople")
    expect(panel(pages["owner"]["values"], "kpis"), rows_of([pete], one), "an owner")
    expect(panel(pages["owner"]["values"], "cut-slides"), rows_of(pete["cut_slides"], ["times"]),
           "the slides an owner cuts")
    expect(panel(pages["webhooks"]["values"], "webhooks"), rows_of(hooks, ["pending", "dead"]),
           "the webhooks")
    eq(pages["materials"]["nav"], ["Materials", "Campaigns", "Salespeople", "Prospects", "Live",
                                   "Webhooks"], "an admin sees every page, webhooks too")
    order = []
    for x in q3["slides"]:
        if x["slide"] not in order:
            order.append(x["slide"])
    multi = [x for sl in order for x in q3["slides"] if x["slide"] == sl
             and sum(1 for y in q3["slides"] if y["slide"] == sl) > 1]
    check(len(multi) >= 2, "the demo has a slide with two versions")
    expect(panel(mp, "versions"), rows_of(multi, ["version", "views", "dwell_ms_avg",
                                                  "dwell_ms_median", "drop_off_rate"]),
           "versions compared")
    expect(panel(mp, "confidence"), rows_of(q3["versions"], ["drop_off_a", "drop_off_b", "p_value"]),
           "versions compared with confidence")
    eq(pages["material"]["verdicts"], [v["summary"] for v in q3["versions"]],
       "each pair's verdict, as the API says it")
    eq((pages["material"]["charts"], pages["material"]["drawn"]), (2, 2),
       "the trend and funnel charts are drawn")
    expect(panel(pages["prospects"]["values"], "prospects"),
           rows_of(hot["prospects"], ["score", "sessions", "dwell_ms_total", "actions"]),
           "hot list")
    bp = pages["prospect"]["values"]
    expect(panel(bp, "kpis"), rows_of([brief], ["score", "sessions", "dwell_ms_total",
                                                "last_seen", "first_seen"]), "brief figures")
    expect(panel(bp, "score"), rows_of(brief["score_explained"]["parts"],
                                       ["value", "weight", "points"])
           + [("decay", brief["score_explained"]["decay"])], "the score's parts")
    expect(panel(bp, "materials"), rows_of(brief["materials"], ["dwell_ms_total", "slides_seen",
                                                                "completed"]), "brief materials")
    expect(panel(bp, "topslides"), rows_of(brief["slides"][:15], ["views", "dwell_ms_total"]),
           "brief slides by time")
    eq(pages["prospect"]["deals"], [d["deal"] for d in brief["deals"]],
       "the brief's outcome timeline: the deals naming them, newest first")
    check(brief["deals"] and brief["deals"][0]["history"], "the top prospect is in a deal")
    ap = pages["account"]["values"]
    expect(panel(ap, "kpis"), rows_of([acct], ["score", "prospects_active", "sessions",
                                               "dwell_ms_total", "last_seen"]), "account figures")
    expect(panel(ap, "prospects"), rows_of(acct["prospects"], ["score", "sessions",
                                                               "dwell_ms_total"]),
           "account prospects")
    expect(panel(ap, ""), rows_of(acct["materials"], ["dwell_ms_total", "completed"]),
           "account materials")
    for name in ("material-phone", "prospect-phone"):
        eq(pages[name]["overflow"], False, "%s: no sideways scrolling of the page" % name)
    live = pages["live"]
    eq(live.get("posted"), 202, "an event posted while the live panel is open")
    check("lena-live" in live.get("live_row", ""), "the live panel shows the new viewer")
    check(live.get("live_ms", 1e9) < 5000, "within seconds (%s ms)" % live.get("live_ms"))

    # pages follow the key's role
    m = drive(srv, MARKETING, [{"name": "materials-marketing", "hash": "#/materials"}])
    eq(m["materials-marketing"]["nav"], ["Materials", "Campaigns"],
       "marketing sees the marketing pages")
    s = drive(srv, SALES, [{"name": "prospects-sales", "hash": "#/prospects"}])
    eq(s["prospects-sales"]["nav"], ["Campaigns", "Salespeople", "Prospects", "Live"],
       "sales sees the sales pages")
    for f in ("materials", "material", "prospect", "live", "material-phone", "campaigns", "owner"):
        check(os.path.getsize(os.path.join(SHOTS, f + ".png")) > 10000, "screenshot " + f)
    eq((pages["materials"]["cut"], pages["prospects"]["cut"]), (None, None),
       "complete lists say nothing of a cut")
    # the dashboards' files: their own scripts and API only, never framed,
    # types as sent; gzip or not, revalidated or not
    for path, hdrs in (("/", {}), ("/app.js", {"Accept-Encoding": "gzip"}),
                       ("/style.css", {})):
        resp = srv.request("GET", path, b"", hdrs)
        etag = resp.header("etag")
        again = srv.request("GET", path, b"", dict(hdrs, **{"If-None-Match": etag}))
        eq((resp.status, again.status), (200, 304), path + ": 200, then 304")
        eq((resp.header("x-frame-options"), resp.header("x-content-type-options"),
            resp.header("referrer-policy")), ("DENY", "nosniff", "same-origin"), path)
        check("frame-ancestors 'none'" in (resp.header("content-security-policy") or "") and
              "default-src 'self'" in resp.header("content-security-policy"), path + ": CSP")
    # a malformed link (a cut percent-escape) shows the API's answer as an
    # error page, with no script error (drive() fails on any)
    bad = drive(srv, ADMIN, [{"name": "error-badlink", "hash": "#/material/%E0%A4%A"}])
    check("error-badlink" in bad, "the page with a malformed link says what is wrong")
    # past the 1 000 rows a leaderboard shows, the page says it is cut
    env.redis.cmd("SADD", "dp:{0}:materials", *["extra-%04d" % i for i in range(1200)])
    env.redis.cmd("HINCRBY", "dp:{0}:gen", "*", 1)  # as a collector does: cached answers are old
    total = get("/v1/materials?limit=1")["total"]
    m = drive(srv, MARKETING, [{"name": "materials-cut", "hash": "#/materials"}])
    eq(m["materials-cut"]["cut"], "The first 1,000 of %s materials, sorted over all of them; the "
       "CSV has every one." % format(total, ","), "the leaderboard says it shows a part")
    col.terminate()
    col.wait(20)

finish()
