"""The README's "Try it with curl" runs as written: the same shell commands,
through bash and curl, against a server started the way scripts/run.sh
starts it (its admin key generated in data/admin.key, the collector
supervised), with only the address changed to the test's port. Each
command's answer is what the README says or what a user needs from it."""

import csv
import json
import os
import re
import shutil
import subprocess

from dp import Redis, Server, check, eq, finish, settled, wait_until

ROOT = os.environ.get("DP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
readme = open(os.path.join(ROOT, "README.md")).read()
section = readme[readme.index("## Try it with curl"):]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
check("localhost:8080" in block and "data/admin.key" in block, "the example as the README has it")

if shutil.which("curl") is None:
    print("skipped: curl not found (apt-get install curl; scripts/deps.sh --test installs it)")
    raise SystemExit(77)

import tempfile  # noqa: E402

tmp = tempfile.mkdtemp(prefix="dp-readme-")
redis = Redis(tmp)
# as scripts/run.sh starts it: the defaults (an admin key made in
# data/admin.key, drop_bots, rate limits), the collector supervised
srv = Server(tmp, redis.url(), data_dir=os.path.join(tmp, "data"), api_keys=None, secret=None,
             drop_bots=None, rate_ip_per_s=None, rate_link_per_s=None,
             rate_ip_events_per_s=None, rate_link_events_per_s=None, start_collector="true")
check(srv.wait_ready(), "server ready")
try:
    script = block.replace("localhost:8080", "127.0.0.1:%d" % srv.port)
    # the report commands come after "a moment later": run the first part, let
    # the collector roll it up, then the rest, each answer on its own line
    lines = script.split("\n")
    cut = next(i for i, l in enumerate(lines) if l.startswith("# a moment later"))
    first, rest = "\n".join(lines[:cut]), "\n".join(lines[cut:])


    def bash(text):
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=tmp, capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, "the commands ran: %s" % p.stderr[-400:])
        return p.stdout


    out = bash(first)
    eq(out.strip(), '{"accepted":3}', "the batch is accepted, as the README says")
    check(wait_until(lambda: settled(redis, sessions_ended=False), 20, 0.1), "rolled up")
    rest = "KEY=$(cat data/admin.key)\n" + "\n".join(
        line + "; echo" if line.startswith("curl") else line for line in rest.split("\n"))
    answers = [a for a in bash(rest).split("\n") if a.strip()]
    mat = json.loads(answers[0])
    eq((mat["material"], mat["views"], mat["sessions"], mat["dwell_ms_total"]), ("q3-pricing", 1, 1, 5400),
       "the material's numbers")
    eq([(r["slide"], r["version"], r["views"]) for r in mat["slides"]], [("roi", 2, 1)],
       "its slide row")
    brief = json.loads(answers[1])
    eq((brief["prospect"], brief["account"], brief["sessions"], brief["dwell_ms_total"]),
       ("jane", "acme", 1, 5400), "jane's brief")
    rows = list(csv.reader(answers[2:]))
    eq([(r[0], r[2], r[3]) for r in rows], [("material", "views", "sessions"), ("q3-pricing", "1", "1")],
       "the CSV leaderboard: the material, its views and sessions")
finally:
    # also when a check above raised: no server, collector or Redis outlives the test
    eq(srv.stop(), 0, "server exit code")
    redis.stop()
    shutil.rmtree(tmp, ignore_errors=True)
finish()
