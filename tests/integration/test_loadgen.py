"""The benchmark's load generator (bench/loadgen.c) counts what the
benchmark reports: against the real server and Redis, an open loop at R
requests/s for S seconds writes exactly R x S requests (none left unsent on
an idle server), every event it logs as acknowledged is in the stream once,
and every event it wrote is in the stream by the time the server drained;
a closed loop likewise. bench/RESULTS.md's events/s and the oracle's ack
logs rest on these counts."""

import json
import os
import subprocess

from dp import ADMIN, Env, check, eq, expand, finish, wait_until

LOADGEN = os.environ.get("DP_LOADGEN", "build/bench/deckpulse-loadgen")


def run(env, token, ack, *extra):
    out = subprocess.run([LOADGEN, "--port", str(env.server.port), "--token", token,
                          "--ack-log", ack, "--seed", "7"] + list(extra),
                         capture_output=True, text=True, timeout=60)
    eq(out.returncode, 0, "loadgen exit code (stderr: %s)" % out.stderr[-300:])
    return json.loads(out.stdout)


def stream_events(env):
    got = []
    for _id, fields in env.redis.cmd("XRANGE", "dp:{0}:events", "-", "+"):
        got.extend((e["session"], int(e["seq"])) for e in expand(dict(zip(fields[::2],
                                                                           fields[1::2]))))
    return got


def acked(path):
    with open(path) as f:
        return [(s, int(q)) for s, q in (line.split() for line in f)]


with Env() as env:
    resp = env.server.post_json("/v1/links", {"presentation": "bench", "prospect": "p1"},
                                {"Authorization": "Bearer " + ADMIN})
    eq(resp.status, 201, "link for the load generator")
    token = resp.json()["token"]

    # --- open loop: 1 000 requests/s for 2 s over 32 connections (a request
    # could take 32 ms before one fell due with every connection busy)
    ack = os.path.join(env.tmp, "open.ack")
    res = run(env, token, ack, "--rate", "1000", "--seconds", "2", "--connections", "32")
    eq(res["sent"], 2000, "open loop: requests written = rate x seconds")
    eq(res["unsent"], 0, "open loop: nothing left unsent on an idle server")
    eq(res["errors"], 0, "open loop: no errors")
    check(res["requests"] >= 2000 - 32, "open loop: all but the last in flight answered in time: %d"
          % res["requests"])
    eq(set(res["statuses"]), {"202"}, "open loop: every answer 202")
    log = acked(ack)
    eq(len(log), res["events_acked"], "open loop: ack log = events_acked")
    eq(len(set(log)), len(log), "open loop: no (session, seq) acknowledged twice")
    wait_until(lambda: len(stream_events(env)) >= res["events_sent"], timeout=10)
    stored = stream_events(env)
    eq(len(stored), res["events_sent"], "open loop: the stream holds every event written")
    eq(len(set(stored)), len(stored), "open loop: each event stored once")
    eq(set(log) - set(stored), set(), "open loop: every acknowledged event is in the stream")

    # --- closed loop: 1 s over 8 connections, sessions of a different seed range
    ack = os.path.join(env.tmp, "closed.ack")
    before = len(stored)
    res = run(env, token, ack, "--seconds", "1", "--connections", "8", "--seed", "8")
    check(res["sent"] > 100, "closed loop sent requests: %d" % res["sent"])
    eq((res["errors"], res["unsent"]), (0, 0), "closed loop: no errors, nothing unsent")
    check(res["sent"] - 8 <= res["requests"] <= res["sent"],
          "closed loop: answered within the connections in flight of sent (%d of %d)"
          % (res["requests"], res["sent"]))
    log = acked(ack)
    eq(len(log), res["events_acked"], "closed loop: ack log = events_acked")
    wait_until(lambda: len(stream_events(env)) >= before + res["events_sent"], timeout=10)
    stored2 = stream_events(env)
    eq(len(stored2) - before, res["events_sent"], "closed loop: the stream grew by every event")
    eq(set(log) - set(stored2), set(), "closed loop: every acknowledged event is in the stream")

finish()
