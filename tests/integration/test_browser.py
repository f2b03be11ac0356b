"""End to end in a real browser: headless Chromium (Debian's, driven by
playwright-core from npm) opens a reveal.js deck and a PDF rendered by
PDF.js, each embedding the beacon served by the real server, with a link
token; moves through the slides with known pauses, hides the tab and
closes it. The real collector rolls the events up; the report API must then
show the exact views, exits and completion, and each slide's dwell within
±300 ms of the time it was on screen. Then a visit during which the server
is down for a while: nothing is lost once it is back."""

import json
import os
import subprocess
import time

from dp import MARKETING, Env, check, eq, finish, free_port, settled, wait_until

SRC = os.environ.get("DP_SOURCE_DIR", ".")
COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
VISIT = os.path.join(SRC, "beacon", "e2e", "visit.js")


def visit(srv, material, kind, pauses, **extra):
    opt = dict(server="http://127.0.0.1:%d" % srv.port, token=srv.mint(material, "pat-" + kind),
               material=material, kind=kind, pauses=pauses, hidden_ms=1500)
    opt.update(extra)
    p = subprocess.run(["node", VISIT, json.dumps(opt)], capture_output=True, text=True,
                       timeout=120, cwd=os.path.join(SRC, "beacon"))
    eq(p.returncode, 0, "the browser visit ran (%s)" % p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def report(srv, material):
    r = srv.get("/v1/materials/" + material, {"Authorization": "Bearer " + MARKETING})
    eq(r.status, 200, "report of " + material)
    return r.json()


def check_visit(srv, env, material, slides, shown, what):
    check(wait_until(lambda: settled(env.redis), 30, 0.1), "collector caught up (%s)" % what)
    rep = report(srv, material)
    eq((rep["sessions"], rep["completed"], rep["views"]), (1, 1, len(slides)),
       "one session, completed, every slide viewed once (%s)" % what)
    rows = {(s["slide"], s["version"]): s for s in rep["slides"]}
    eq(sorted(rows), sorted(slides), "the slides and versions (%s)" % what)
    print("%s: %s" % (what, ", ".join("%s %d ms (on screen %.0f)" % (
        k[0], rows[k]["dwell_ms_total"], shown[i]) for i, k in enumerate(slides))), flush=True)
    for i, key in enumerate(slides):
        row = rows[key]
        eq((row["views"], row["exits"]), (1, 1 if i == len(slides) - 1 else 0),
           "views and exits of %s (%s)" % (key[0], what))
        check(abs(row["dwell_ms_total"] - shown[i]) <= 300,
              "dwell of %s: %d ms for %.0f ms on screen (%s)" % (key[0], row["dwell_ms_total"],
                                                                 shown[i], what))


with Env(access_log="false") as env:
    srv = env.server
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    col = subprocess.Popen([COLLECTOR, "--redis", env.redis.url(), "--data_dir", srv.data_dir,
                            "--log_level", "warn"], stdout=log, stderr=log)
    env.children.append(col)

    # reveal.js: data- ids, a version, a slide named by its position
    got = visit(srv, "e2e-reveal", "reveal", [1000, 2000, 1500, 700])
    eq(got["errors"], [], "no page errors")
    check_visit(srv, env, "e2e-reveal", [("intro", 1), ("roi", 2), ("3", 1), ("close", 1)],
                got["shown"], "reveal.js")

    # PDF.js: pages named by their number
    got = visit(srv, "e2e-pdf", "pdf", [800, 1200, 600])
    eq(got["errors"], [], "no page errors (pdf)")
    check_visit(srv, env, "e2e-pdf", [("1", 1), ("2", 1), ("3", 1)], got["shown"], "PDF.js")

    col.terminate()
    col.wait(20)

# The server goes down in the middle of a visit and comes back: the beacon's
# outbox and retries deliver everything (a fixed port, so the page's
# endpoint stays right).
with Env(access_log="false", listen="127.0.0.1:%d" % free_port()) as env:
    srv = env.server
    log = open(os.path.join(env.tmp, "collector.log"), "ab")
    col = subprocess.Popen([COLLECTOR, "--redis", env.redis.url(), "--data_dir", srv.data_dir,
                            "--log_level", "warn"], stdout=log, stderr=log)
    env.children.append(col)
    material = "e2e-outage"
    opt = dict(server="http://127.0.0.1:%d" % srv.port, token=srv.mint(material, "pat-outage"),
               material=material, kind="reveal", pauses=[800, 2000, 2000, 3000], hidden_ms=500,
               stop_after=0)
    p = subprocess.Popen(["node", VISIT, json.dumps(opt)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, cwd=os.path.join(SRC, "beacon"))
    eq(json.loads(p.stdout.readline()), {"stopped": 0}, "first slide change done")
    eq(srv.stop(), 0, "server stopped mid-visit")
    p.stdin.write("go on\n")
    p.stdin.flush()
    time.sleep(2.5)  # slides change while nobody answers
    srv.start()
    check(srv.wait_ready(10), "server back")
    out, _ = p.communicate(timeout=120)
    eq(p.returncode, 0, "the visit ran")
    got = json.loads(out.strip().splitlines()[-1])
    check_visit(srv, env, material, [("intro", 1), ("roi", 2), ("3", 1), ("close", 1)],
                got["shown"], "server down for 2.5 s")
    col.terminate()
    col.wait(20)

finish()
