"""Several server processes on one port (issue 22): `workers = 3`.

The server starts two more processes of itself on its port (SO_REUSEPORT)
with their own spools; they share nothing but Redis and data_dir's
secrets. Batches posted on fresh connections are spread over the three
(the access log names each process), every one is accepted and counted
once; a worker killed with SIGKILL is started again by the first one and
the port keeps answering; SIGTERM to the first stops them all.

Then two servers on different ports over one Redis: links minted by one
are accepted by the other, and both count into the same reports."""

import os
import re
import signal
import subprocess
import time

from dp import (ADMIN, MARKETING, Conn, Env, Server, check, eq, finish, make_request, settled,
                wait_until)

DAY = time.strftime("%Y-%m-%d", time.gmtime())


def post(srv, token, sid, material):
    body = ('{"token":"%s","session":"%s","mode":"self","events":[{"seq":1,"type":"view",'
            '"at":%d,"material":"%s","slide":"s1","version":1,"index":0}]}') % (
        token, sid, int(time.time() * 1000), material)
    c = Conn(srv.port, 10)
    try:
        c.send(make_request("POST", "/v1/events", body.encode(), {"Content-Type": "text/plain"},
                            close=True))
        return c.response().status
    finally:
        c.close()


def views(srv, material):
    r = srv.get("/v1/materials/%s?from=%s&to=%s" % (material, DAY, DAY),
                {"Authorization": "Bearer " + MARKETING})
    return r.json().get("views", 0) if r.status == 200 else -1


def workers_of(pid):
    # the server's children: the workers (no collector, notifier or Redis of its own here)
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(x) for x in out)


with Env(workers=3, access_log="true") as env:
    srv, r = env.server, env.redis
    env.collector("w")
    check(wait_until(lambda: len(workers_of(srv.proc.pid)) == 2, 10, 0.05),
          "the server started two workers")
    token = srv.mint("p-workers", "pr-workers")
    statuses = [post(srv, token, "w-%d" % i, "m-workers") for i in range(300)]
    eq(set(statuses), {202}, "every batch accepted, whichever process took it")
    took = set(re.findall(r"access method=POST path=\"/v1/events\".* worker=(\d+)", srv.log()))
    eq(took, {"0", "1", "2"}, "the three processes each took some of the connections")
    check(os.path.isdir(os.path.join(srv.data_dir, "spool-1")) and
          os.path.isdir(os.path.join(srv.data_dir, "spool-2")), "each worker has its own spool")
    check(wait_until(lambda: settled(r, sessions_ended=False), 30, 0.1), "collector caught up")
    eq(views(srv, "m-workers"), 300, "each batch counted once")
    # a worker dies: the first one starts it again
    victim = workers_of(srv.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    check(wait_until(lambda: len(workers_of(srv.proc.pid)) == 2 and
                     victim not in workers_of(srv.proc.pid), 10, 0.05), "the worker was restarted")
    statuses = [post(srv, token, "x-%d" % i, "m-workers") for i in range(100)]
    eq(set(statuses), {202}, "the port keeps answering")
    check(wait_until(lambda: views(srv, "m-workers") == 400, 30, 0.1), "and counting")
    # two servers on different ports, one Redis: a link from one works on the other
    other = Server(env.tmp, r.url(), data_dir=srv.data_dir)
    check(other.wait_ready(), "a second server")
    tok2 = other.mint("p-other", "pr-other")
    eq(post(srv, tok2, "y-1", "m-two"), 202, "its link accepted by the first")
    eq(post(other, token, "y-2", "m-two"), 202, "and the first's by it")
    check(wait_until(lambda: views(other, "m-two") == 2, 30, 0.1), "both counted in one report")
    eq(other.stop(), 0, "the second server's exit code")
    kids = workers_of(srv.proc.pid)

eq([k for k in kids if os.path.exists("/proc/%d" % k)], [], "SIGTERM stopped the workers too")

finish()
