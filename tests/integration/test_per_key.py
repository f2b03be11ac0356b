"""Limits per API key (issue 19): many distinct cold report queries from
one key kept every other key on 503; one key could take all 256 live
streams. report_concurrency_per_key and live_streams_per_key bound what
one key holds; another key goes on."""

import socket
import threading
import time

from dp import ADMIN, MARKETING, SALES, Env, check, eq, finish


def auth(key):
    return {"Authorization": "Bearer " + key}


def stream(port, key):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(("GET /v1/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % key).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    return s, int(head.split(b" ")[1])


with Env(live_streams_per_key="3", report_concurrency="4", report_concurrency_per_key="2",
         redis_timeout_ms="5000") as env:
    srv, r = env.server, env.redis
    # live: three streams for one key, the fourth refused; another key goes on
    got = [stream(srv.port, SALES) for _ in range(4)]
    eq([st for _, st in got], [200, 200, 200, 503], "a key's streams past live_streams_per_key")
    other, st = stream(srv.port, ADMIN)
    eq(st, 200, "another key's stream")
    for s, _ in got:
        s.close()
    other.close()

    # reports: while Redis is busy, four different cold reports of one key
    # and one of another; the first key gets two computed, the other key its one
    results = {}

    def ask(name, key, q):
        results[name] = srv.get("/v1/materials?%s" % q, auth(key))

    # Redis runs nothing else while a script runs: a script that waits 2 s (within redis_timeout_ms)
    busy = ("local t = redis.call('TIME'); local e = t[1] * 1000000 + t[2] + 2000000 "
            "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= e return 1")
    sleeper = threading.Thread(target=lambda: r.cmd("EVAL", busy, "0"))
    sleeper.start()
    time.sleep(0.2)
    ts = [threading.Thread(target=ask, args=("m%d" % i, MARKETING, "from=2026-0%d-01" % (i + 1)))
          for i in range(4)]
    ts.append(threading.Thread(target=ask, args=("admin", ADMIN, "from=2026-06-01")))
    for t in ts:
        t.start()
        time.sleep(0.03)
    for t in ts + [sleeper]:
        t.join(20)
    statuses = sorted(results["m%d" % i].status for i in range(4))
    eq(statuses, [200, 200, 503, 503], "one key: report_concurrency_per_key computed at once")
    busy = [results["m%d" % i].json()["error"] for i in range(4) if results["m%d" % i].status == 503]
    eq(busy[0], "reports busy for this API key: report_concurrency_per_key being computed for "
                "it already; retry shortly", "said so")
    eq(results["admin"].status, 200, "another key is computed meanwhile")

finish()
