"""What the cluster tests share (issue 22): who serves a slot, killing a
node, and a client posting one-view batches while the cluster changes."""

import os
import signal
import threading
import time

from dp import MARKETING, Conn, make_request

DAY = time.strftime("%Y-%m-%d", time.gmtime())


def primary_of(r, slot):
    r.refresh()
    return r.slot_port[slot]


def kill_node(r, port):
    with open(os.path.join(r.dir, str(port), "redis.pid")) as f:
        pid = int(f.read())
    os.kill(pid, signal.SIGKILL)


def promoted(r, slot, old):
    try:
        r.refresh()
    except RuntimeError:
        return False
    return r.slot_port.get(slot) not in (None, old)


class Poster(threading.Thread):
    """Posts one-view batches (session <tag>-<n>) until stopped."""

    def __init__(self, srv, token, tag, material):
        super().__init__(daemon=True)
        self.srv, self.token, self.tag, self.material = srv, token, tag, material
        self.acked = self.other = 0
        self.stop = False

    def run(self):
        n = 0
        conn = None
        while not self.stop:
            n += 1
            body = ('{"token":"%s","session":"%s-%d","mode":"self","events":[{"seq":1,'
                    '"type":"view","at":%d,"material":"%s","slide":"s1","version":1,'
                    '"index":0}]}') % (self.token, self.tag, n, int(time.time() * 1000),
                                       self.material)
            try:
                if conn is None:
                    conn = Conn(self.srv.port, 10)
                conn.send(make_request("POST", "/v1/events", body.encode(),
                                       {"Content-Type": "text/plain"}))
                status = conn.response().status
            except OSError:
                conn = None
                self.other += 1
                continue
            if status == 202:
                self.acked += 1
            else:
                self.other += 1
            time.sleep(0.002)


def views(srv, material):
    r = srv.get("/v1/materials/%s?from=%s&to=%s" % (material, DAY, DAY),
                {"Authorization": "Bearer " + MARKETING})
    return r.json().get("views", 0) if r.status == 200 else -1


def drained(r, shards):
    """Every shard's stream read to its end by the rollup group, nothing
    pending. (XINFO's `lag` cannot say so after a failover: the promoted
    replica's count of entries read may trail the old primary's, and stays
    off once the stream is trimmed.)"""
    for n in range(shards):
        key = "dp:{%d}:events" % n
        try:
            st = r.cmd("XINFO", "STREAM", key)
            groups = r.cmd("XINFO", "GROUPS", key)
        except (OSError, RuntimeError):
            return False
        last = dict(zip(st[::2], st[1::2]))["last-generated-id"]
        g = [dict(zip(x[::2], x[1::2])) for x in groups]
        g = [x for x in g if x["name"] == "rollup"]
        if not g or g[0]["pending"] != 0 or g[0]["last-delivered-id"] != last:
            return False
    return True


def post_one(srv, token, sid, material):
    """One batch of one view (a new session): 1 if answered 202."""
    body = ('{"token":"%s","session":"%s","mode":"self","events":[{"seq":1,"type":"view",'
            '"at":%d,"material":"%s","slide":"s1","version":1,"index":0}]}') % (
        token, sid, int(time.time() * 1000), material)
    c = Conn(srv.port, 10)
    try:
        c.send(make_request("POST", "/v1/events", body.encode(), {"Content-Type": "text/plain"},
                            close=True))
        return int(c.response().status == 202)
    finally:
        c.close()
