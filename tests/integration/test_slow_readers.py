"""Clients that never read their answers (issue 19): 200 of them asking for
one cached 4 MB report held 200 copies of it (each connection copied the
body, and kept the copy's buffer afterwards); now they share the cached
answer by reference. A client that reads nothing of an answer for 5 s is
disconnected. Copies of uncached answers waiting for slow clients are
bounded in all (max_write_queue_mb): past it, 503."""

import socket
import time

from dp import MARKETING, Env, check, eq, finish, metric, wait_until

AUTH = "Authorization: Bearer " + MARKETING


def rss_kb(srv):
    for line in open("/proc/%d/status" % srv.proc.pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def idle_client(port, path):
    """A connection that asks for path and then reads nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n" % (path, AUTH)).encode())
    return s


def closed(s):
    """True once the server has closed s (reading what it sent meanwhile)."""
    s.setblocking(False)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def many_materials(r, n):
    """n material ids (64 characters), 10 000 of them with 200-character
    titles in the catalog: a CSV leaderboard of about 4 MB, more than the
    ~2.8 MB a loopback socket takes from the server before its client reads."""
    ids = ["material-%06d-%s" % (i, "x" * 48) for i in range(n)]
    for i in range(0, n, 5000):
        r.cmd("SADD", "dp:{0}:materials", *ids[i:i + 5000])
    for i in range(10000):
        r.cmd("HSET", "dp:{c}:material:" + ids[i], "title", "T" * 200, "slides", "[]")
    for i in range(0, 10000, 5000):
        r.cmd("SADD", "dp:{c}:catalog", *ids[i:i + 5000])
    r.cmd("INCR", "dp:{c}:gen")


with Env() as env:
    srv, r = env.server, env.redis
    many_materials(r, 24000)
    path = "/v1/materials.csv"
    body = srv.get(path, {"Authorization": "Bearer " + MARKETING}).body
    check(len(body) > 3800000, "a large answer: %d bytes" % len(body))
    rss0 = rss_kb(srv)
    # 60 clients (the kernel takes ~2.8 MB of each answer into its socket
    # buffers: 200 of them put the machine under memory pressure)
    clients = [idle_client(srv.port, path) for _ in range(60)]
    check(wait_until(lambda: metric(srv, 'dp_http_requests_total{route="report",status="200"}')
                     >= 61, 30, 0.1), "all 60 answered")
    grown = rss_kb(srv) - rss0
    print("60 idle clients of a %d-byte cached answer: RSS +%d KB" % (len(body), grown))
    check(grown < 40 * 1024, "they share one copy: RSS grew %d KB (60 copies: ~260 MB)" % grown)
    t0 = time.time()
    # (watched from the server's side: reading here would be progress)
    check(wait_until(lambda: metric(srv, "dp_open_connections") <= 1, 20, 0.2),
          "clients that read nothing for 5 s are disconnected")
    print("disconnected after %.1f s" % (time.time() - t0))
    eq(metric(srv, "dp_http_write_stalls_total"), 60, "counted as write stalls")
    check(all(closed(c) for c in clients), "closed, as the clients see it")
    for c in clients:
        c.close()
    eq(srv.get("/healthz").status, 200, "the server goes on")

# answers that are not cached are copied: their copies are bounded in all
# (computations are not the limit here: every request gets its answer computed)
with Env(report_cache_mb="0", max_write_queue_mb="16", report_concurrency="64",
         report_concurrency_per_key="64") as env:
    srv, r = env.server, env.redis
    many_materials(r, 24000)
    clients = []
    for i in range(30):  # 30 different answers (each computed once, copied)
        clients.append(idle_client(srv.port, "/v1/materials.csv?limit=%d" % (24000 - i)))
        time.sleep(0.05)
    check(wait_until(lambda: metric(srv, "dp_http_write_queue_full_total") > 0, 20, 0.1),
          "past max_write_queue_mb, answers get 503")
    queued = metric(srv, "dp_http_write_queue_bytes")
    check(queued <= 16 << 20, "copies queued: %d bytes, within 16 MB" % queued)
    for c in clients:
        c.close()
    eq(srv.get("/healthz").status, 200, "the server goes on")

finish()
