"""A 202 survives a power loss (issue 19, RELIABILITY.md row 31).

The server's whole data directory (spool, salt, secrets, archive) and its
private Redis's AOF live on lazyfs.py, a FUSE file system that keeps only
what was fsynced. Batches are posted from 8 clients, then the power is cut:
the server, its private redis-server and the collector are killed with
SIGKILL at once, the file system forgets every byte not fsynced, and
everything starts again on what the "disk" kept. Then every batch answered
202 must be counted exactly once, and no batch more than once.

The private redis-server is started by the server as always, through a
wrapper (redis_server) that only moves its --dir onto the lazy file system:
its unix socket stays on a real one (a socket on FUSE cannot be connected
to), reached through a symlink at data_dir/redis. Its other settings, and
so appendfsync, are the ones the server gives it.

Exit 77 (skipped) only where FUSE cannot be mounted; scripts/deps.sh --test
installs python3-fusepy."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from dp import (Server, check, eq, finish, make_request, settled, utc_day_for, view,  # noqa: E402
                wait_until, resp_command)
from lazyfs import restore  # noqa: E402

COLLECTOR = os.environ.get("DP_COLLECTOR", "build/deckpulse-collector")
REDIS_SERVER = os.environ.get("DP_REDIS_SERVER", "redis-server")

if not os.path.exists("/dev/fuse") or not os.path.exists("/usr/lib/python3/dist-packages/fusepy.py"):
    print("skipped: no /dev/fuse or python3-fusepy (scripts/deps.sh --test installs it)")
    sys.exit(77)

DAY = utc_day_for(60)
tmp = tempfile.mkdtemp(prefix="dp-power-")
live, durable, mnt, run = (os.path.join(tmp, d) for d in ("live", "durable", "mnt", "run"))
for d in (live, durable, mnt, run):
    os.makedirs(d)
fs = None
procs = []  # everything started, killed at exit whatever happened


@atexit.register
def cleanup():
    for p in procs + ([fs] if fs else []):
        if p.poll() is None:
            p.kill()
            p.wait()
    try:  # the private redis-server outlives a server killed with SIGKILL
        os.kill(int(open(os.path.join(run, "redis.pid")).read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
    subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    shutil.rmtree(tmp, ignore_errors=True)


def mount():
    global fs
    fs = subprocess.Popen([sys.executable, os.path.join(HERE, "lazyfs.py"), live, durable, mnt],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "fs.log"), "ab"))
    check(wait_until(lambda: os.path.ismount(mnt), 10, 0.05), "the lazy file system is mounted")


def unmount():
    fs.kill()
    fs.wait()
    subprocess.run(["umount", "-l", mnt], stderr=subprocess.DEVNULL)
    check(wait_until(lambda: not os.path.ismount(mnt), 10, 0.05), "unmounted")


mount()
data = os.path.join(mnt, "data")
os.makedirs(data)
os.symlink(run, os.path.join(data, "redis"))  # the socket and pid file, on a real file system
os.makedirs(os.path.join(mnt, "aof"))
wrapper = os.path.join(tmp, "redis-server")
with open(wrapper, "w") as f:
    f.write("#!/bin/sh\nexec %s \"$@\" --dir %s\n" % (REDIS_SERVER, os.path.join(mnt, "aof")))
os.chmod(wrapper, 0o755)

SETTINGS = dict(redis="", redis_server=wrapper, allow_anonymous="true", session_timeout_ms="1000",
                spool_fsync_ms="2")


def start():
    srv = Server(tmp, None, data_dir=data, **SETTINGS)
    procs.append(srv.proc)
    check(srv.wait_ready(20), "server ready (private Redis on the lazy file system)")
    col = subprocess.Popen([COLLECTOR, "--redis", "unix:" + os.path.join(run, "redis.sock"),
                            "--data_dir", data, "--collector_name", "c", "--session_timeout_ms",
                            "1000", "--log_level", "warn"],
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "c.log"), "ab"))
    procs.append(col)
    return srv, col


srv, col = start()
psock = os.path.join(run, "redis.sock")
eq(resp_command(psock, ["CONFIG", "GET", "appendfsync"], __import__("socket").AF_UNIX),
   ["appendfsync", "always"], "the private Redis as the server runs it")

# 8 clients, each batch its own session and slide: which batches were
# acknowledged is known one by one
acked, sent, stop = set(), set(), threading.Event()
lock = threading.Lock()


def client(k):
    n = 0
    while not stop.is_set():
        i = k * 100000 + n
        n += 1
        body = json.dumps({"session": "pl-%d" % i, "presentation": "deck", "mode": "self",
                           "events": [view(1, material="pl", slide="s%d" % i)]}).encode()
        with lock:
            sent.add(i)
        try:
            c = srv.conn(5)
            c.send(make_request("POST", "/v1/events", body,
                                {"Content-Type": "text/plain",
                                 "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"},
                                close=True))
            if c.response().status == 202:
                with lock:
                    acked.add(i)
            c.close()
        except (OSError, EOFError):  # the cut: refused, reset or closed
            time.sleep(0.01)


threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
check(wait_until(lambda: len(acked) >= 150, 30, 0.05), "batches acknowledged before the cut")

# the cut: every process at once, then the disk keeps what was fsynced
rpid = int(open(os.path.join(run, "redis.pid")).read())
for pid in (srv.proc.pid, rpid, col.pid):
    os.kill(pid, signal.SIGKILL)
stop.set()
for t in threads:
    t.join()
srv.proc.wait()
col.wait()
check(wait_until(lambda: not os.path.exists("/proc/%d" % rpid), 10, 0.05), "redis-server gone")
unmount()


def size(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs_ in os.walk(root) for f in fs_)


lost_bytes = size(live) - size(durable)
print("cut after %d acknowledged of %d sent; %d bytes were not fsynced" % (len(acked), len(sent),
                                                                        lost_bytes))
restore(live, durable)
mount()

srv, col = start()


class R:
    def cmd(self, *args):
        return resp_command(psock, args, __import__("socket").AF_UNIX)


r = R()
check(wait_until(lambda: settled(r), 60, 0.2), "the collector settled after the restart")
views = r.cmd("HGETALL", "dp:{0}:slides:pl:%s:self" % DAY)
got = {}
for f, v in zip(views[::2], views[1::2]):
    slide, _, stat = f.split("|")
    if stat == "views":
        got[int(slide[1:])] = int(v)
missing = sorted(i for i in acked if got.get(i, 0) != 1)
eq(missing, [], "every acknowledged batch counted once after the power cut")
eq(sorted(i for i, v in got.items() if v > 1), [], "no batch counted twice")
eq(sorted(set(got) - sent), [], "nothing counted that was not sent")
print("after the restart: %d counted (%d acknowledged, %d sent)" % (len(got), len(acked), len(sent)))

srv.proc.send_signal(signal.SIGTERM)
srv.proc.wait(30)
col.kill()
col.wait()
unmount()
shutil.rmtree(tmp, ignore_errors=True)
finish()
