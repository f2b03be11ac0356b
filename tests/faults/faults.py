#!/usr/bin/env python3
"""The fault suite: rows 1-12 of RELIABILITY.md, each under load and each
judged by the same oracle.

The load generator sends generated engagement traffic (oracle.Traffic:
sessions over several materials, duplicates, out of order) from a few
threads, retrying every refused or unanswered batch as the beacon does, and
logs every answer. While it runs, one fault is injected. After recovery the
oracle checks

  (a) every event answered 2xx is in the raw archive or the stream (the
      collector archives each event it reads; the spool must be empty),
  (b) every aggregate equals a brute-force recount of the distinct events
      sent (all of them are eventually accepted), so nothing is lost and
      nothing is counted twice,
  (c) the server's memory, file descriptors and event-loop lag (the time
      /healthz takes, sampled throughout) stayed bounded.

  python3 tests/faults/faults.py [--long] [--results FILE] [ROW ...]

The short version of each row runs in the test command (CTest faults.rowNN);
tests/faults/long.sh runs the long version of all of them and writes the
figures to tests/faults/RESULTS.md."""

import argparse
import csv
import glob
import io
import json
import os
import queue
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from dp import (Conn, Env, archive_text, check, eq, fill_disk, make_request,  # noqa: E402
                read_spool, settled, utc_day_for, wait_until)
import dp  # noqa: E402
from oracle import Traffic, anon_source, compare, compare_sessions  # noqa: E402

DAY = None  # the UTC day of the row being run (run_row)
BASE = dict(allow_anonymous="true", access_log="false", start_collector="false",
            redis_timeout_ms=500, header_timeout_ms=1000, body_timeout_ms=1000)


# ---------------------------------------------------------------- load ----

class Load:
    """Threads posting every batch of a Traffic until each got a 2xx,
    at about rate batches a second in all."""

    def __init__(self, env, traffic, tokens, rate, threads=4):
        self.env = env
        self.q = queue.Queue()
        for req in traffic.batches(tokens):
            self.q.put(req)
        self.total = self.q.qsize()
        self.rate = rate
        self.acked = set()      # (session, seq) answered 2xx
        self.acked_at = {}      # (session, seq) -> when its first 2xx came
        self.sent = set()       # (session, seq) ever sent
        self.statuses = {}
        self.latencies = []     # seconds, of answered requests
        self.bad = []           # answers no retry can fix (4xx other than 429)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        self.started = time.time()
        for t in self.threads:
            t.start()

    def port(self):
        return self.env.server.port

    def run(self):
        conn = None
        interval = len(self.threads) / float(self.rate)
        while True:
            try:
                body, ua = self.q.get_nowait()
            except queue.Empty:
                break
            ids = {(json.loads(body)["session"], e["seq"]) for e in json.loads(body)["events"]}
            # an anonymous viewer is a network: its own address (oracle.py)
            anon = ua.startswith("anon-")
            while True:
                t0 = time.time()
                req = make_request("POST", "/v1/events", body,
                                   {"Content-Type": "text/plain", "User-Agent": ua})
                try:
                    if anon:
                        one = Conn(self.port(), 5, anon_source(ua))
                        try:
                            one.send(req)
                            status = one.response().status
                        finally:
                            one.close()
                    else:
                        if conn is None:
                            conn = Conn(self.port(), 5)
                        conn.send(req)
                        status = conn.response().status
                except (OSError, EOFError, ValueError, IndexError):
                    status = 0
                    if conn and not anon:
                        conn.close()
                        conn = None
                took = time.time() - t0
                with self.lock:
                    self.sent |= ids
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    if status:
                        self.latencies.append(took)
                    if 200 <= status < 300:
                        self.acked |= ids
                        for i in ids:
                            self.acked_at.setdefault(i, t0 + took)
                if 200 <= status < 300:
                    break
                if status and status < 500 and status not in (408, 429):
                    with self.lock:
                        self.bad.append((status, body[:200]))
                    break
                time.sleep(0.05 + random.random() * 0.05)
            time.sleep(max(0.0, interval - (time.time() - t0)))
        if conn:
            conn.close()

    def wait(self, timeout):
        for t in self.threads:
            t.join(max(0.1, timeout - (time.time() - self.started)))
        return not any(t.is_alive() for t in self.threads)


class Sampler:
    """Samples the server's RSS, open fds and /healthz time every 100 ms.
    A probe that fails (refused, closed, not 200 within 5 s) is recorded
    with its time: outside the windows in which the row itself takes the
    server away (Faults.window), none may fail."""

    def __init__(self, env):
        self.env = env
        self.rss = self.fds = 0
        self.lag = 0.0
        self.probes = 0
        self.failed = []        # (time, why) of each failed /healthz probe
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop.is_set():
            proc = self.env.server.proc
            t0 = time.time()
            try:
                pid = proc.pid
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.rss = max(self.rss, int(line.split()[1]))
                self.fds = max(self.fds, len(os.listdir("/proc/%d/fd" % pid)))
                t0 = time.time()
                c = Conn(self.env.server.port, 5)
                try:
                    c.send(make_request("GET", "/healthz"))
                    status = c.response().status
                finally:
                    c.close()
                self.probes += 1
                if status != 200:
                    self.failed.append((t0, "status %d" % status))
                else:
                    self.lag = max(self.lag, time.time() - t0)
            except (OSError, EOFError, ValueError, IndexError, AttributeError) as e:
                self.probes += 1
                self.failed.append((t0, "%s: %s" % (type(e).__name__, e)))
            self.stop.wait(0.1)

    def finish(self):
        self.stop.set()
        self.t.join(10)

    def failed_outside(self, windows):
        """The failed probes that started outside every (start, end)."""
        return [(t, why) for t, why in self.failed
                if not any(a <= t <= b for a, b in windows)]


# ----------------------------------------------------- the environment ----

class Faults:
    def __init__(self, long, **settings):
        self.long = long
        opts = dict(BASE)
        opts.update(settings)
        self.env = Env(**opts)
        self.shards = int(opts.get("shards", 1))
        self.collectors = {}
        self.windows = []  # (start, end): the row takes the server away on purpose

    def window(self, start):
        """Marks [start, now + a probe's start-up] as a time the server is
        away on purpose: /healthz probes that fail in it are not counted."""
        self.windows.append((start, time.time() + 0.05))

    def collector(self, name="c1", extra=()):
        extra = list(extra) + (["--shards", str(self.shards)] if self.shards > 1 else [])
        self.collectors[name] = p = self.env.collector(name, extra=extra)
        return p

    def restart_server(self, sig=signal.SIGKILL):
        """Kills (or stops) the server and starts it again on its port with
        its data_dir (and so its spool). Returns (exit code, seconds)."""
        s = self.env.server
        t0 = time.time()
        s.proc.send_signal(sig)
        rc = s.proc.wait(30)
        took = time.time() - t0
        port = s.port
        s.stop()
        s.argv[s.argv.index("--listen") + 1] = "127.0.0.1:%d" % port
        for _ in range(50):
            try:
                s.start()
                break
            except RuntimeError:
                time.sleep(0.1)  # the port is still in TIME_WAIT or so
        self.window(t0)
        return rc, took

    def close(self):
        if getattr(self, "unmount", None):
            eq(self.env.server.stop(), 0, "server exit code")
            subprocess.run(["umount", "-l", self.unmount])
            self.env.server.start()
        for p in self.collectors.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.env.close()


def metric(env, name):
    """A value of the server's /metrics, or None when it has no such series
    (a figure for the results; checks use dp.metric, which fails on None)."""
    v = dp.metrics(env.server.get("/metrics").body.decode()).get(name)
    return None if v is None else int(v)


def archived(data_dir):
    """(session, seq) of every archive row, truncated gzip read up to the
    damage (a killed collector leaves one)."""
    out = set()
    cols = None
    for f in sorted(glob.glob(os.path.join(data_dir, "archive", "*", "*.csv.gz"))):
        text = archive_text(f)
        for row in csv.reader(io.StringIO(text)):
            if row and row[0] == "received":
                cols = row
                continue
            if cols and len(row) == len(cols):
                out.add((row[cols.index("session")], int(row[cols.index("seq")])))
    return out


# ------------------------------------------------------------- the rows ----

def make_traffic(f, seed, sessions):
    t = Traffic(seed, sessions=sessions)
    return t, t.mint_links(f.env.server)


def run_row(row, long):
    """Runs one row; returns its figures."""
    global DAY
    spec = ROWS[row]
    DAY = utc_day_for(300 if long else 60)
    f = Faults(long, **spec.get("settings", {}))
    try:
        sessions = spec["sessions"][1 if long else 0]
        t, tokens = make_traffic(f, row * 1000 + (7 if long else 1), sessions)
        if spec.get("collector", True):
            f.collector()
        sampler = Sampler(f.env)
        load = Load(f.env, t, tokens, rate=spec.get("rate", 150))
        notes = spec["fault"](f, load, long) or {}
        check(load.wait(600), "the load finished")
        sampler.finish()
        eq(load.bad, [], "no batch refused with a 4xx")
        env = f.env
        check(wait_until(lambda: metric(env, "dp_spool_segments") == 0, 60, 0.2),
              "the spool is empty again")
        if not any(p.poll() is None for p in f.collectors.values()):
            f.collector("final")
        check(wait_until(lambda: settled(env.redis, shards=f.shards), 180, 0.2),
              "the collectors caught up")
        # (a) every acknowledged event is in the archive or the stream
        found = archived(env.server.data_dir) | {
            (e["session"], int(e["seq"])) for n in range(f.shards)
            for e in env.redis.entries("dp:{%d}:events" % n)}
        lost = load.acked - found
        eq(len(lost), 0, "acknowledged events lost: %s" % sorted(lost)[:5])
        # (b) aggregates equal the brute-force recount
        for shard in range(f.shards):
            info = env.redis.cmd("XINFO", "STREAM", "dp:{%d}:events" % shard)
            check(dict(zip(info[::2], info[1::2]))["entries-added"] > 0,
                  "shard %d's stream had entries" % shard)
        n = compare(env.redis, t.recount(DAY), DAY, check, eq, shards=f.shards)
        compare_sessions(env.redis, t, eq, shards=f.shards)
        # (c) bounded
        check(sampler.lag < spec.get("max_lag", 1.0),
              "event loop answered /healthz within %.1fs (%.3fs)"
              % (spec.get("max_lag", 1.0), sampler.lag))
        check(sampler.probes >= 10, "/healthz probed throughout (%d probes)" % sampler.probes)
        eq(sampler.failed_outside(f.windows), [], "/healthz probes failed outside the row's "
           "own restarts (%d probes, %d windows)" % (sampler.probes, len(f.windows)))
        check(sampler.fds < 400, "file descriptors bounded (%d)" % sampler.fds)
        check(sampler.rss < 400 * 1024, "memory bounded (%d KB)" % sampler.rss)
        lat = sorted(load.latencies)
        if "max_latency" in spec:
            check(lat and lat[-1] < spec["max_latency"], "every request answered within %.3fs "
                  "(slowest %.3fs)" % (spec["max_latency"], lat[-1] if lat else -1))
        figures = dict(
            row=row, fault=spec["name"], sent=len(load.sent), acknowledged=len(load.acked),
            found=len(load.acked & found), lost=len(lost), requests=sum(load.statuses.values()),
            statuses=dict(sorted(load.statuses.items())), aggregates_compared=n,
            max_latency_s=round(lat[-1], 3) if lat else 0,
            p99_latency_s=round(lat[int(len(lat) * 0.99)], 3) if lat else 0,
            healthz_max_s=round(sampler.lag, 3), max_fds=sampler.fds, max_rss_kb=sampler.rss,
            spooled=metric(env, "dp_events_spooled_total"),
            replayed=metric(env, "dp_spool_replayed_entries_total"),
            torn=metric(env, "dp_spool_torn_records_total"))
        figures.update(notes)
        for name, p in f.collectors.items():
            log = open(os.path.join(env.tmp, "collector-%s.log" % name), errors="replace").read()
            check("AddressSanitizer" not in log and "runtime error" not in log,
                  "sanitizer report in collector %s:\n%s" % (name, log[-2000:]))
        return figures
    finally:
        f.close()


def during(load, frac):
    """Sleeps until about frac of the batches have been taken."""
    wait_until(lambda: load.q.qsize() <= load.total * (1 - frac), 120, 0.02)


def row1(f, load, long):
    kills = 4 if long else 1
    for _ in range(kills):
        during(load, 0.2 if kills == 1 else random.uniform(0.1, 0.7))
        f.env.redis.stop(signal.SIGKILL)
        time.sleep(1.0)
        f.env.redis.start()
    return {"redis_kills": kills}


def row2(f, load, long):
    during(load, 0.2)
    secs = 30 if long else 3
    f.env.redis.proc.send_signal(signal.SIGSTOP)
    time.sleep(secs)
    f.env.redis.proc.send_signal(signal.SIGCONT)
    return {"redis_stopped_s": secs}


def row3(f, load, long):
    during(load, 0.2)
    secs = 20 if long else 3
    f.env.redis.cmd("CONFIG", "SET", "maxmemory", "1")
    time.sleep(secs)
    f.env.redis.cmd("CONFIG", "SET", "maxmemory", "0")
    return {"redis_oom_s": secs}


def row4(f, load, long):
    kills = 5 if long else 2
    for i in range(kills):
        during(load, (i + 1) / (kills + 2.0))
        if i % 2 == 0:
            # Redis down first, so the spool is being written when the
            # server dies (its last record may be torn)
            spooled = metric(f.env, "dp_events_spooled_total") or 0
            f.env.redis.stop(signal.SIGKILL)
            wait_until(lambda: (metric(f.env, "dp_events_spooled_total") or 0) > spooled, 10, 0.01)
            f.restart_server(signal.SIGKILL)
            f.env.redis.start()
        else:
            f.restart_server(signal.SIGKILL)
    return {"server_kills": kills}


def row5(f, load, long):
    kills = 30 if long else 8
    rnd = random.Random(5)
    for _ in range(kills):
        time.sleep(rnd.uniform(0.05, 0.4))
        p = f.collectors.get("c1")
        p.send_signal(signal.SIGKILL)
        p.wait()
        f.collector("c1", ["--collector_batch", "25"])
    return {"collector_kills": kills}


def row6(f, load, long):
    f.collector("c2", ["--collector_batch", "20"])
    f.collector("c3", ["--collector_batch", "20"])
    kills = 6 if long else 1
    for i in range(kills):
        during(load, (i + 1) / (kills + 1.0))
        name = ["c1", "c2"][i % 2]
        p = f.collectors[name]
        p.send_signal(signal.SIGKILL)
        p.wait()
        if i + 1 < kills:
            f.collector(name, ["--collector_batch", "20"])
    return {"collectors": 3, "collector_kills": kills}


def row7(f, load, long):
    n = 5 if long else 1
    for _ in range(n):
        during(load, 0.3)
        f.env.redis.cmd("XADD", "dp:{0}:events", "*", "v", "1", "session", "poison",
                        "type", "bogus")
    check(wait_until(lambda: f.env.redis.cmd("XLEN", "dp:{0}:dead") == n, 60, 0.1),
          "poison entries dead-lettered")
    dead = f.env.redis.entries("dp:{0}:dead")
    # Env.collector runs with --max_deliveries 3
    eq([(d["reason"], d["deliveries"], d["session"]) for d in dead],
       [("entry: bad received", "3", "poison")] * n,
       "each poison entry dead-lettered on its third delivery, with its reason")
    return {"poison_entries": n, "dead_letters": len(dead)}


def row8(f, load, long):
    """Redis goes first, so the spool is being written; then its disk fills.
    While it is full: 503s, write errors, /healthz 200, and every segment
    ends on a record boundary and holds exactly the batches the server
    acknowledged (none of a refused batch's bytes stay behind)."""
    spool = os.path.join(f.env.server.data_dir, "spool")
    eq(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", spool]).returncode, 0,
       "a small tmpfs on the spool directory (the suite runs as root)")
    f.unmount = spool
    during(load, 0.2)
    killed = time.time()
    f.env.redis.stop(signal.SIGKILL)
    check(wait_until(lambda: (metric(f.env, "dp_events_spooled_total") or 0) >= 200, 30, 0.05),
          "batches spooled while Redis is down")
    filler = fill_disk(spool)
    check(wait_until(lambda: (metric(f.env, "dp_spool_write_errors_total") or 0) >= 3, 30, 0.05),
          "spool writes fail once the disk is full")
    eq(f.env.server.get("/healthz").status, 200, "health answers while the spool's disk is full")
    segs = sorted(glob.glob(os.path.join(spool, "*.seg")))
    check(len(segs) >= 1, "a segment was being written when the disk filled")
    inspected = time.time()
    spooled = set()
    for seg in segs:
        recs, rest = read_spool(seg)
        eq(rest, b"", "%s ends on a record boundary" % os.path.basename(seg))
        for rec in recs:
            for c in rec:
                spooled |= {(e["session"], int(e["seq"])) for e in dp.xadd_events(c)}
    # a 202 sent just before the inspection reaches its client
    wait_until(lambda: spooled <= load.acked, 2.0, 0.01)
    with load.lock:
        acked = set(load.acked)
        # a 202 given 1.5 s after Redis died cannot be for an XADD: redis_timeout_ms is 0.5 s
        surely_spooled = {i for i, t in load.acked_at.items() if killed + 1.5 < t < inspected}
    eq(sorted(spooled - acked)[:5], [], "nothing in the spool that was not acknowledged")
    eq(sorted(surely_spooled - spooled)[:5], [], "every batch acknowledged while Redis was down "
       "is in the spool (%d events)" % len(surely_spooled))
    errors = metric(f.env, "dp_spool_write_errors_total")
    os.unlink(filler)
    f.env.redis.start()
    return {"spool_write_errors": errors, "spooled_at_disk_full": len(spooled)}


def row9(f, load, long):
    n = 3 if long else 1
    took = []
    for i in range(n):
        during(load, (i + 1) / (n + 1.0))
        rc, secs = f.restart_server(signal.SIGTERM)
        eq(rc, 0, "exit code after SIGTERM under load")
        check(secs < 5, "exits in seconds under load (%.2fs)" % secs)
        took.append(round(secs, 2))
    return {"sigterms": n, "exit_s": took}


def slow_row(body):
    def fault(f, load, long):
        n = 200 if long else 40
        timeout_s = BASE["body_timeout_ms" if body else "header_timeout_ms"] / 1000.0
        during(load, 0.1)
        got = dp.slow_sockets(f.env.server.port, n, body, timeout_s)
        what = "body" if body else "head"
        msg = b"request %s not received within %s_timeout_ms" % (
            what.encode(), b"body" if body else b"header")
        eq([(d[:12], msg in d) for d, _, _ in got], [(b"HTTP/1.1 408", True)] * n,
           "every slow socket answered 408 (%s)" % msg.decode())
        eq([c is not None for _, _, c in got], [True] * n, "and closed")
        firsts = [x for _, x, _ in got if x is not None]
        # a server that restarted its timer on each byte would answer 0.9 s late
        late = [round(x, 3) for x in firsts if not timeout_s - 0.02 <= x <= timeout_s + 0.45]
        eq(late, [], "answered when the %s timeout (%.1fs) ran out, not before or long after"
           % (what, timeout_s))
        return {"slow_sockets": n, "last_answered_s": round(max(firsts or [0]), 2)}
    return fault


def row12(f, load, long):
    """Connections past the fd limit (the server runs with 128 fds here)."""
    rounds = 3 if long else 1
    cpu = []
    pid = f.env.server.proc.pid
    for _ in range(rounds):
        during(load, 0.2)
        t0 = cpu_seconds(pid)
        w0 = time.time()
        socks = []
        for _ in range(300):
            try:
                socks.append(socket.create_connection(("127.0.0.1", f.env.server.port), 2))
            except OSError:
                break
        time.sleep(2)
        used = cpu_seconds(pid) - t0
        cpu.append(round(used, 2))
        check(used < 1.0, "no busy loop at the fd limit (%.2f s of CPU in 2 s)" % used)
        for s in socks:
            s.close()
        # recovers when the load drops: /healthz answers again within 2 s
        check(wait_until(lambda: healthz_ok(f.env), 2.0, 0.02), "/healthz answers after the flood")
        f.window(w0)
    return {"flood_rounds": rounds, "flood_cpu_s": cpu}


def healthz_ok(env):
    try:
        return env.server.get("/healthz").status == 200
    except (OSError, EOFError, ValueError, IndexError):
        return False


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as fh:
        parts = fh.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


# A request waits at most redis_timeout_ms (0.5 s here) after Redis's last
# answer, plus the watchdog's tick (a quarter of it), then one spool fsync.
MAX_LATENCY = 1.25 * BASE["redis_timeout_ms"] / 1000.0 + 0.25

ROWS = {
    1: dict(name="kill -9 Redis under load, restart it", fault=row1, sessions=(200, 2000),
            max_latency=MAX_LATENCY),
    2: dict(name="SIGSTOP Redis, then SIGCONT", fault=row2, sessions=(200, 2000),
            max_lag=1.0, max_latency=MAX_LATENCY),
    3: dict(name="Redis at maxmemory (OOM errors)", fault=row3, sessions=(200, 2000),
            max_latency=MAX_LATENCY),
    4: dict(name="kill -9 the server under load (spool being written), restart",
            fault=row4, sessions=(250, 2000)),
    5: dict(name="kill -9 the collector mid-batch, repeatedly", fault=row5,
            sessions=(200, 2000)),
    6: dict(name="three collectors over two shards, one killed", fault=row6, sessions=(200, 2000),
            settings=dict(shards=2)),
    7: dict(name="a poison entry that always fails", fault=row7, sessions=(150, 1500)),
    8: dict(name="spool disk full", fault=row8, sessions=(200, 2000),
            settings=dict(spool_segment_kb=64), max_latency=MAX_LATENCY),
    9: dict(name="SIGTERM under load, restart", fault=row9, sessions=(200, 2000)),
    10: dict(name="slowloris: many sockets trickling a header byte every 0.2 s", fault=slow_row(False),
             sessions=(150, 1500)),
    11: dict(name="slow body", fault=slow_row(True), sessions=(150, 1500)),
    12: dict(name="connection flood beyond the fd limit", fault=row12, sessions=(150, 1500),
             settings=dict(max_connections=1000)),
}


def limited_fds():
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--results")
    ap.add_argument("rows", nargs="*", type=int)
    a = ap.parse_args()
    rows = a.rows or sorted(ROWS)
    results = []
    for row in rows:
        t0 = time.time()
        if row == 12:
            dp.SERVER_PREEXEC = limited_fds
        fig = run_row(row, a.long)
        dp.SERVER_PREEXEC = None
        fig["seconds"] = round(time.time() - t0, 1)
        print(json.dumps(fig), flush=True)
        results.append(fig)
    if a.results:
        write_results(a.results, results, a.long)
    dp.finish()


def write_results(path, results, long):
    lines = ["# Fault suite results", "",
             "Written by `tests/faults/long.sh` (`faults.py %s`) on %s UTC; each row under "
             "load, judged by the oracle of `tests/faults/faults.py`." % (
                 "--long" if long else "", time.strftime("%Y-%m-%d %H:%M", time.gmtime())), "",
             "| # | fault | events sent | acknowledged | found | lost | requests (status: n) "
             "| max latency s | /healthz max s | max fds | max RSS MB | notes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = {"row", "fault", "sent", "acknowledged", "found", "lost", "requests", "statuses",
            "max_latency_s", "p99_latency_s", "healthz_max_s", "max_fds", "max_rss_kb",
            "aggregates_compared", "seconds"}
    for r in results:
        notes = ", ".join("%s %s" % (k, v) for k, v in r.items() if k not in keys)
        lines.append("| %d | %s | %d | %d | %d | **%d** | %d (%s) | %.3f | %.3f | %d | %.0f | %s |" % (
            r["row"], r["fault"], r["sent"], r["acknowledged"], r["found"], r["lost"],
            r["requests"], ", ".join("%s: %d" % kv for kv in r["statuses"].items()),
            r["max_latency_s"], r["healthz_max_s"], r["max_fds"], r["max_rss_kb"] / 1024.0,
            notes + "; %d aggregates compared; %.0f s" % (r["aggregates_compared"], r["seconds"])))
    lines.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
