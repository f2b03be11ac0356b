"""The collector against the oracle: thousands of generated sessions go
through the real server; the real collector rolls them up; every aggregate
must equal a brute-force recount of what was sent (HLLs within their
error). Then the same with the collector killed by SIGKILL at random
moments, with two collectors at once (one killed), three at once over
state that keeps changing under them, a replay of the archive
into an empty Redis, and a poison entry."""

import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import time

from dp import (Env, Redis, check, eq, finish, settled, utc_day_for, wait_until)
from oracle import Traffic, compare, compare_sessions, post_all

COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
DAY = utc_day_for(120)
SETTINGS = dict(allow_anonymous="true", access_log="false", start_collector="false")


def stop(p):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(20)
    return rc


def load(env, seed, sessions):
    t = Traffic(seed, sessions=sessions)
    reqs = t.batches(t.mint_links(env.server))
    t0 = time.time()
    statuses = post_all(env.server, reqs)
    eq(set(statuses), {202}, "every batch accepted")
    print("posted %d requests in %.1fs" % (len(reqs), time.time() - t0), flush=True)
    t.posted_events = sum(len(json.loads(body)["events"]) for body, _ in reqs)
    return t, len(reqs)


def logs_clean(env):
    for f in os.listdir(env.tmp):
        if f.startswith("collector-"):
            text = open(os.path.join(env.tmp, f), errors="replace").read()
            check("AddressSanitizer" not in text and "runtime error" not in text
                  and "LeakSanitizer" not in text,
                  "sanitizer report in %s:\n%s" % (f, text[-2000:]))


# 1. The oracle, then a replay of the archive into an empty Redis. The
# access log is on, so row 27 can look for the client's address in it.
with Env(**dict(SETTINGS, access_log="true")) as env:
    t, nreq = load(env, 1, 1500)
    nev = sum(len(s[4]) for s in t.sessions)
    print("sent %d sessions, %d distinct events in %d requests" % (len(t.sessions), nev, nreq))
    c = env.collector("one")
    t0 = time.time()
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "collector caught up")
    print("collector settled in %.1fs" % (time.time() - t0), flush=True)
    exp = t.recount(DAY)
    n = compare(env.redis, exp, DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    print("oracle: %d aggregates and %d sessions compared" % (n, len(t.sessions)))
    eq(stop(c), 0, "collector exits 0 on SIGTERM")
    # trimming runs on the collector's one-second tick
    check(wait_until(lambda: env.redis.cmd("XLEN", "dp:{0}:events") == 0, 5, 0.1),
          "stream trimmed below acknowledged")
    stats = dict(zip(*[iter(env.redis.cmd("HGETALL", "dp:{0}:collectors"))] * 2))
    eq(int(stats["one|applied"]), nev, "collector applied each distinct event once")
    eq(int(stats["one|duplicates"]), t.posted_events - nev,
       "every event posted twice was seen again and dropped")
    m = env.server.get("/metrics").body.decode().split("\n")
    for line in ['dp_stream_length{shard="0"} 0', 'dp_stream_pending{shard="0"} 0',
                 'dp_stream_lag{shard="0"} 0', 'dp_dead_letters{shard="0"} 0',
                 'dp_collector_applied_total{collector="one"} %d' % nev]:
        check(line in m, "metrics has %r" % line)
    check(any(l.startswith('dp_collector_events_per_second{collector="one"}') for l in m),
          "metrics has the collector's events per second")


    # RELIABILITY row 27: the client's address is nowhere: not in Redis's
    # AOF, not in the archive, not in the server's log.
    import glob
    import gzip as gz
    env.redis.cmd("BGREWRITEAOF")

    def rewritten():
        info = env.redis.cmd("INFO", "persistence")
        return "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info
    check(wait_until(rewritten, 30, 0.05), "the AOF rewritten")
    stored = b""
    for f in glob.glob(os.path.join(env.redis.dir, "appendonlydir", "*")):
        stored += open(f, "rb").read()
    for f in glob.glob(os.path.join(env.server.data_dir, "archive", "*", "*.csv.gz")):
        stored += gz.open(f).read()
    check(len(stored) > 100000, "read the AOF and the archive (%d bytes)" % len(stored))
    check(b"127.0.0.1" not in stored, "no client IP in the AOF or the archive")
    # (the Redis address, also 127.0.0.1 here, is logged on connect: not a client's)
    client_lines = [l for l in env.server.log().splitlines() if "redis:" not in l]
    eq(sum(1 for l in client_lines if l.startswith("access method=POST path=\"/v1/events\" "
                                                   "route=events status=202 ")), nreq,
       "the access log has a line for every request posted")
    eq([l for l in client_lines if "127.0.0.1" in l][:3], [], "no client IP in the server's log")

    fresh = Redis(env.tmp)
    archive = os.path.join(env.server.data_dir, "archive")
    p = subprocess.run([COLLECTOR, "--redis", fresh.url(), "--replay", archive,
                        "--session_timeout_ms", "1500", "--data_dir", env.server.data_dir],
                       capture_output=True, text=True, timeout=300)
    eq(p.returncode, 0, "replay exit code (%s)" % p.stderr[-500:])
    check("%d applied" % nev in p.stderr, "replay applied every event once: " + p.stderr[-300:])
    compare(fresh, exp, DAY, check, eq)
    fresh.stop()
    logs_clean(env)

# 1b. Sessions a collector before this one wrote (materials, slide
# versions and positions seen in smat:/ssv:/sseen: keys of their own, no
# "f" in the session hash: include/deckpulse/keys.h) go on exactly: half
# the traffic applied, every session turned into that form by hand, the
# other half applied.
def to_legacy(r):
    n = 0
    for k in r.cmd("KEYS", "dp:{0}:sess:*"):
        sid = k[len("dp:{0}:sess:"):]
        h = r.cmd("HGETALL", k)
        f = dict(zip(h[::2], h[1::2]))
        if "f" not in f:
            continue
        moved = [x for x in f if x[:2] in ("m:", "v:", "p:")]
        for prefix, key in (("m:", "smat:"), ("v:", "ssv:")):
            pairs = [y for x in moved if x.startswith(prefix) for y in (x[2:], f[x])]
            if pairs:
                r.cmd("HSET", "dp:{0}:" + key + sid, *pairs)
        pos = [x[2:] for x in moved if x.startswith("p:")]
        if pos:
            r.cmd("SADD", "dp:{0}:sseen:" + sid, *pos)
        r.cmd("HDEL", k, "f", *moved)
        n += 1
    return n


with Env(**SETTINGS) as env:
    t = Traffic(21, sessions=400)
    reqs = t.batches(t.mint_links(env.server))
    half = len(reqs) // 2
    eq(set(post_all(env.server, reqs[:half])), {202}, "first half accepted")
    c = env.collector("before")
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "first half applied")
    eq(stop(c), 0, "collector exit code")
    legacy = to_legacy(env.redis)
    check(legacy > 300, "%d sessions in the earlier form" % legacy)
    eq(set(post_all(env.server, reqs[half:])), {202}, "second half accepted")
    c = env.collector("after")
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "second half applied")
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    left = [k for k in env.redis.cmd("KEYS", "dp:{0}:s*:*")
            if k.split(":")[2] in ("smat", "ssv", "sseen")]
    moved = legacy - len({k.split(":", 3)[3] for k in left})
    print("%d sessions in the earlier form, %d moved into their hash by the second half" % (
        legacy, moved))
    check(moved > 100, "sessions with events in the second half moved into their hash")
    for k in left:  # what is left belongs to sessions the second half never touched
        sid = k.split(":", 3)[3]
        check(env.redis.cmd("HGET", "dp:{0}:sess:" + sid, "f") is None,
              "%s kept only for a session not written since" % k)
    eq(stop(c), 0, "collector exit code")
    logs_clean(env)

# 2. SIGKILL at random moments, at least ten times.
with Env(**SETTINGS) as env:
    t, _ = load(env, 2, 800)
    rnd = random.Random(7)
    kills = 0
    c = env.collector("victim", extra=["--collector_batch", "25"])
    while kills < 12:
        time.sleep(rnd.uniform(0.05, 0.4))
        c.send_signal(signal.SIGKILL)
        c.wait()
        kills += 1
        c = env.collector("victim", extra=["--collector_batch", "25"])
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "caught up after %d kills" % kills)
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    eq(stop(c), 0, "collector exit code")
    logs_clean(env)

# 2b. Reads of 200 entries applied as transactions of at most 3 sessions
# each (collector_txn_sessions; a session's events in a read are never split),
# killed now and then between them: exact.
with Env(**SETTINGS) as env:
    t, _ = load(env, 12, 400)
    entries = env.redis.cmd("XLEN", "dp:{0}:events")
    check(entries > 200, "more entries (%d) than one read takes" % entries)
    env.redis.cmd("CONFIG", "RESETSTAT")  # every collector's EXECs counted
    extra = ["--collector_batch", "200", "--collector_txn_sessions", "3"]
    c = env.collector("small", extra=extra)

    def entries_read():
        g = env.redis.cmd("XINFO", "GROUPS", "dp:{0}:events")
        return (dict(zip(g[0][::2], g[0][1::2]))["entries-read"] or 0) if g else 0
    for _ in range(3):
        # killed once it has read entries since the last kill: mid-rollup
        before = entries_read()
        check(wait_until(lambda: entries_read() > before, 30, 0.005), "the collector reads")
        c.send_signal(signal.SIGKILL)
        c.wait()
        c = env.collector("small", extra=extra)
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "caught up in small transactions")
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    info = env.redis.cmd("INFO", "commandstats")
    execs = int(info.split("cmdstat_exec:calls=")[1].split(",")[0])
    reads = -(-entries // 200)
    print("%d entries (reads of 200: %d, each read again at most once a restart) applied in %d "
          "transactions" % (entries, reads, execs))
    check(execs > 10 * reads, "reads split into transactions: %d EXECs for %d entries" % (
        execs, entries))
    eq(stop(c), 0, "collector exit code")
    logs_clean(env)

# 2c. collector_read_events is a ceiling on each read whatever
# collector_batch (entries) says: an entry holds several batches (v 3), and
# Redis answers nothing else while it writes a read's reply. Reads of up to
# 5 000 entries would take the whole stream in a read or two; capped at 20
# events they take many, and the result is exact.
with Env(**SETTINGS) as env:
    t, _ = load(env, 14, 300)
    events = env.redis.event_count()
    check(events > 2000, "events (%d) for many capped reads" % events)
    env.redis.cmd("CONFIG", "RESETSTAT")
    c = env.collector("capped", extra=["--collector_batch", "5000",
                                       "--collector_read_events", "20"])
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "caught up in capped reads")
    info = env.redis.cmd("INFO", "commandstats")
    reads = int(info.split("cmdstat_xreadgroup:calls=")[1].split(",")[0])
    print("%d events in %d reads" % (events, reads))
    check(reads >= events // 80, "reads of about 20 events: %d reads for %d events" % (
        reads, events))
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    eq(stop(c), 0, "collector exit code")
    logs_clean(env)

# 3. Two collectors at once: the one holding the shard's lease consumes it
# (collector/lease.h), the other waits; the holder is killed while it holds
# entries, and the other takes the shard once the lease expires and claims
# the entries.
with Env(**SETTINGS) as env:
    t, _ = load(env, 3, 800)
    both = {"alpha": env.collector("alpha", extra=["--collector_batch", "20"]),
            "beta": env.collector("beta", extra=["--collector_batch", "20"])}

    def holder_pending():
        try:
            consumers = env.redis.cmd("XINFO", "CONSUMERS", "dp:{0}:events", "rollup")
        except RuntimeError:  # NOGROUP: no collector has started yet
            return None
        for c_ in consumers:
            c_ = dict(zip(c_[::2], c_[1::2]))
            if c_["pending"] > 0:
                return c_["name"]
        return None
    seen = []
    check(wait_until(lambda: seen.append(holder_pending()) or seen[-1] is not None, 30, 0.002),
          "a collector holds entries")
    victim = seen[-1]
    eq(env.redis.cmd("GET", "dp:{0}:lease"), victim, "the one consuming holds the shard's lease")
    both[victim].send_signal(signal.SIGKILL)
    both[victim].wait()
    other = [n for n in both if n != victim][0]
    check(wait_until(lambda: settled(env.redis), 120, 0.2), "%s finished alone" % other)
    eq(env.redis.cmd("GET", "dp:{0}:lease"), other, "the lease passed to %s" % other)
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    eq(stop(both[other]), 0, "collector exit code")
    logs_clean(env)

# 3b. Three collectors at once over the same sessions, while another client
# keeps writing a field nobody reads into prospect hashes the batches read
# (and WATCH): EXECs are refused, batches start again, and every number is
# still exact.
import threading
with Env(**SETTINGS) as env:
    t, _ = load(env, 4, 600)
    prospects = sorted(t.prospects)
    stop_poke = threading.Event()

    def poke():
        i = 0
        while not stop_poke.is_set():
            env.redis.cmd("HSET", "dp:{0}:prospect:" + prospects[i % len(prospects)], "poked", str(i))
            i += 1
            time.sleep(0.002)

    poker = threading.Thread(target=poke)
    poker.start()
    cs = [env.collector(n, extra=["--collector_batch", "8"]) for n in ("c1", "c2", "c3")]
    ok = wait_until(lambda: settled(env.redis), 180, 0.2)
    stop_poke.set()
    poker.join()
    check(ok, "three collectors caught up")
    compare(env.redis, t.recount(DAY), DAY, check, eq)
    compare_sessions(env.redis, t, eq)
    conflicts = 0
    for c in cs:
        eq(stop(c), 0, "collector exit code")
    h = env.redis.cmd("HGETALL", "dp:{0}:collectors")
    for f, v in zip(h[::2], h[1::2]):
        if f.endswith("|conflicts"):
            conflicts += int(v)
    print("conflicting batches started again: %d" % conflicts)
    check(conflicts > 0, "some batches met changed state and were started again")
    logs_clean(env)

# 4. A poison entry is dead-lettered after max_deliveries; the group moves on.
with Env(**SETTINGS) as env:
    c = env.collector("p")
    check(wait_until(lambda: env.redis.cmd("EXISTS", "dp:{0}:events") == 1, 10), "group made")
    env.redis.cmd("XADD", "dp:{0}:events", "*", "v", "1", "session", "x", "type", "bogus")
    token = env.server.mint("pres-x", "pr-x")
    from dp import batch, view
    eq(env.server.post_json("/v1/events", batch("after", [view(1)], token)).status, 202, "ingest")
    check(wait_until(lambda: env.redis.cmd("XLEN", "dp:{0}:dead") == 1, 20, 0.1),
          "poison entry dead-lettered")
    dead = env.redis.entries("dp:{0}:dead")
    eq((dead[0].get("reason"), dead[0].get("deliveries"), dead[0].get("type")),
       ("entry: bad received", "3", "bogus"),
       "dead letter keeps the reason, its deliveries (max_deliveries) and the fields")
    plog = open(os.path.join(env.tmp, "collector-p.log"), errors="replace").read()
    eq([l.split("delivery ")[1].split(")")[0] for l in plog.splitlines()
        if dead[0]["id"] in l and "left pending" in l], ["1", "2"],
       "left pending on its first two deliveries, dead-lettered on the third")
    check(wait_until(lambda: settled(env.redis), 20, 0.1), "group moved on")
    eq(env.redis.cmd("HGET", "dp:{0}:pd:pr-x:%s:self" % DAY, "views"), "1", "the next entry was applied")
    # RELIABILITY row 23: a view past the slides its session announced (in an
    # earlier batch) counts as a view of its slide, not as a position: it
    # neither completes the session nor moves the funnel or slides seen.
    post = lambda evs: env.server.post_json("/v1/events", batch("oob", evs, token)).status
    eq(post([{"seq": 1, "type": "open", "at": 1763800000000, "slides": 3}, view(2, index=0)]),
       202, "open with 3 slides")
    eq(post([view(3, slide="fake", index=9)]), 202, "a later view at index 9")
    check(wait_until(lambda: settled(env.redis), 20, 0.1), "applied")
    eq(env.redis.cmd("HMGET", "dp:{0}:sess:oob", "slides", "seen", "maxidx", "completed"),
       ["3", "1", "0", "0"], "the session's positions ignore the unplaced view")
    eq(env.redis.cmd("HGET", "dp:{0}:slides:q3-pricing:%s:self" % DAY, "fake|1|views"), "1",
       "it is still a view of its slide")
    eq(env.redis.cmd("HGET", "dp:{0}:mat:q3-pricing:%s:self" % DAY, "x9"), None, "not in the funnel")
    check(wait_until(lambda: 'dp_collector_unplaced_views_total{collector="p"} 1' in
                     env.server.get("/metrics").body.decode(), 5, 0.2), "and counted")
    eq(stop(c), 0, "collector exit code")
    logs_clean(env)

# 5. What the README's run command does: the server with its private Redis
# starts and supervises a collector; a killed collector is restarted; SIGTERM
# stops all three.
import re
import shutil
import socket
import tempfile
from dp import Server, batch, resp_command, view

tmp = tempfile.mkdtemp(prefix="dp-it-")
srv = Server(tmp, None, redis="", start_collector="true", session_timeout_ms="1500")
check(srv.wait_ready(15), "ready with private Redis and collector")
psock = os.path.join(srv.data_dir, "redis", "redis.sock")


def rcmd(*args):
    return resp_command(psock, list(args), socket.AF_UNIX)


token = srv.mint("deck", "jane", account="acme")
eq(srv.post_json("/v1/events", batch("run1", [view(1), view(2, index=1)], token)).status, 202,
   "ingest")
check(wait_until(lambda: rcmd("HGET", "dp:{0}:pd:jane:%s:self" % DAY, "views") == "2", 15, 0.1),
      "the supervised collector rolled the events up")
pids = [int(p) for p in re.findall(r"deckpulse-collector started, pid (\d+)", srv.log())]
check(len(pids) == 1, "one collector started")
os.kill(pids[0], signal.SIGKILL)
check(wait_until(lambda: len(re.findall(r"deckpulse-collector started", srv.log())) == 2, 15),
      "the collector is restarted after kill -9")
eq(srv.post_json("/v1/events", batch("run2", [view(1)], token)).status, 202, "ingest again")
check(wait_until(lambda: rcmd("HGET", "dp:{0}:pd:jane:%s:self" % DAY, "views") == "3", 15, 0.1),
      "the restarted collector goes on")
check(wait_until(lambda: rcmd("ZCARD", "dp:{0}:open") == 0, 15, 0.2), "sessions time out")
d = time.strftime("%Y-%m-%d", time.gmtime())
eq(rcmd("HGET", "dp:{0}:slides:q3-pricing:%s:self" % d, "roi|1|exits"), "2", "exits counted")
newpid = int(re.findall(r"deckpulse-collector started, pid (\d+)", srv.log())[-1])
eq(srv.stop(), 0, "server exit code")
check(not os.path.exists("/proc/%d" % newpid) or
      open("/proc/%d/stat" % newpid).read().split()[2] == "Z", "collector stopped with the server")
check("deckpulse-collector stopped" in srv.log() or "deckpulse-collector[" in srv.log(),
      "collector stop logged")
shutil.rmtree(tmp, ignore_errors=True)

# dedup_ttl_s: a session's (session, seq) marks and its state are kept that
# long after its last batch (each batch starts the time again); a copy of a
# batch within it counts nothing, and once the marks have expired (here by
# hand: Redis expires them at the time) the same events count again.
with Env(**SETTINGS) as env:
    from dp import batch, view
    c = env.collector("ttl", extra=["--dedup_ttl_s", "60"])
    token = env.server.mint("deck-ttl", "tess")
    views = lambda: int(env.redis.cmd("HGET", "dp:{0}:pd:tess:%s:self" % DAY, "views") or 0)
    post = lambda evs: env.server.post_json("/v1/events", batch("s-ttl", evs, token)).status
    eq(post([view(1), view(2)]), 202, "a batch")
    check(wait_until(lambda: views() == 2, 10, 0.05), "applied")
    ttls = [env.redis.cmd("PTTL", "dp:{0}:%s:s-ttl" % k) for k in ("seen", "sess")]
    check(all(58000 < t <= 60000 for t in ttls), "marks and state expire after dedup_ttl_s: %r" % ttls)
    env.redis.cmd("PEXPIRE", "dp:{0}:seen:s-ttl", 30000)
    eq(post([view(3)]), 202, "a later batch")
    check(wait_until(lambda: views() == 3, 10, 0.05), "applied")
    ttl = env.redis.cmd("PTTL", "dp:{0}:seen:s-ttl")
    check(58000 < ttl <= 60000, "a later batch starts the time again (%d ms)" % ttl)
    eq(post([view(1), view(2)]), 202, "a copy of the first batch within dedup_ttl_s")
    check(wait_until(lambda: settled(env.redis, sessions_ended=False), 10, 0.05), "read")
    eq(views(), 3, "counts nothing")
    env.redis.cmd("PEXPIRE", "dp:{0}:seen:s-ttl", 1)
    check(wait_until(lambda: env.redis.cmd("EXISTS", "dp:{0}:seen:s-ttl") == 0, 5, 0.01),
          "the marks expired")
    eq(post([view(1), view(2)]), 202, "the copy again, after the marks expired")
    check(wait_until(lambda: views() == 5, 10, 0.05), "counted again: remembered only dedup_ttl_s")
    logs_clean(env)

# forwarded is exact: two browsers whose viewer ids share a HyperLogLog
# register (PFCOUNT of the two says 1) still make the link forwarded. The
# day's salt is set before the server hashes anything, so the test can
# compute the viewer ids (keyed hash of IP, user agent and presentation:
# server/ingest/ingest.c) and pick a user agent that collides with the first.
with Env(**SETTINGS) as env:
    from dp import SALES, batch, view
    salt = bytes(range(32))
    env.redis.cmd("SET", "dp:salt:" + DAY, salt.hex())

    def viewer(ua, pres):
        msg = b"127.0.0.1\0" + ua.encode() + b"\0" + pres.encode()
        return "a:" + hmac.new(salt, msg, hashlib.sha256).hexdigest()[:32]

    first = viewer("browser-0", "deck-fwd")
    found = None
    for start in range(1, 200001, 5000):  # one in 16384 shares the first's register
        cands = ["browser-%d" % n for n in range(start, start + 5000)]
        i = env.redis.cmd("EVAL", """
            for i = 2, #ARGV do
                redis.call('DEL', KEYS[1])
                redis.call('PFADD', KEYS[1], ARGV[1], ARGV[i])
                if redis.call('PFCOUNT', KEYS[1]) == 1 then return i - 2 end
            end
            return -1""", 1, "scratch", first, *[viewer(ua, "deck-fwd") for ua in cands])
        if i >= 0:
            found = cands[i]
            break
    check(found is not None, "two browsers whose viewer ids count as one in a HyperLogLog")
    c = env.collector("fwd")
    token = env.server.mint("deck-fwd", "fiona")
    for sid, ua in (("s-fwd-1", "browser-0"), ("s-fwd-2", found)):
        r = env.server.request("POST", "/v1/events", json.dumps(batch(sid, [view(1)], token)).encode(),
                               {"Content-Type": "application/json", "User-Agent": ua})
        eq(r.status, 202, "a view from " + ua)
    check(wait_until(lambda: settled(env.redis, sessions_ended=False), 10, 0.05), "applied")
    eq(env.redis.cmd("PFCOUNT", "dp:{0}:pvd:deck-fwd:" + DAY), 1, "the HyperLogLog counts one")
    eq(env.redis.cmd("HGET", "dp:{0}:pres:deck-fwd", "forwarded"), "1", "forwarded, exactly")
    rep = env.server.get("/v1/presentations/deck-fwd?from=%s&to=%s" % (DAY, DAY),
                         {"Authorization": "Bearer " + SALES}).json()
    eq(rep["forwarded"], True, "the report says forwarded")
    logs_clean(env)

finish()
