#!/usr/bin/env python3
"""deckpulse on a Redis Cluster against the same load on one Redis (issue 22).

In one run, alternating: a release server and collector (shards = 16 every
time) on one redis-server and on a Redis Cluster of 3 primaries
(scripts/cluster.sh), first without replicas, then each with one replica
(one Redis with a replica of its own as the reference). Every Redis runs AOF
with appendfsync always (the durability contract). deckpulse-loadgen posts
at a fixed rate for a while; then the collector drains. CPU time (utime +
stime from /proc) of the server, the collector and Redis (summed over every
node, replicas included, and over the primaries alone) is divided by the
events acknowledged; the ratios cluster / one Redis are the result. Also:
the rollup rate on a backlog (the collector paused while the load runs,
then timed from resume to lag 0), and the server with redis_wait_replicas
= 1 on the cluster (its cost: WAIT after each XADD).

    python3 bench/cluster.py [--seconds 10] [--rate 1500] [--rounds 2]
    (bench/cluster.sh builds the release binaries and calls this)
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import (COLLECTOR, KEY, ROOT, SERVER, Stack, cpu_us, free_port,  # noqa: E402
                     loadgen, mint, redis_cmd, wait_port)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from dp import Cluster, key_slot  # noqa: E402  (the tests' cluster helpers: ports, slots)

SHARDS = 16


def lag_total(ports_of_shard):
    total = 0
    for n, port in ports_of_shard.items():
        g = redis_cmd(port, "XINFO", "GROUPS", "dp:{%d}:events" % n)
        if not g:
            return None
        d = dict(zip(g[0][::2], g[0][1::2]))
        total += (d.get("lag") or 0) + (d.get("pending") or 0)
    return total


def shard_ports(kind, ports):
    """Which node serves each shard's slot (one Redis: that one)."""
    if kind == "single":
        return {n: ports[0] for n in range(SHARDS)}
    owner = {}
    for lo, hi, primary, *_ in redis_cmd(ports[0], "CLUSTER", "SLOTS"):
        for n in range(SHARDS):
            if lo <= key_slot("dp:{%d}:" % n) <= hi:
                owner[n] = int(primary[1])
    return owner


def redis_pids(dirs):
    out = []
    for d in dirs:
        with open(os.path.join(d, "redis.pid")) as f:
            out.append(int(f.read()))
    return out


def one(st, tmp, kind, a, rnd, wait=0, replicas=1):
    """A fresh Redis (or cluster), server and collector; one measured run."""
    base = os.path.join(tmp, "%s-%d" % (kind, rnd))
    os.makedirs(base)
    if kind == "single":
        ports, dirs = [], []
        for k in range(1 + replicas):  # one Redis, and its replica when asked
            port = free_port()
            rdir = os.path.join(base, "r%d" % k)
            os.makedirs(rdir)
            extra = ["--replicaof", "127.0.0.1", str(ports[0])] if k else []
            subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir",
                            rdir, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                            "--daemonize", "yes", "--pidfile", os.path.join(rdir, "redis.pid"),
                            "--logfile", "redis.log"] + extra, check=True)
            wait_port(port)
            ports.append(port)
            dirs.append(rdir)
        end = time.time() + 20
        while replicas and time.time() < end and "master_link_status:up" not in redis_cmd(
                ports[1], "INFO", "replication"):
            time.sleep(0.05)
        url = "redis://127.0.0.1:%d" % ports[0]
        primaries = [ports[0]]
    else:
        cl = os.path.join(base, "cluster")
        baseport = Cluster._free_run(6)
        p = subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "start", cl,
                            str(baseport)], capture_output=True, text=True, check=True,
                           env=dict(os.environ, REPLICAS=str(replicas)))
        url = p.stdout.strip()
        ports = [baseport + i for i in range(3 * (1 + replicas))]
        dirs = [os.path.join(cl, str(p)) for p in ports]
        primaries = sorted({int(x[2][1]) for x in redis_cmd(ports[0], "CLUSTER", "SLOTS")})
    sport = free_port()
    data = os.path.join(base, "data")
    srv = st.spawn([SERVER, "--listen", "127.0.0.1:%d" % sport, "--redis", url, "--data_dir", data,
                    "--api_keys", "admin:" + KEY, "--secret", "bench-secret-0123456789abcdef0123456789",
                    "--shards", str(SHARDS), "--start_collector", "false",
                    "--start_notifier", "false", "--access_log", "false", "--drop_bots", "false",
                    "--rate_ip_per_s", "0", "--rate_link_per_s", "0",
                    "--rate_ip_events_per_s", "0", "--rate_link_events_per_s", "0",
                    "--redis_wait_replicas", str(wait)],
                   stdout=subprocess.DEVNULL)
    wait_port(sport)
    time.sleep(0.5)
    col = st.spawn([COLLECTOR, "--redis", url, "--data_dir", data, "--shards", str(SHARDS),
                    "--collector_name", "bench", "--log_level", "warn"])
    owners = shard_ports(kind, ports)
    end = time.time() + 20
    while time.time() < end and lag_total(owners) is None:
        time.sleep(0.1)
    token = mint(sport)
    rpids = redis_pids(dirs)
    ppids = [rp for rp, port in zip(rpids, ports) if port in primaries]
    procs = {"server": [srv.pid], "collector": [col.pid], "redis": rpids, "primaries": ppids}
    before = {k: cpu_us(v) for k, v in procs.items()}
    res = loadgen(sport, a.seconds, 32, token, rate=a.rate, seed=rnd)
    t0 = time.time()
    while (lag_total(owners) or 0) > 0 and time.time() - t0 < 300:
        time.sleep(0.1)
    ev = max(1, res["events_acked"])
    res["cpu_us_per_event"] = {k: round((cpu_us(v) - before[k]) / ev, 2) for k, v in procs.items()}
    # the rollup on a backlog: the collector paused while the same load runs
    col.send_signal(signal.SIGSTOP)
    back = loadgen(sport, a.seconds, 32, token, rate=a.rate, seed=rnd + 100)
    col.send_signal(signal.SIGCONT)
    t0 = time.time()
    while (lag_total(owners) or 0) > 0 and time.time() - t0 < 300:
        time.sleep(0.05)
    res["rollup_events_per_s"] = round(back["events_acked"] / max(1e-3, time.time() - t0))
    res["non_2xx"] = sum(n for code, n in res["statuses"].items() if not code.startswith("2"))
    res["p99_ms"] = res["latency_us"]["p99"] / 1000.0
    res["kind"], res["round"], res["wait_replicas"] = kind, rnd, wait
    res["replicas"] = replicas
    st.stop(col)
    st.stop(srv)
    if kind == "single":
        for port in reversed(ports):
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"],
                           capture_output=True)
    else:
        subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "stop",
                        os.path.join(base, "cluster")], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(res), flush=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=1500, help="batches a second (20 events each)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--results", default=None)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dp-bench-cluster-")
    st = Stack(tmp)
    rows = []
    try:
        for r in range(a.rounds):
            rows.append(one(st, tmp, "single", a, r + 1, replicas=0))
            rows.append(one(st, tmp, "cluster", a, r + 1, replicas=0))
            rows.append(one(st, tmp, "single", a, r + 1, replicas=1))
            rows.append(one(st, tmp, "cluster", a, r + 1))
        rows.append(one(st, tmp, "cluster", a, a.rounds + 1, wait=1))
    finally:
        st.close()
        # whatever happened, no Redis is left running (they run daemonized)
        for dirpath, _, files in os.walk(tmp):
            if "redis.pid" in files:
                try:
                    with open(os.path.join(dirpath, "redis.pid")) as f:
                        os.kill(int(f.read()), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(tmp, ignore_errors=True)
    single = [x for x in rows if x["kind"] == "single" and not x["replicas"]]
    single_r = [x for x in rows if x["kind"] == "single" and x["replicas"]]
    cluster = [x for x in rows if x["kind"] == "cluster" and not x["wait_replicas"] and
               x["replicas"]]
    bare = [x for x in rows if x["kind"] == "cluster" and not x["replicas"]]
    waited = [x for x in rows if x["wait_replicas"]]

    def avg(xs, k):
        return sum(x["cpu_us_per_event"][k] for x in xs) / len(xs)
    lines = ["", "## Redis Cluster against one Redis (`bench/cluster.sh`), %s UTC" %
             time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "", "```",
             "bench/cluster.sh --seconds %g --rate %d --rounds %d" % (a.seconds, a.rate, a.rounds),
             "```", "",
             "| run | events acked | non-2xx | p99 ms | server µs/event | collector µs/event | "
             "Redis µs/event (all nodes) | primaries only | rollup on a backlog, events/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for x in rows:
        c = x["cpu_us_per_event"]
        lines.append("| %s%s, round %d | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %d |" % (
            ("one Redis" if x["kind"] == "single" else "cluster of 3") + ", %d replica(s) a primary"
            % x["replicas"], ", redis_wait_replicas = 1" if x["wait_replicas"] else "", x["round"],
            x["events_acked"], x["non_2xx"], x["p99_ms"], c["server"], c["collector"], c["redis"],
            c["primaries"], x["rollup_events_per_s"]))
    ratio = {k: avg(cluster, k) / max(1e-9, avg(single_r, k))
             for k in ("server", "collector", "redis", "primaries")}
    bare_ratio = {k: avg(bare, k) / max(1e-9, avg(single, k))
                  for k in ("server", "collector", "redis")}
    lines += ["", "Ratios, cluster / one Redis (means of the rounds). Without replicas: server "
              "%.2f, collector %.2f, Redis (all nodes) %.2f. A replica per primary against one "
              "Redis with a replica: server %.2f, collector %.2f, Redis all nodes %.2f, "
              "primaries only %.2f. redis_wait_replicas = 1 / 0 on the cluster: server %.2f." % (
                  bare_ratio["server"], bare_ratio["collector"], bare_ratio["redis"],
                  ratio["server"], ratio["collector"], ratio["redis"], ratio["primaries"],
                  avg(waited, "server") / max(1e-9, avg(cluster, "server")))]
    print("\n".join(lines))
    if a.results:
        with open(a.results, "a") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
