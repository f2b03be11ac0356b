"""RELIABILITY.md row 12: a connection flood beyond the file-descriptor
limit. The server must not spin (libuv's reserve-fd trick closes what it
cannot accept), keeps answering what it already holds, and recovers when the
flood drops."""

import os
import resource
import socket
import subprocess
import time

from dp import Env, Server, check, eq, finish, wait_until


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


class LimitedServer(Server):
    def start(self):
        real = subprocess.Popen

        def popen(*a, **kw):
            kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
            return real(*a, **kw)

        subprocess.Popen = popen
        try:
            super().start()
        finally:
            subprocess.Popen = real


with Env(access_log="false", header_timeout_ms=60000, keepalive_timeout_ms=60000) as env:
    srv = LimitedServer(env.tmp, env.redis.url(), access_log="false",
                        header_timeout_ms=60000, keepalive_timeout_ms=60000)
    check(srv.wait_ready(), "ready with 64 file descriptors")
    limits = open("/proc/%d/limits" % srv.proc.pid).read()
    check(any(l.startswith("Max open files") and l.split()[3] == "64"
              for l in limits.splitlines()), "the server runs with 64 file descriptors")
    held = srv.conn()  # an established client keeps being served
    flood = []
    for _ in range(200):
        try:
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")  # half a request: holds its fd
            flood.append(s)
        except OSError:
            pass
    # the server took every descriptor it may have (64): it is at the limit
    fds = lambda: len(os.listdir("/proc/%d/fd" % srv.proc.pid))
    check(wait_until(lambda: fds() >= 64, 5, 0.02), "the server at its fd limit (%d)" % fds())
    c0 = cpu_seconds(srv.proc.pid)
    time.sleep(2.0)
    burned = cpu_seconds(srv.proc.pid) - c0
    check(burned < 0.5, "no busy loop while flooded (%.2fs CPU in 2s)" % burned)
    held.send(b"GET /healthz HTTP/1.1\r\n\r\n")
    eq(held.response().status, 200, "an established connection is still served")
    for s in flood:
        s.close()
    held.close()
    ok = False
    for _ in range(50):
        try:
            if srv.get("/healthz").status == 200:
                ok = True
                break
        except OSError:
            time.sleep(0.1)
    check(ok, "new connections are served once the flood is gone")
    eq(srv.stop(), 0, "exit code")

finish()
