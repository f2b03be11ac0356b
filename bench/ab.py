#!/usr/bin/env python3
"""A/B of two deckpulse-server builds on ingest alone, in one run,
alternating: both servers share one redis-server (AOF on, everysec, as in
production, automatic AOF rewrites off so that a rewrite's fork cannot land
in one side's window), no collector; bench/loadgen.c posts the same seeded
beacon batches to each in turn. Reports, per build, requests/s and the
server's CPU per request (from /proc, so it holds however busy the machine
is) and the ratio B/A of each, round by round.

  python3 bench/ab.py BUILD_A BUILD_B [--rounds 3] [--seconds 8] [--connections 64]

BUILD_* are CMake build directories (deckpulse-server and
bench/deckpulse-loadgen in them; the loadgen of BUILD_A is used for both)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import KEY, Stack, cpu_us, free_port, mint, wait_port  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dp-ab-")
    st = Stack(tmp)
    try:
        rport = free_port()
        redis = st.spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--dir",
                          tmp, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                          "--auto-aof-rewrite-percentage", "0",
                          "--maxmemory-policy", "noeviction", "--daemonize", "no"])
        wait_port(rport)
        servers = {}
        for name, build in (("A", a.a), ("B", a.b)):
            port = free_port()
            p = st.spawn([os.path.join(build, "deckpulse-server"), "--listen",
                          "127.0.0.1:%d" % port, "--redis", "redis://127.0.0.1:%d" % rport,
                          "--data_dir", os.path.join(tmp, "data-" + name), "--api_keys",
                          "admin:" + KEY, "--access_log", "false", "--start_collector", "false", "--start_notifier", "false",
                          "--rate_ip_per_s", "0", "--rate_link_per_s", "0",
                          "--rate_ip_events_per_s", "0", "--rate_link_events_per_s", "0"])
            wait_port(port)
            servers[name] = (p, port)
        time.sleep(0.3)
        tokens = {n: mint(port) for n, (_, port) in servers.items()}
        loadgen = os.path.join(a.a, "bench", "deckpulse-loadgen")
        rows = []
        for r in range(a.rounds):
            for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                p, port = servers[name]
                c0, r0 = cpu_us([p.pid]), cpu_us([redis.pid])
                out = subprocess.run([loadgen, "--port", str(port), "--seconds", str(a.seconds),
                                      "--connections", str(a.connections), "--token",
                                      tokens[name], "--seed", str(r + 1)],
                                     capture_output=True, text=True, timeout=a.seconds + 60)
                res = json.loads(out.stdout)
                n = max(1, res["requests"])
                res["server_cpu_us_per_request"] = round((cpu_us([p.pid]) - c0) / n, 2)
                res["redis_cpu_us_per_request"] = round((cpu_us([redis.pid]) - r0) / n, 2)
                res["build"], res["round"] = name, r + 1
                rows.append(res)
                print(json.dumps({k: res[k] for k in ("build", "round", "requests_per_s",
                                                     "server_cpu_us_per_request",
                                                     "redis_cpu_us_per_request")}
                                 | {"p99_ms": res["latency_us"]["p99"] / 1000}), flush=True)
                time.sleep(1)
        for r in range(1, a.rounds + 1):
            x = {row["build"]: row for row in rows if row["round"] == r}
            print("round %d: B/A requests/s %.2f, server CPU per request %.2f" % (
                r, x["B"]["requests_per_s"] / x["A"]["requests_per_s"],
                x["B"]["server_cpu_us_per_request"] / x["A"]["server_cpu_us_per_request"]))
    finally:
        st.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
