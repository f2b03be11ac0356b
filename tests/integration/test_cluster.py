"""scripts/cluster.sh (issue 22, first part): a 6-node Redis Cluster on
loopback — 3 primaries and 3 replicas, cluster_state ok, AOF with
appendfsync always on every node — and its slots as Redis computes them
equal lib/keyslot.c's (unit.keyslot holds the same values); stopped by
PID, nothing left running."""

import os
import subprocess
import time

from dp import Cluster, check, eq, finish, resp_command

SRC = os.environ.get("DP_SOURCE_DIR", ".")
SCRIPT = os.path.join(SRC, "scripts", "cluster.sh")


def cmd(port, *args):
    return resp_command(("127.0.0.1", port), args)


tmp = "/tmp/dp-cluster-%d" % os.getpid()
base = Cluster._free_run(6)
t0 = time.time()
p = subprocess.run([SCRIPT, "start", tmp, str(base)], capture_output=True, text=True, timeout=60,
                   env=dict(os.environ, NODE_TIMEOUT="2000"))
try:
    eq(p.returncode, 0, "started (%s)" % p.stderr[-500:])
    eq(p.stdout.strip(), ",".join("redis://127.0.0.1:%d" % (base + i) for i in range(6)),
       "the seed list printed")
    print("6-node cluster up in %.1f s" % (time.time() - t0))
    for i in range(6):
        info = cmd(base + i, "CLUSTER", "INFO")
        check("cluster_state:ok" in info, "node %d: cluster_state ok" % i)
        eq(cmd(base + i, "CONFIG", "GET", "appendfsync"), ["appendfsync", "always"],
           "node %d: appendfsync always" % i)
        eq(cmd(base + i, "CONFIG", "GET", "appendonly"), ["appendonly", "yes"],
           "node %d: AOF on" % i)
    nodes = cmd(base, "CLUSTER", "NODES").strip().split("\n")
    eq((sum("master" in n for n in nodes), sum("slave" in n for n in nodes)), (3, 3),
       "3 primaries, 3 replicas")
    for key, slot in (("123456789", 12739), ("foo", 12182), ("bar", 5061), ("hello", 866),
                      ("{user1000}.following", 3443), ("dp:{0}:events", 13907),
                      ("dp:{1}:events", 9842), ("dp:{d}:deals", 11298),
                      ("dp:{c}:catalog", 7365), ("dp:{w}:hooks", 3696), ("a{}b", 13694),
                      ("{}x", 10595), ("x{y", 2740)):
        eq(cmd(base, "CLUSTER", "KEYSLOT", key), slot, "slot of %s as unit.keyslot says" % key)
finally:
    s = subprocess.run([SCRIPT, "stop", tmp], capture_output=True, text=True, timeout=60)
eq(s.returncode, 0, "stopped")
left = subprocess.run(["pgrep", "-f", tmp], capture_output=True, text=True).stdout.strip()
eq(left, "", "no node left running")
subprocess.run(["rm", "-rf", tmp])

finish()
