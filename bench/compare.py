#!/usr/bin/env python3
"""deckpulse ingest against nginx, in one run, alternating (bench/compare.sh
installs what is needed and calls this).

Targets, all on loopback, all driven by bench/loadgen.c with the same
beacon batches (closed loop, --connections keep-alive connections):

  nginx-204    nginx answering 204 to POST /v1/events, no logging
  nginx-body   nginx reading the body and logging it to a file
  deckpulse    deckpulse-server + redis-server (AOF, everysec) + a collector;
               every 202 after Redis answered each XADD
  ingest-only  the same with the collector paused (SIGSTOP): what ingest
               alone costs; the collector then drains the backlog before
               the next measurement

Then, against deckpulse: open loop at 80 % of its best closed-loop rate
(p99; nginx-204 at that rate and at 80 % of its own best as references),
Redis memory per buffered event (collector stopped), the collector's rollup rate on that backlog, report-query latency, and an end-to-end run at
a fixed event rate with the collector's lag sampled every second.

  python3 bench/compare.py [--seconds 10] [--rounds 2] [--connections 64]
      [--ol-connections 256] [--e2e-seconds 60] [--e2e-events 60000]
      [--results bench/RESULTS.md]

The open-loop and end-to-end runs use --ol-connections: at a fixed rate R
over C connections the load generator itself queues once a request takes
more than C/R on average (64 connections at 29 k requests/s: 2.2 ms), so
they would measure that bound rather than the server; beacons come from
many browsers, each on its own connection."""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("DP_BENCH_BUILD", os.path.join(ROOT, "build-bench"))
LOADGEN = os.path.join(BUILD, "bench", "deckpulse-loadgen")
SERVER = os.path.join(BUILD, "deckpulse-server")
COLLECTOR = os.path.join(BUILD, "deckpulse-collector")
KEY = "bench-admin-key-0123456789"
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_us(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
        except OSError:
            pass
    return total * 1e6 / TICK


def children(pid):
    out = [pid]
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except OSError:
                pass
    return out


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def redis_cmd(port, *args):
    s = socket.create_connection(("127.0.0.1", port), 5)
    data = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(str(a).encode()), str(a).encode()) for a in args)
    s.sendall(data)
    f = s.makefile("rb")

    def read():
        line = f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b"-"):
            return rest.decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else f.read(n + 2)[:-2].decode()
        if t == b"*":
            n = int(rest)
            return [] if n < 0 else [read() for _ in range(n)]
    r = read()
    s.close()
    return r


class Stack:
    """Everything the benchmark starts, stopped at the end whatever happens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []

    def spawn(self, argv, **kw):
        log = open(os.path.join(self.tmp, os.path.basename(argv[0]) + ".log"), "ab")
        p = subprocess.Popen(argv, stdout=kw.pop("stdout", log), stderr=log, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def close(self):
        for p in reversed(self.procs):
            self.stop(p)


def nginx_conf(tmp, name, port, body_log, workers=2):
    d = os.path.join(tmp, name)
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    location = ("access_log %s/body.log body; client_body_buffer_size 64k; "
                "client_body_in_single_buffer on; echo_read_request_body; echo_status 204;"
                % d) if body_log else "return 204;"
    conf = """load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes %(workers)s;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  log_format body '$request_body';
  client_body_temp_path %(d)s;
  proxy_temp_path %(d)s; fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:%(port)d;
    location /v1/events { %(location)s }
  }
}
""" % dict(d=d, port=port, location=location, workers=workers)
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


def loadgen(port, seconds, conns, token=None, rate=None, seed=1):
    argv = [LOADGEN, "--port", str(port), "--seconds", str(seconds), "--connections", str(conns),
            "--seed", str(seed)]
    if token:
        argv += ["--token", token]
    if rate:
        argv += ["--rate", str(rate)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        raise RuntimeError("loadgen: " + out.stderr)
    return json.loads(out.stdout)


def mint(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/v1/links", json.dumps({"presentation": "bench", "prospect": "p1"}),
              {"Authorization": "Bearer " + KEY})
    return json.loads(c.getresponse().read())["token"]


def used_memory(rport):
    for line in redis_cmd(rport, "INFO", "memory").split("\r\n"):
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def aof_rewrites(rport):
    """AOF rewrites Redis has done, counting one under way."""
    info = dict(line.split(":", 1) for line in redis_cmd(rport, "INFO", "persistence").split("\r\n")
                if ":" in line)
    return int(info.get("aof_rewrites", 0)) + int(info.get("aof_rewrite_in_progress", 0))


def fresh_aof(rport):
    """Rewrites Redis's AOF now and waits for it: an open loop then starts
    far from the next automatic rewrite (whose fork and child take one of
    the two cores: measured separately, see bench/RESULTS.md)."""
    redis_cmd(rport, "BGREWRITEAOF")
    t0 = time.time()
    while time.time() - t0 < 120:
        info = redis_cmd(rport, "INFO", "persistence")
        if "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info:
            return
        time.sleep(0.1)


def lag(rport):
    try:
        g = redis_cmd(rport, "XINFO", "GROUPS", "dp:{0}:events")
    except (OSError, TypeError):
        return None
    if not g:
        return None
    d = dict(zip(g[0][::2], g[0][1::2]))
    return (d.get("lag") or 0) + (d.get("pending") or 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--ol-connections", type=int, default=256,
                    help="connections of the open-loop and end-to-end runs: at a fixed rate R "
                         "over C connections a request may take C/R on average before the "
                         "load generator itself queues (Little's law); browsers each bring "
                         "their own, so a fixed-rate run needs more than the closed loop")
    ap.add_argument("--e2e-seconds", type=float, default=60)
    ap.add_argument("--e2e-events", type=float, default=60000)
    ap.add_argument("--results")
    ap.add_argument("--e2e-only", action="store_true",
                    help="only the end-to-end run, on the fresh stack (server, Redis, collector)")
    ap.add_argument("--targets", default="nginx-204,nginx-body,deckpulse,ingest-only",
                    help="which, in order (an A/B of two builds: --targets ingest-only with "
                         "DP_BENCH_BUILD pointing at each)")
    ap.add_argument("--no-extra", action="store_true",
                    help="only the targets: no open loop, memory, rollup, reports, end to end")
    ap.add_argument("--nginx-workers", type=int, default=2,
                    help="nginx worker processes (2: one per core, the issue's reference)")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dp-bench-")
    st = Stack(tmp)
    try:
        run(a, tmp, st)
    finally:
        st.close()
        shutil.rmtree(tmp, ignore_errors=True)


def run(a, tmp, st):
    rport, sport, n1, n2 = free_port(), free_port(), free_port(), free_port()
    # set up as the private Redis is (server/app/server.c), AOF rewrites included
    redis = st.spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--dir", tmp,
                      "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                      "--auto-aof-rewrite-percentage", "100", "--auto-aof-rewrite-min-size", "1gb",
                      "--maxmemory-policy", "noeviction", "--daemonize", "no"])
    wait_port(rport)
    server = st.spawn([SERVER, "--listen", "127.0.0.1:%d" % sport, "--redis",
                       "redis://127.0.0.1:%d" % rport, "--data_dir", os.path.join(tmp, "data"),
                       "--api_keys", "admin:" + KEY, "--access_log", "false",
                       "--start_collector", "false", "--start_notifier", "false", "--rate_ip_per_s", "0",
                       "--rate_link_per_s", "0", "--rate_ip_events_per_s", "0",
                       "--rate_link_events_per_s", "0"])
    wait_port(sport)
    time.sleep(0.3)
    collector_argv = [COLLECTOR, "--redis", "redis://127.0.0.1:%d" % rport, "--data_dir",
                      os.path.join(tmp, "data"), "--collector_name", "bench", "--log_level", "warn"]
    collector = st.spawn(collector_argv)
    token = mint(sport)
    ngx = {}
    for name, port, body in (("nginx-204", n1, False), ("nginx-body", n2, True)):
        conf = nginx_conf(tmp, name, port, body, a.nginx_workers)
        ngx[name] = (st.spawn(["nginx", "-c", conf, "-g", "daemon off;"]), port)
        wait_port(port)
    time.sleep(0.5)

    if a.e2e_only:
        # a fresh stack: what events a request carries from a short closed loop
        warm = loadgen(sport, 2, a.connections, token, seed=5)
        e2e = end_to_end(a, sport, rport, token, warm["events_per_s"] / warm["requests_per_s"])
        if a.results:
            with open(a.results, "a") as f:
                f.write("\n".join(["", "## End to end on a fresh stack (`bench/compare.py "
                                    "--e2e-only`), %s UTC" % time.strftime(
                                        "%Y-%m-%d %H:%M", time.gmtime()), "", "```",
                                    "python3 bench/compare.py --e2e-only --ol-connections %d "
                                    "--e2e-seconds %g --e2e-events %g" % (
                                        a.ol_connections, a.e2e_seconds, a.e2e_events),
                                    "```", "", e2e_line(a, e2e)]) + "\n")
        return
    rows = []
    for r in range(a.rounds):
        for name in a.targets.split(","):
            if name in ("deckpulse", "ingest-only"):
                pids = {"server": [server.pid], "redis": [redis.pid],
                        "collector": [collector.pid]}
                port = sport
                if name == "ingest-only":
                    del pids["collector"]
                    collector.send_signal(signal.SIGSTOP)
            else:
                p, port = ngx[name]
                pids = {"nginx": children(p.pid)}
            before = {k: cpu_us(v) for k, v in pids.items()}
            res = loadgen(port, a.seconds, a.connections, token if port == sport else None,
                          seed=r * 10 + 1 + len(rows))
            res["cpu_us_per_event"] = {k: round((cpu_us(v) - before[k]) /
                                                max(1, res["events_acked"]), 2)
                                       for k, v in pids.items()}
            res["target"], res["round"] = name, r + 1
            print(json.dumps(res), flush=True)
            rows.append(res)
            if name == "ingest-only":
                collector.send_signal(signal.SIGCONT)
                t0 = time.time()
                while (lag(rport) or 0) > 0 and time.time() - t0 < 600:
                    time.sleep(0.2)
            time.sleep(1)

    if a.no_extra:
        return
    # open loop at 80 % of the best closed-loop rate: ingest alone first
    # (collector paused), then the whole of deckpulse
    oli = None
    if any(x["target"] == "ingest-only" for x in rows):
        best_i = max(x["requests_per_s"] for x in rows if x["target"] == "ingest-only")
        collector.send_signal(signal.SIGSTOP)
        fresh_aof(rport)
        r0 = aof_rewrites(rport)
        oli = loadgen(sport, a.seconds, a.ol_connections, token, rate=round(best_i * 0.8), seed=98)
        oli["aof_rewrites"] = aof_rewrites(rport) - r0
        oli["target"] = "ingest-only, open loop at 80 %"
        print(json.dumps(oli), flush=True)
        if "nginx-204" in ngx:  # the reference: nginx at the same rate, same connections
            oln = loadgen(ngx["nginx-204"][1], a.seconds, a.ol_connections, None,
                          rate=oli["rate"], seed=98)
            oln["target"] = "nginx-204, open loop at the same rate"
            print(json.dumps(oln), flush=True)
            oli["nginx"] = oln
            # and at 80 % of its own best: does the target hold for nginx on this box?
            best_n = max(x["requests_per_s"] for x in rows if x["target"] == "nginx-204")
            own = loadgen(ngx["nginx-204"][1], a.seconds, a.ol_connections, None,
                          rate=round(best_n * 0.8), seed=97)
            own["target"] = "nginx-204, open loop at 80 % of its own best"
            print(json.dumps(own), flush=True)
            oli["nginx_own"] = own
        # the collector resumes after the references: they run, as ingest
        # alone did, with nothing draining a backlog beside them
        collector.send_signal(signal.SIGCONT)
        t0 = time.time()
        while (lag(rport) or 0) > 0 and time.time() - t0 < 600:
            time.sleep(0.2)
    best = max(x["requests_per_s"] for x in rows if x["target"] == "deckpulse")
    open_rate = round(best * 0.8)
    fresh_aof(rport)
    r0 = aof_rewrites(rport)
    ol = loadgen(sport, a.seconds, a.ol_connections, token, rate=open_rate, seed=99)
    ol["aof_rewrites"] = aof_rewrites(rport) - r0
    ol["target"] = "deckpulse, open loop at 80 %"
    print(json.dumps(ol), flush=True)

    # Redis memory per buffered event: the collector drains what is left,
    # stops, a burst comes in (entries hold many batches: counted in events)
    t0 = time.time()
    while (lag(rport) or 0) > 0 and time.time() - t0 < 300:
        time.sleep(0.05)
    st.stop(collector)
    time.sleep(0.5)
    mem0 = used_memory(rport)
    burst = loadgen(sport, 3, a.connections, token, seed=7)
    mem1 = used_memory(rport)
    backlog = burst["events_acked"]
    per_event = (mem1 - mem0) / max(1, backlog)
    # the collector's rollup rate on that backlog
    collector = st.spawn(collector_argv)
    t0 = time.time()
    while (lag(rport) or 0) > 0 and time.time() - t0 < 300:
        time.sleep(0.05)
    rollup = backlog / (time.time() - t0)
    print(json.dumps({"redis_bytes_per_event": round(per_event), "backlog": backlog,
                      "rollup_events_per_s": round(rollup)}), flush=True)

    # report-query latency (the material the load wrote)
    lat = []
    c = http.client.HTTPConnection("127.0.0.1", sport, timeout=30)
    for i in range(200):
        t = time.perf_counter()
        c.request("GET", "/v1/materials/bench-deck", headers={"Authorization": "Bearer " + KEY})
        resp = c.getresponse()
        resp.read()
        lat.append((time.perf_counter() - t) * 1000)
        if i == 0:
            first_ms = lat[0]
    lat.sort()
    reports = {"first_ms": round(first_ms, 2), "p50_ms": round(lat[100], 3),
               "p99_ms": round(lat[197], 3)}
    print(json.dumps({"report_query": reports}), flush=True)

    e2e = None
    if a.e2e_seconds > 0:
        per_req = sum(x["events_per_s"] for x in rows if x["target"] == "deckpulse") / max(
            1, sum(x["requests_per_s"] for x in rows if x["target"] == "deckpulse"))
        e2e = end_to_end(a, sport, rport, token, per_req)
    if a.results:
        write(a, rows, ol, oli, per_event, backlog, rollup, reports, e2e)


def end_to_end(a, sport, rport, token, per_req):
    """At a fixed event rate for --e2e-seconds, the collector's lag sampled
    every second."""
    rate = round(a.e2e_events / per_req)
    lags = []
    r0, mem0 = aof_rewrites(rport), used_memory(rport)
    p = subprocess.Popen([LOADGEN, "--port", str(sport), "--seconds", str(a.e2e_seconds),
                          "--connections", str(a.ol_connections), "--token", token, "--rate",
                          str(rate), "--seed", "123"], stdout=subprocess.PIPE, text=True)
    while p.poll() is None:
        time.sleep(1)
        lags.append(lag(rport) or 0)
    e2e = json.loads(p.stdout.read())
    e2e["collector_lag_max"] = max(lags) if lags else None
    e2e["collector_lag_last"] = lags[-1] if lags else None
    e2e["collector_lag_every_10s"] = lags[9::10]
    e2e["aof_rewrites"] = aof_rewrites(rport) - r0
    e2e["redis_mb_before"] = round(mem0 / 1e6)
    e2e["target"] = "end to end"
    print(json.dumps(e2e), flush=True)
    return e2e


def e2e_line(a, e2e):
    return ("End to end for %g s at %d requests/s asked (%d events/s, %d connections): "
            "%d events/s acknowledged, unsent %d, p50 %.2f ms, p99 %.2f ms, collector lag "
            "max %s entries, at the end %s, every 10 s: %s; Redis AOF rewrites meanwhile %d "
            "(Redis held %d MB before)." % (
                a.e2e_seconds, e2e["rate"], a.e2e_events, a.ol_connections,
                e2e["events_per_s"], e2e["unsent"], e2e["latency_us"]["p50"] / 1000,
                e2e["latency_us"]["p99"] / 1000, e2e["collector_lag_max"],
                e2e["collector_lag_last"],
                ", ".join(str(x) for x in e2e["collector_lag_every_10s"]), e2e["aof_rewrites"],
                e2e["redis_mb_before"]))


def write(a, rows, ol, oli, per_event, backlog, rollup, reports, e2e):
    def agg(name):
        xs = [x for x in rows if x["target"] == name]
        return max(x["requests_per_s"] for x in xs), xs
    ref204, _ = agg("nginx-204")
    refbody, _ = agg("nginx-body")
    lines = ["", "## Ingest against nginx (`bench/compare.sh`), %s UTC" %
             time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "",
             "```", "bench/compare.sh --seconds %g --rounds %d --connections %d --ol-connections %d "
             "--e2e-seconds %g --e2e-events %g" % (a.seconds, a.rounds, a.connections,
                                                   a.ol_connections, a.e2e_seconds,
                                                   a.e2e_events), "```", "",
             "| round | target | requests/s | events/s | ÷ nginx-204 | ÷ nginx-body | p50 ms | "
             "p99 ms | p99.9 ms | CPU µs/event | non-2xx |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in rows:
        l = x["latency_us"]
        bad = sum(v for k, v in x["statuses"].items() if not k.startswith("2"))
        lines.append("| %d | %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %d |" % (
            x["round"], x["target"], x["requests_per_s"],
            x["events_per_s"] if x["target"] in ("deckpulse", "ingest-only") else 0,
            x["requests_per_s"] / ref204, x["requests_per_s"] / refbody, l["p50"] / 1000,
            l["p99"] / 1000, l["p999"] / 1000,
            ", ".join("%s %.1f" % kv for kv in x["cpu_us_per_event"].items()), bad))
    l = ol["latency_us"]
    lines += ["", "Open loop (%d connections) at 80 %% of deckpulse's best closed-loop rate (%d "
              "requests/s asked, %d answered/s): p50 %.2f ms, p99 **%.2f ms**, p99.9 %.2f ms, "
              "unsent %d, Redis AOF rewrites meanwhile %d." % (
                  a.ol_connections, ol["rate"], ol["requests_per_s"], l["p50"] / 1000,
                  l["p99"] / 1000, l["p999"] / 1000, ol["unsent"], ol["aof_rewrites"]),
              ] + ([] if oli is None else [
              "Open loop at 80 %% of ingest alone's best rate, collector paused (%d requests/s "
              "asked, %d answered/s): p50 %.2f ms, p99 **%.2f ms**, p99.9 %.2f ms, unsent %d, "
              "Redis AOF rewrites meanwhile %d."
              % (oli["rate"], oli["requests_per_s"], oli["latency_us"]["p50"] / 1000,
                 oli["latency_us"]["p99"] / 1000, oli["latency_us"]["p999"] / 1000,
                 oli["unsent"], oli["aof_rewrites"])]) + ([] if oli is None or "nginx" not in oli
                                                            else [
              "nginx-204 in open loop at that same rate, same connections: %d answered/s, "
              "p50 %.2f ms, p99 **%.2f ms**, p99.9 %.2f ms, unsent %d." % (
                  oli["nginx"]["requests_per_s"], oli["nginx"]["latency_us"]["p50"] / 1000,
                  oli["nginx"]["latency_us"]["p99"] / 1000,
                  oli["nginx"]["latency_us"]["p999"] / 1000, oli["nginx"]["unsent"]),
              "nginx-204 in open loop at 80 %% of its own best (%d requests/s asked, %d "
              "answered/s): p50 %.2f ms, p99 **%.2f ms**, p99.9 %.2f ms, unsent %d." % (
                  oli["nginx_own"]["rate"], oli["nginx_own"]["requests_per_s"],
                  oli["nginx_own"]["latency_us"]["p50"] / 1000,
                  oli["nginx_own"]["latency_us"]["p99"] / 1000,
                  oli["nginx_own"]["latency_us"]["p999"] / 1000, oli["nginx_own"]["unsent"])]) + [
              "Redis memory per buffered event (collector stopped, a 3 s burst): %d bytes. "
              "Collector rollup on that backlog of %d events: %d events/s. "
              "Report query `GET /v1/materials/bench-deck` (200 in a row): first %.1f ms, "
              "p50 %.2f ms, p99 %.2f ms." % (per_event, backlog, rollup, reports["first_ms"],
                                             reports["p50_ms"], reports["p99_ms"])]
    if e2e:
        lines.append(e2e_line(a, e2e))
    with open(a.results, "a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
