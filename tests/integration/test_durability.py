"""The durability contract under load (RELIABILITY.md rows 1, 4 and 9): a
load generator gives every event a unique (session, seq) and logs which got
a 202; after the fault, every acknowledged event is in Redis.

  row 1  kill -9 Redis under load, restart it: nothing acknowledged is lost;
         during the outage events are refused (503), never acknowledged
  row 4  kill -9 the server under load, restart it: every 202 event is in Redis
  row 9  SIGTERM under load: stops accepting, drains, exits in seconds,
         nothing acknowledged lost"""

import json
import signal
import threading
import time

from dp import Conn, Env, Server, batch, check, eq, finish, make_request, view

SETTINGS = dict(access_log="false", redis_timeout_ms=500)


class Load:
    """Threads posting 5-event batches with unique (session, seq) until
    stopped; acked holds the (session, seq) of every event answered 202."""

    def __init__(self, env, token, threads=4):
        self.env, self.token = env, token
        self.acked, self.statuses = set(), {}
        self.lock = threading.Lock()
        self.stop = False
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]
        for t in self.threads:
            t.start()

    def run(self, n):
        seq, conn = 0, None
        session = "load-%d-%d" % (n, time.time_ns())
        while not self.stop:
            events = [view(seq + k + 1) for k in range(5)]
            seq += 5
            req = make_request("POST", "/v1/events", json.dumps(batch(session, events, self.token)),
                               {"Content-Type": "text/plain"})
            try:
                if conn is None:
                    conn = Conn(self.env.server.port, 5)
                conn.send(req)
                status = conn.response().status
            except (OSError, EOFError, ValueError, IndexError):
                status = 0
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.01)
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 202:
                    self.acked.update((session, e["seq"]) for e in events)
        if conn:
            conn.close()

    def finish(self):
        self.stop = True
        for t in self.threads:
            t.join(30)


def stored(r):
    return {(e["session"], int(e["seq"])) for e in r.entries()}


# Row 1: kill -9 Redis under load, then restart it.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    load = Load(env, token)
    time.sleep(1.0)
    env.redis.stop(signal.SIGKILL)
    time.sleep(1.0)
    env.redis.start()
    env.server.wait_ready(10)
    time.sleep(1.0)
    load.finish()
    print("row 1 statuses:", load.statuses)
    check(load.statuses.get(202, 0) > 50, "load was acknowledged before and after the outage")
    check(load.statuses.get(503, 0) > 0, "the outage was answered 503")
    missing = load.acked - stored(env.redis)
    eq(len(missing), 0, "acknowledged events missing after kill -9 of Redis")

# Row 4: kill -9 the server under load, restart it.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    load = Load(env, token)
    time.sleep(1.0)
    env.server.proc.send_signal(signal.SIGKILL)
    env.server.proc.wait()
    old_port = env.server.port
    env.server.stop()
    env.server.argv[env.server.argv.index("--listen") + 1] = "127.0.0.1:%d" % old_port
    env.server.start()
    env.server.wait_ready(10)
    time.sleep(1.0)
    load.finish()
    print("row 4 statuses:", load.statuses)
    check(load.statuses.get(202, 0) > 50, "load acknowledged around the kill")
    missing = load.acked - stored(env.redis)
    eq(len(missing), 0, "acknowledged events missing after kill -9 of the server")

# Row 9: SIGTERM under load: drains, exits in seconds, nothing acked lost.
with Env(**SETTINGS) as env:
    token = env.server.mint("deck", "pat")
    load = Load(env, token)
    time.sleep(1.0)
    t0 = time.time()
    env.server.proc.send_signal(signal.SIGTERM)
    rc = env.server.proc.wait(20)
    took = time.time() - t0
    load.finish()
    print("row 9 statuses:", load.statuses, "exit in %.2fs" % took)
    eq(rc, 0, "clean exit under load")
    check(took < 5, "exits in seconds (%.2fs)" % took)
    missing = load.acked - stored(env.redis)
    eq(len(missing), 0, "acknowledged events missing after SIGTERM")
    env.server.start()  # so the Env can stop it again
    env.server.wait_ready(10)

finish()
