"""Resharding under load on a Redis Cluster (issue 22).

A 6-node cluster, one server and two collectors on 16 shards. While a
client posts one-view batches (a new session each), `redis-cli --cluster
reshard` moves the first 300 slots of a primary to another one: shards 14
(slot 115) and 10 (slot 247) move with their streams, consumer groups and
aggregates. The server and the collectors follow ASK and MOVED; afterwards
the material's views equal the 202s exactly, the two shards' keys are on
their new primary, and the server's /metrics counted the redirections it
followed."""

import subprocess
import time

from dp import Env, check, eq, finish, key_slot, metric, wait_until
from cluster_util import Poster, drained, primary_of, views

SHARDS = 16

with Env(cluster=True, shards=SHARDS, access_log="false") as env:
    r, srv = env.redis, env.server
    for name in ("r1", "r2"):
        env.collector(name, extra=["--shards", str(SHARDS)])
    check(wait_until(lambda: all(r.cmd("EXISTS", "dp:{%d}:events" % n) for n in range(SHARDS)),
                     10, 0.05), "groups made on every shard")
    moving = [14, 10]
    slots = [key_slot("dp:{%d}:" % n) for n in moving]
    eq(slots, [115, 247], "the shards that move (their slots)")
    src = primary_of(r, 0)
    dst = [p for p in r.primaries() if p != src][0]
    ids = {p: r.node_cmd(p, "CLUSTER", "MYID") for p in (src, dst)}
    token = srv.mint("p-reshard", "pr-reshard")
    p = Poster(srv, token, "rs", "m-reshard")
    p.start()
    time.sleep(1.0)
    t0 = time.time()
    rs = subprocess.run(["redis-cli", "--cluster", "reshard", "127.0.0.1:%d" % src,
                         "--cluster-from", ids[src], "--cluster-to", ids[dst],
                         "--cluster-slots", "300", "--cluster-yes"],
                        capture_output=True, text=True, timeout=120)
    eq(rs.returncode, 0, "redis-cli --cluster reshard (%s)" % rs.stderr[-300:])
    took = time.time() - t0
    time.sleep(1.0)
    p.stop = True
    p.join(20)
    print("%d acknowledged, %d other answers; 300 slots moved in %.1f s"
          % (p.acked, p.other, took), flush=True)
    eq(p.other, 0, "every batch answered 202 while the slots moved")
    eq([primary_of(r, s) for s in slots], [dst, dst], "the two shards' slots are on the new primary")
    for s in slots:
        check(r.node_cmd(dst, "CLUSTER", "COUNTKEYSINSLOT", s) > 0,
              "slot %d's keys moved with it" % s)
    check(wait_until(lambda: metric(srv, "dp_spool_bytes") == 0, 30, 0.2), "nothing left spooled")
    check(wait_until(lambda: drained(r, SHARDS), 60, 0.2),
          "the collectors caught up")
    eq(views(srv, "m-reshard"), p.acked, "every 202 counted exactly once across the resharding")
    red = metric(srv, "dp_redis_redirections_total")
    print("redirections followed by the server: %d" % red, flush=True)
    check(red > 0, "the server followed ASK/MOVED (%d)" % red)

finish()
