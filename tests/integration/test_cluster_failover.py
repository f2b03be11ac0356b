"""Failover under load on a Redis Cluster (issue 22).

A 6-node cluster (scripts/cluster.sh, cluster-node-timeout 2 s), one server
and one collector on 8 shards. A client posts batches of one view each, a
new session every time, and counts the 202s. Meanwhile one primary is
killed with SIGKILL; its replica is promoted; server and collector follow
(the server spools what the slot's primary cannot take, and replays it).

  - redis_wait_replicas = 1: every 202 is counted exactly once after
    recovery (the material's views equal the 202s);
  - redis_wait_replicas = 0 (another primary killed): nothing is counted
    twice, and what asynchronous replication lost is measured and printed
    (acknowledged by the old primary, not yet on its replica).
"""

import os
import signal
import subprocess
import time

from cluster_util import Poster, drained, kill_node, post_one, primary_of, promoted, views
from dp import Env, Server, check, eq, finish, key_slot, metric, wait_until

SHARDS = 8
# the long version (tests/faults/cluster_long.sh): the slot's primary killed
# this many times in a row, the killed node started again as a replica
# in between
ROUNDS = int(os.environ.get("DP_FAILOVER_ROUNDS", "1"))
SCRIPT = os.path.join(os.environ.get("DP_SOURCE_DIR", "."), "scripts", "cluster.sh")


def phase(env, r, wait, shard, tag):
    """Posts through a failover of shard's primary; returns (acked, counted)."""
    srv = env.server if wait else Server(env.tmp, r.url(), shards=SHARDS, redis_wait_replicas=0,
                                         data_dir=env.server.data_dir)
    check(srv.wait_ready(), "server ready (wait %d)" % wait)
    material = "m-%s" % tag
    token = srv.mint("p-%s" % tag, "pr-%s" % tag)
    slot = key_slot("dp:{%d}:" % shard)
    old = primary_of(r, slot)
    unrep = metric(srv, "dp_ingest_unreplicated_total") if wait else 0
    p = Poster(srv, token, tag, material)
    p.start()
    time.sleep(1.5)
    if wait:
        eq(metric(srv, "dp_ingest_unreplicated_total"), unrep,
           "before the kill, every XADD confirmed by a replica (WAIT answered 1)")
        eq(metric(srv, "dp_redis_durable"), 1, "every primary fsyncs each write")
        # the replica that will take over runs weaker: noticed once it is a primary
        line = r.node_cmd(old, "CLUSTER", "REPLICAS", r.node_cmd(old, "CLUSTER", "MYID"))[0]
        heir = int(line.split()[1].split("@")[0].split(":")[1])
        r.node_cmd(heir, "CONFIG", "SET", "appendfsync", "everysec")
    before = p.acked
    took = []
    for rnd in range(ROUNDS):
        kill_node(r, old)
        t0 = time.time()
        check(wait_until(lambda: promoted(r, slot, old), 20, 0.1),
              "a replica took over slot %d from %d" % (slot, old))
        took.append(time.time() - t0)
        if wait and rnd == 0:
            check(wait_until(lambda: metric(srv, "dp_redis_durable") == 0, 10, 0.1),
                  "the promoted replica's appendfsync everysec is noticed")
            r.node_cmd(heir, "CONFIG", "SET", "appendfsync", "always")
        time.sleep(2.0)  # traffic on the new primary too
        if rnd + 1 < ROUNDS:
            # the killed node back, as the new primary's replica: killed next
            subprocess.run([SCRIPT, "start-node", r.dir, str(old)], check=True, timeout=60)
            old = primary_of(r, slot)
    p.stop = True
    p.join(20)
    print("wait=%d: %d acknowledged (%d before the first kill), %d other answers; %d kill(s), "
          "promoted in %s s" % (wait, p.acked, before, p.other, ROUNDS,
                                ", ".join("%.1f" % t for t in took)), flush=True)
    check(p.acked > before > 50, "traffic flowed before and after the kill")
    # the spool replays what the dead primary's slots could not take
    check(wait_until(lambda: metric(srv, "dp_spool_bytes") == 0, 30, 0.2), "spool replayed")
    check(wait_until(lambda: drained(r, SHARDS), 60, 0.2),
          "the collector caught up after the failover")
    counted = views(srv, material)
    if not wait:
        eq(srv.stop(), 0, "the second server's exit code")
    return p.acked, counted


with Env(cluster=True, shards=SHARDS, redis_wait_replicas=1, access_log="false") as env:
    r = env.redis
    env.collector("failover", extra=["--shards", str(SHARDS)])
    check(wait_until(lambda: all(r.cmd("EXISTS", "dp:{%d}:events" % n) for n in range(SHARDS)),
                     10, 0.05), "groups made on every shard")
    # a replica that does not answer: the 202 waits for it in vain, and the
    # batch goes to the spool (then to Redis once the replica is back)
    srv = env.server
    slot0 = key_slot("dp:{0}:")
    prim = primary_of(r, slot0)
    line = r.node_cmd(prim, "CLUSTER", "REPLICAS", r.node_cmd(prim, "CLUSTER", "MYID"))[0]
    frozen = int(line.split()[1].split("@")[0].split(":")[1])
    with open(os.path.join(r.dir, str(frozen), "redis.pid")) as f:
        fpid = int(f.read())
    token = srv.mint("p-frozen", "pr-frozen")
    unrep, spooled = (metric(srv, "dp_ingest_unreplicated_total"),
                      metric(srv, "dp_spool_written_records_total"))
    os.kill(fpid, signal.SIGSTOP)
    try:
        sent = 0
        for i in range(40):  # sessions spread over the shards: some on the frozen one's primary
            sent += post_one(srv, token, "fz-%d" % i, "m-frozen")
        eq(sent, 40, "every batch answered 202 (spooled when unconfirmed)")
        check(metric(srv, "dp_ingest_unreplicated_total") > unrep,
              "XADDs to the frozen replica's primary were not confirmed")
        check(metric(srv, "dp_spool_written_records_total") > spooled,
              "and their batches went to the spool")
    finally:
        os.kill(fpid, signal.SIGCONT)
    check(wait_until(lambda: metric(srv, "dp_spool_bytes") == 0, 30, 0.2), "spool replayed")
    check(wait_until(lambda: drained(r, SHARDS), 60, 0.2), "rolled up")
    check(wait_until(lambda: views(srv, "m-frozen") == 40, 20, 0.2),
          "each counted once (%d)" % views(srv, "m-frozen"))
    acked, counted = phase(env, r, 1, 0, "w1")
    w1_acked, w1_counted = acked, counted
    eq(counted, acked, "redis_wait_replicas = 1: every 202 counted exactly once after the failover")
    check(metric(env.server, "dp_ingest_unreplicated_total") >= 0, "the metric exists")
    # another primary (its replica still there): asynchronous replication
    others = [n for n in range(SHARDS)
              if primary_of(r, key_slot("dp:{%d}:" % n)) != primary_of(r, key_slot("dp:{0}:"))]
    acked, counted = phase(env, r, 0, others[0], "w0")
    check(counted <= acked, "redis_wait_replicas = 0: nothing counted twice (%d <= %d)"
          % (counted, acked))
    print("redis_wait_replicas = 0: %d of %d acknowledged events lost in the failover"
          % (acked - counted, acked), flush=True)
    if os.environ.get("DP_FAULTS_RESULTS"):
        with open(os.environ["DP_FAULTS_RESULTS"], "a") as f:
            f.write("\n## Redis Cluster failover (`tests/faults/cluster_long.sh`), %s UTC\n\n"
                    "| fault | redis_wait_replicas = 1 | redis_wait_replicas = 0 |\n"
                    "|---|---|---|\n"
                    "| kill -9 of a slot's primary %d times in a row under load (the killed "
                    "node back as a replica in between), 6-node cluster, 8 shards | %d "
                    "acknowledged, %d counted, **%d lost** | %d acknowledged, %d counted, "
                    "**%d lost** |\n"
                    % (time.strftime("%Y-%m-%d %H:%M", time.gmtime()), ROUNDS, w1_acked,
                       w1_counted, w1_acked - w1_counted, acked, counted, acked - counted))

finish()
