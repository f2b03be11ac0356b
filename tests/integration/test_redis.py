"""Redis outages: killed, frozen (SIGSTOP) or out of memory -> the batch
goes to the spool and gets 202 (test_spool.py covers the spool itself),
readyz says Redis is down, and once Redis is back the spool is replayed;
the private redis-server is supervised and restarted."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from dp import (Env, Server, batch, check, eq, finish, metric, view, wait_until, resp_command)


def spool_empty(s):
    return "\ndp_spool_segments 0\n" in s.get("/metrics").body.decode()


with Env(redis_timeout_ms=500, retry_after_s=3, appendfsync="everysec") as env:
    s, r = env.server, env.redis
    token = s.mint("deck", "pat")
    # an external Redis with appendfsync everysec: reported, and said plainly
    check(wait_until(lambda: metric(s, "dp_redis_durable") == 0, 5), "dp_redis_durable 0")
    check("redis 127.0.0.1:%d: appendonly yes, appendfsync everysec: an acknowledged event is "
          "in Redis's memory" % env.redis.port in s.log(),
          "the durability warning is logged, naming the Redis")
    eq(s.post_json("/v1/events", batch("a", [view(1)], token)).status, 202, "before the outage")
    time.sleep(1.2)  # everysec: the AOF has it (see test_spool.py)

    r.stop(signal.SIGKILL)
    check(wait_until(lambda: s.get("/readyz").status == 503, 5), "readyz 503 when Redis is gone")
    resp = s.post_json("/v1/events", batch("a", [view(2)], token))
    eq((resp.status, resp.json()), (202, {"accepted": 1}), "ingest while Redis is down: spooled")
    ready = s.get("/readyz").json()
    # between reconnection attempts "down", during one "connecting"
    check(ready["status"] == "not ready" and ready["redis"] in ("down", "connecting"),
          "readyz body: %r" % ready)
    eq(s.get("/readyz").header("retry-after"), "3", "readyz Retry-After")
    eq(s.get("/healthz").status, 200, "healthz still answers")

    r.start()
    check(s.wait_ready(10), "ready again after Redis restarts")
    resp = s.post_json("/v1/events", batch("a", [view(3)], token))
    eq((resp.status, resp.json()), (202, {"accepted": 1}), "202 after Redis restarts")
    check(wait_until(lambda: spool_empty(s), 10, 0.05), "spool replayed")
    seqs = sorted(int(x["seq"]) for x in r.entries())
    eq(seqs, [1, 2, 3], "AOF kept the first event; the spooled one was replayed")

    # SIGSTOP: commands go unanswered; the watchdog drops the connection
    # after redis_timeout_ms and the batch goes to the spool.
    os.kill(r.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.time()
        resp = s.post_json("/v1/events", batch("a", [view(4)], token))
        took = time.time() - t0
        eq(resp.status, 202, "ingest while Redis is frozen: spooled")
        # redis_timeout_ms (500), then the spool's fsync
        check(0.48 <= took < 1.0, "frozen Redis: answered after the timeout (%.2fs)" % took)
    finally:
        os.kill(r.proc.pid, signal.SIGCONT)
    check(s.wait_ready(10), "ready after SIGCONT")
    eq(s.post_json("/v1/events", batch("a", [view(5)], token)).status, 202, "202 after SIGCONT")
    # Row 3: Redis at maxmemory answers OOM errors: the spool, never a 202
    # for a write that did not happen.
    check(wait_until(lambda: spool_empty(s), 10, 0.05), "spool replayed after SIGCONT")
    n = r.cmd("XLEN", "dp:{0}:events")
    r.cmd("CONFIG", "SET", "maxmemory", "1")
    resp = s.post_json("/v1/events", batch("a", [view(6), view(7)], token))
    eq(resp.status, 202, "ingest while Redis refuses writes (OOM): spooled")
    eq(r.cmd("XLEN", "dp:{0}:events"), n, "nothing written to Redis while OOM")
    r.cmd("CONFIG", "SET", "maxmemory", "0")
    check(wait_until(lambda: spool_empty(s), 10, 0.05), "spool replayed after OOM clears")
    eq(s.post_json("/v1/events", batch("a", [view(8)], token)).status, 202, "202 after OOM clears")
    eq(sorted({int(x["seq"]) for x in r.entries()}), list(range(1, 9)), "every event arrived")
    eq(metric(s, "dp_redis_timeouts_total"), 1, "the one frozen command's timeout counted")
    # view 2 (Redis killed), view 4 (frozen), views 6 and 7 (OOM)
    eq(metric(s, "dp_events_spooled_total"), 4, "spooled events counted")

# Unix socket connection to an external Redis.
tmp = tempfile.mkdtemp(prefix="dp-it-")
sock = os.path.join(tmp, "r.sock")
rp = subprocess.Popen([os.environ.get("DP_REDIS_SERVER", "redis-server"), "--port", "0",
                       "--unixsocket", sock, "--save", "", "--dir", tmp],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait_until(lambda: os.path.exists(sock), 10)
srv = Server(tmp, "unix:" + sock)
check(srv.wait_ready(), "ready over a unix socket")
token = srv.mint("deck", "pat")
eq(srv.post_json("/v1/events", batch("u", [view(1)], token)).status, 202, "202 over unix socket")
eq(resp_command(sock, ["XLEN", "dp:{0}:events"], socket.AF_UNIX), 1, "event over unix socket")
eq(srv.stop(), 0, "exit code")
rp.kill()
rp.wait()

def count_events(sock):
    """Events in the stream: the sum of its entries' n fields."""
    total, last = 0, "-"
    while True:
        entries = resp_command(sock, ["XRANGE", "dp:{0}:events", last, "+", "COUNT", "1000"],
                               socket.AF_UNIX)
        if not entries:
            return total
        for eid, fields in entries:
            f = dict(zip(fields[::2], fields[1::2]))
            total += int(f.get("n", "1"))
        last = "(" + entries[-1][0]


# Private redis-server: started with AOF under data_dir, restarted when it
# dies, stopped on exit.
srv = Server(tmp, None, redis="")
check(srv.wait_ready(15), "ready with a private redis-server")
psock = os.path.join(srv.data_dir, "redis", "redis.sock")
cfg = dict(zip(*[iter(resp_command(psock, ["CONFIG", "GET", "*"], socket.AF_UNIX))] * 2))
eq((cfg["appendonly"], cfg["appendfsync"], cfg["maxmemory-policy"], cfg["port"],
    cfg["auto-aof-rewrite-percentage"], cfg["auto-aof-rewrite-min-size"]),
   ("yes", "always", "noeviction", "0", "100", str(1024 << 20)), "private redis settings")
quarter = max(256, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 >> 20)
check(abs(int(cfg["maxmemory"]) - (quarter << 20)) <= 1 << 20,
      "private redis maxmemory: a quarter of the machine's memory (%s)" % cfg["maxmemory"])
eq(os.path.realpath(cfg["dir"]), os.path.realpath(os.path.join(srv.data_dir, "redis")),
   "private redis data under data_dir")
token = srv.mint("deck", "pat")
check(wait_until(lambda: metric(srv, "dp_redis_durable") == 1, 5),
      "the private Redis is durable (appendfsync always), and /metrics says so")
check("appendfsync" not in srv.log(), "no durability warning")
eq(srv.post_json("/v1/events", batch("p", [view(1)], token)).status, 202, "202 (private redis)")
# appendfsync always: the 202 came after the AOF fsync; no waiting before the kill
pid = int(open(os.path.join(srv.data_dir, "redis", "redis.pid")).read())
os.kill(pid, signal.SIGKILL)
check(wait_until(lambda: srv.get("/readyz").status == 503, 5), "not ready while it restarts")
check(srv.wait_ready(15), "ready again after the private redis-server is restarted")
eq(srv.post_json("/v1/events", batch("p", [view(2)], token)).status, 202, "202 after restart")
eq(resp_command(psock, ["XLEN", "dp:{0}:events"], socket.AF_UNIX), 2, "AOF kept the first event")
check("private redis-server exited" in srv.log(), "restart logged")
newpid = int(open(os.path.join(srv.data_dir, "redis", "redis.pid")).read())
eq(srv.stop(), 0, "exit code")
check(wait_until(lambda: not os.path.exists("/proc/%d" % newpid), 10),
      "private redis-server stopped with the server")

# The private Redis at its maxmemory: Redis refuses writes, the spool takes
# every batch (202), and once there is room again all of it is in Redis.
srv = Server(tmp, None, redis="", redis_maxmemory_mb="8", data_dir=os.path.join(tmp, "small"))
check(srv.wait_ready(15), "ready with a small private redis-server")
psock = os.path.join(srv.data_dir, "redis", "redis.sock")
eq(resp_command(psock, ["CONFIG", "GET", "maxmemory"], socket.AF_UNIX)[1], str(8 << 20),
   "redis_maxmemory_mb")
token = srv.mint("deck", "pat")
sent = 0
for i in range(2000):
    resp = srv.post_json("/v1/events", batch("full-%d" % i, [view(k + 1) for k in range(500)], token))
    eq(resp.status, 202, "202 while Redis fills up")
    sent += 500
    if metric(srv, "dp_events_spooled_total") > 0:
        break
spooled = metric(srv, "dp_events_spooled_total")
print("Redis full after %d events; %d spooled" % (sent, spooled))
check(spooled > 0, "Redis full: batches go to the spool (%d events sent)" % sent)
for i in range(3):
    eq(srv.post_json("/v1/events", batch("more-%d" % i, [view(1)], token)).status, 202,
       "still 202 at maxmemory")
    sent += 1
resp_command(psock, ["CONFIG", "SET", "maxmemory", "0"], socket.AF_UNIX)
check(wait_until(lambda: count_events(psock) == sent, 20, 0.2),
      "room again: every acknowledged event is in Redis (%d of %d)" % (count_events(psock), sent))
eq(srv.stop(), 0, "exit code")
shutil.rmtree(tmp, ignore_errors=True)

finish()
