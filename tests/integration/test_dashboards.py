"""The dashboards in headless Chromium against a real server, collector and
Redis with demo data loaded by scripts/demo.py through the ingest API: every
page (leaderboard, material, hot list, brief, account, live) loads, the
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
    return out["pages"]


def same(shown, want):
    """data-v (a string, "" for null) against the API's value."""
    if want is None:
        return shown == ""
    try:
        return abs(float(shown) - float(want)) < 1e-9
    except ValueError:
        return False


def compare(values, table, rowkey, rows, what):
    """Every value shown in table equals the API row it belongs to."""
    n = 0
    for v in values:
        if v["row"].get("table", "kpis") != table:
            continue
        api = rows(v["row"]) if rowkey else rows
        if api is None or v["k"] not in api:
            continue
        check(same(v["v"], api[v["k"]]), "%s: %s shows %r, the API says %r (%s)" % (
            what, v["k"], v["v"], api[v["k"]], v["row"]))
        n += 1
    check(n > 0, "%s: compared %d numbers" % (what, n))
    return n


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
    time.sleep(0.3)

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

    pages = drive(srv, ADMIN, [
        {"name": "materials", "hash": "#/materials"},
        {"name": "material", "hash": "#/material/q3-pricing", "full": True},
        {"name": "prospects", "hash": "#/prospects"},
        {"name": "prospect", "hash": "#/prospect/" + top["prospect"], "full": True},
        {"name": "account", "hash": "#/account/" + top["account"]},
        {"name": "material-phone", "hash": "#/material/q3-pricing", "width": 390, "height": 844},
        {"name": "prospect-phone", "hash": "#/prospect/" + top["prospect"], "width": 390,
         "height": 844},
        {"name": "live", "hash": "#/live"}],
        live={"token": token, "session": "live-session-1"})

    mats = {m["material"]: m for m in board["materials"]}
    compare(pages["materials"]["values"], "leaderboard", True,
            lambda row: mats.get(row.get("material")), "leaderboard")
    eq(len([v for v in pages["materials"]["values"] if v["k"] == "views"]), len(mats),
       "a leaderboard row per material")
    compare(pages["material"]["values"], "kpis", False, q3, "material figures")
    slides = {(s["slide"], str(s["version"])): s for s in q3["slides"]}
    n = compare(pages["material"]["values"], "slides", True,
                lambda row: slides.get((row.get("slide"), row.get("version"))), "slide table")
    check(n == 8 * len(slides), "every figure of every slide (%d)" % n)
    eq((pages["material"]["charts"], pages["material"]["drawn"]), (2, 2),
       "the trend and funnel charts are drawn")
    check(any(v["row"].get("table") == "versions" for v in pages["material"]["values"]),
          "versions compared for slides with two")
    people = {p["prospect"]: p for p in hot["prospects"]}
    compare(pages["prospects"]["values"], "prospects", True,
            lambda row: people.get(row.get("prospect")), "hot list")
    compare(pages["prospect"]["values"], "kpis", False, brief, "brief figures")
    parts = {str(i): p for i, p in enumerate(brief["score_explained"]["parts"])}
    shown_points = [v for v in pages["prospect"]["values"] if v["row"].get("table") == "score"
                    and v["k"] == "points"]
    eq([float(v["v"]) for v in shown_points], [p["points"] for p in parts.values()],
       "the score's parts")
    compare(pages["account"]["values"], "kpis", False, acct, "account figures")
    for name in ("material-phone", "prospect-phone"):
        eq(pages[name]["overflow"], False, "%s: no sideways scrolling of the page" % name)
    live = pages["live"]
    eq(live.get("posted"), 202, "an event posted while the live panel is open")
    check("lena-live" in live.get("live_row", ""), "the live panel shows the new viewer")
    check(live.get("live_ms", 1e9) < 5000, "within seconds (%s ms)" % live.get("live_ms"))

    # pages follow the key's role
    m = drive(srv, MARKETING, [{"name": "materials-marketing", "hash": "#/materials"}])
    eq(m["materials-marketing"]["nav"], ["Materials"], "marketing sees the marketing pages")
    s = drive(srv, SALES, [{"name": "prospects-sales", "hash": "#/prospects"}])
    eq(s["prospects-sales"]["nav"], ["Prospects", "Live"], "sales sees the sales pages")
    for f in ("materials", "material", "prospect", "live", "material-phone"):
        check(os.path.getsize(os.path.join(SHOTS, f + ".png")) > 10000, "screenshot " + f)
    col.terminate()
    col.wait(20)

finish()
