"""The spool (issue 7): when Redis cannot take a batch, the server writes it
to data_dir/spool, fsyncs, and only then answers 202; when Redis is back it
replays the spool in order and removes each segment once all its events are
in Redis. Every case checks (session, seq) of every acknowledged event.

  Redis killed          -> 202 from the spool, replayed after restart
  Redis OOM (maxmemory) -> 202 from the spool (never 202 without a write)
  Redis SIGSTOPped      -> the command timeout fires, 202 from the spool
  server killed with a torn record at the spool's tail -> the torn record
                           is skipped, every acknowledged event arrives
  spool at spool_max_mb -> 503 + Retry-After, counted as spool_full
  spool disk full       -> 503, no partial record left, /healthz answers,
                           202 again once space frees (RELIABILITY row 8)"""

import glob
import os
import signal
import struct
import subprocess
import time

from dp import (Env, batch, check, eq, fill_disk, finish, metric, read_spool, view, wait_until,
                xadd_events)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"
SETTINGS = dict(access_log="false", redis_timeout_ms=400, spool_segment_kb=16)


def stored(r):
    return sorted((e["session"], int(e["seq"])) for e in r.entries())


def spool_files(env):
    return sorted(glob.glob(os.path.join(env.server.data_dir, "spool", "*.seg")))


def post(env, session, first, n=5, token=None):
    events = [view(first + k) for k in range(n)]
    r = env.server.post_json("/v1/events", batch(session, events, token))
    return r, {(session, first + k) for k in range(n)}


# Redis killed: 202 from the spool, then replayed in order after a restart.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    acked = set()
    r, ev = post(env, "s-before", 1, token=token)
    eq(r.status, 202, "202 with Redis up")
    acked |= ev
    # appendfsync always (as in production): what Redis answered is on disk,
    # so it can be killed at once (with everysec this needed a 1.5 s wait)
    env.redis.stop(signal.SIGKILL)
    t0 = time.time()
    for i in range(40):  # 40 batches x 40 events: several 16 KB segments
        r, ev = post(env, "s-down", 1 + 40 * i, 40, token)
        eq((r.status, r.json()), (202, {"accepted": 40}), "202 from the spool (batch %d)" % i)
        acked |= ev
    print("40 spooled batches in %.2fs" % (time.time() - t0))
    eq(metric(env.server, "dp_events_spooled_total"), 1600, "spooled events counted")
    files = spool_files(env)
    check(len(files) >= 3, "spool rolled over into several segments (%d)" % len(files))
    on_disk = [c for f in files for rec in read_spool(f)[0] for c in rec]
    eq(len(on_disk), 40, "every spooled batch is on disk, one XADD each")
    eq(sorted((e["session"], int(e["seq"])) for c in on_disk for e in xadd_events(c)),
       sorted(ev for ev in acked if ev[0] == "s-down"), "holding every spooled event")
    check(all(read_spool(f)[1] == b"" for f in files), "no partial record in any segment")
    # RELIABILITY row 27: the spool holds the viewer hash, never the address
    check(not any(b"127.0.0.1" in open(f, "rb").read() for f in files), "no client IP in the spool")
    check(all(e["viewer"].startswith("a:") and len(e["viewer"]) == 34
              for c in on_disk for e in xadd_events(c)), "the viewer hash instead")
    eq(metric(env.server, "dp_spool_bytes"), sum(os.path.getsize(f) for f in files),
       "dp_spool_bytes is what is on disk")
    eq(env.server.get("/healthz").status, 200, "health answers while Redis is down")
    # the pixel spools too: its GIF means the open is on disk
    px = env.server.get("/v1/pixel.gif?token=" + token, {"User-Agent": BROWSER})
    eq((px.status, px.header("content-type"), px.body[:6]), (200, "image/gif", b"GIF89a"),
       "the pixel answered from the spool")
    eq(metric(env.server, "dp_events_spooled_total"), 1601, "the pixel's open spooled")
    env.redis.start()
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 20, 0.1),
          "the spool is replayed and emptied")
    eq(spool_files(env), [], "segments removed once replayed")
    pixel = [e for e in env.redis.entries() if e.get("source") == "pixel"]
    eq([(e["type"], e["prospect"], e["presentation"]) for e in pixel], [("open", "pat", "deck")],
       "the pixel's open replayed, once")
    got = sorted(x for x in stored(env.redis) if not x[0].startswith("px-"))
    eq(set(got), acked, "every acknowledged event is in Redis")
    down = [s for s in got if s[0] == "s-down"]
    eq(down, sorted(down), "replayed in order")
    eq(len(got), len(acked), "no event twice (each segment replayed once)")
    eq(metric(env.server, "dp_spool_replayed_entries_total"), 41,
       "replay progress in /metrics (40 batches and the pixel)")

# Redis out of memory: XADD is refused, the batch is spooled; 202 is never
# given for an event that was neither in Redis nor on disk.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    env.redis.cmd("CONFIG", "SET", "maxmemory", "1")
    r, ev = post(env, "s-oom", 1, token=token)
    eq(r.status, 202, "202 from the spool while Redis refuses writes")
    eq(metric(env.server, "dp_events_spooled_total"), 5, "spooled, not in Redis")
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 1, 3, 0.1),
          "replay keeps failing while Redis is full: the segment stays")
    time.sleep(0.6)
    eq(metric(env.server, "dp_spool_segments"), 1, "segment kept while Redis refuses")
    env.redis.cmd("CONFIG", "SET", "maxmemory", "0")
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 10, 0.1),
          "replayed once Redis takes writes")
    eq(set(stored(env.redis)), ev, "the OOM batch arrived")

# Redis stopped (SIGSTOP): the command timeout fires, the batch is spooled.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    env.redis.proc.send_signal(signal.SIGSTOP)
    t0 = time.time()
    r, ev = post(env, "s-stop", 1, token=token)
    took = time.time() - t0
    env.redis.proc.send_signal(signal.SIGCONT)
    eq(r.status, 202, "202 from the spool after the Redis timeout")
    # redis_timeout_ms (400) fires, then one fsync: not sooner, and not
    # much later
    check(0.38 <= took < 0.9, "answered after redis_timeout_ms and an fsync (%.2fs)" % took)
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 10, 0.1), "replayed")
    eq(set(stored(env.redis)), ev, "the batch is in Redis, once")
    eq(len(stored(env.redis)), 5, "no double write although the first XADDs may have landed")

# The server is killed; the spool's last record is torn (as a crash while
# appending leaves it). The restarted server replays the whole records and
# skips the torn one.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    env.redis.stop(signal.SIGKILL)
    acked = set()
    for i in range(3):
        r, ev = post(env, "s-torn", 1 + 5 * i, token=token)
        eq(r.status, 202, "spooled")
        acked |= ev
    env.server.proc.send_signal(signal.SIGKILL)
    env.server.proc.wait()
    last = spool_files(env)[-1]
    whole = open(last, "rb").read()
    recs, rest = read_spool(last)
    eq((len(recs), rest), (3, b""), "three whole records before the tear")
    # a fourth record cut in the middle of its payload, as a crash leaves it
    tail = whole[8:8 + 16 + struct.unpack_from("<I", whole, 12)[0]]
    with open(last, "ab") as f:
        f.write(tail[:len(tail) // 2])
    env.redis.start()
    port = env.server.port
    env.server.stop()
    env.server.argv[env.server.argv.index("--listen") + 1] = "127.0.0.1:%d" % port
    env.server.start()
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 10, 0.1),
          "the restarted server replays the spool it found")
    eq(set(stored(env.redis)), acked, "every acknowledged event arrived")
    eq(len(stored(env.redis)), 15, "the torn record was not replayed")
    eq(metric(env.server, "dp_spool_torn_records_total"), 1, "the torn record is counted")
    check("torn record at byte" in env.server.log(), "and logged")

# The spool at its cap: 503 with Retry-After, counted by reason.
with Env(spool_max_mb=1, retry_after_s=3, **SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    env.redis.stop(signal.SIGKILL)
    statuses, acked = [], set()
    for i in range(2000):
        r, ev = post(env, "s-full", 1 + 40 * i, 40, token)
        statuses.append(r.status)
        if r.status == 202:
            acked |= ev
        else:
            break
    eq(statuses[-1], 503, "503 once the spool is full")
    eq(r.header("Retry-After"), "3", "with Retry-After: retry_after_s")
    # pixels (a small record each) fill what a batch left, then get 503
    pixels = []
    for _ in range(100):
        px = env.server.get("/v1/pixel.gif?token=" + token, {"User-Agent": BROWSER})
        pixels.append(px.status)
        if px.status != 200:
            break
    eq((pixels[-1], px.header("Retry-After")), (503, "3"),
       "a pixel whose open cannot be made durable is not answered 200 (%d took the room left)"
       % (len(pixels) - 1))
    eq(r.json()["error"], "event store unavailable and the spool is full; retry later",
       "the reason")
    check(len(acked) > 1000, "a megabyte of batches spooled first (%d events)" % len(acked))
    eq(metric(env.server, 'dp_batches_rejected_total{reason="spool_full"}'), 2,
       "counted as spool_full (the batch and the pixel)")
    check(metric(env.server, "dp_spool_bytes") <= 1 << 20, "never past spool_max_mb")
    env.redis.start()
    check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 20, 0.1), "replayed")
    eq(set(x for x in stored(env.redis) if not x[0].startswith("px-")), acked,
       "every acknowledged event arrived")
    eq(len([e for e in env.redis.entries() if e.get("source") == "pixel"]), len(pixels) - 1,
       "and every pixel answered 200")

# RELIABILITY row 8: the spool's disk fills while the spool is in use.
# Redis goes first, so a segment is being written; then the disk fills and
# a batch larger than what is left of the segment's last page is written
# part-way before ENOSPC: the server must cut it back, so the segment ends
# on a record boundary and holds exactly the batches it acknowledged.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    spool = os.path.join(env.server.data_dir, "spool")
    # a 256 KB filesystem just for the spool (the tests run as root)
    rc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", spool]).returncode
    eq(rc, 0, "mount a small tmpfs on the spool directory")
    try:
        env.redis.stop(signal.SIGKILL)
        acked = []
        for i in range(3):
            r, ev = post(env, "s-disk", 1 + 10 * i, 10, token)
            eq(r.status, 202, "spooled before the disk fills (batch %d)" % i)
            acked.append(sorted(ev))
        files = spool_files(env)
        eq(len(files), 1, "one segment written while Redis is down")
        filler = fill_disk(spool)
        # 150 events, ~6 KB: more than the ~2 KB left in the segment's page
        r, _ = post(env, "s-disk", 100, 150, token)
        eq((r.status, r.json()["error"]), (503, "events could not be made durable (spool disk "
                                                "full); retry later"), "503 when the disk is full")
        eq(r.header("Retry-After"), "2", "with Retry-After")
        eq(env.server.get("/healthz").status, 200, "health answers")
        eq(metric(env.server, "dp_spool_write_errors_total"), 1, "the write error counted")
        eq(spool_files(env), files, "the segment is still there")
        recs, rest = read_spool(files[0])
        eq(rest, b"", "the segment ends on a record boundary (the torn write was cut back)")
        eq([sorted((e["session"], int(e["seq"])) for c in rec for e in xadd_events(c))
            for rec in recs], acked, "the segment holds exactly the acknowledged batches")
        eq(metric(env.server, "dp_spool_bytes"), os.path.getsize(files[0]),
           "dp_spool_bytes is what is on disk")
        os.unlink(filler)
        r, ev = post(env, "s-disk", 101, 5, token)
        eq(r.status, 202, "202 again once space frees")
        acked.append(sorted(ev))
        recs, rest = read_spool(files[0])
        eq((len(recs), rest), (4, b""), "appended after the last whole record")
        env.redis.start()
        check(wait_until(lambda: metric(env.server, "dp_spool_segments") == 0, 10, 0.1),
              "replayed")
        eq(stored(env.redis), sorted(e for b in acked for e in b),
           "every acknowledged batch arrived, once; nothing of the refused one")
    finally:
        env.server.stop()
        subprocess.run(["umount", "-l", spool])
        env.server.start()

finish()
