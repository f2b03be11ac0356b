#!/usr/bin/env bash
# A Redis Cluster on this machine, for the tests and for trying deckpulse on
# one: 6 nodes on loopback (3 primaries, 3 replicas), cluster-enabled, AOF on
# with appendfsync always (the durability contract), each under DIR/<port>.
#
#   scripts/cluster.sh start DIR [BASE_PORT]   nodes on BASE_PORT..BASE_PORT+5
#                                              (default 7000; their cluster bus
#                                              ports are 10000 higher), created
#                                              with redis-cli --cluster create
#                                              --cluster-replicas 1, waited for
#                                              until cluster_state:ok; prints
#                                              the seed list for the `redis`
#                                              setting
#   scripts/cluster.sh stop DIR                each node stopped by its PID
#   scripts/cluster.sh status DIR              CLUSTER NODES of the first node
#   scripts/cluster.sh start-node DIR PORT     one node started again from its
#                                              directory (after it was killed:
#                                              it rejoins, as a replica if one
#                                              took over from it), waited for
#                                              until it has synchronised
#
# NODE_TIMEOUT (ms, default 5000): cluster-node-timeout, how soon a replica
# takes over a primary that stopped answering (the tests make it short).
# REPLICAS (default 1): replicas per primary; 0 makes 3 nodes, all primaries
# (bench/cluster.py measures what replication costs that way).
set -euo pipefail
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,22p' "$0" >&2; exit 2; }

node() { # DIR PORT: one node, its data and nodes.conf under DIR/PORT
  redis-server --port "$2" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file nodes.conf --cluster-node-timeout "${NODE_TIMEOUT:-5000}" \
    --appendonly yes --appendfsync always --save "" --maxmemory-policy noeviction \
    --dir "$1/$2" --daemonize yes --pidfile "$1/$2/redis.pid" --logfile "$1/$2/redis.log"
}

case "$cmd" in
start)
  base=${3:-7000}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  ports=()
  replicas=${REPLICAS:-1}
  for i in $(seq 0 $((3 * (1 + replicas) - 1))); do
    p=$((base + i))
    ports+=("$p")
    mkdir -p "$dir/$p"
    node "$dir" "$p"
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 200); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$p" ping >/dev/null 2>&1 ||
      { echo "cluster: node $p did not start: $(tail -1 "$dir/$p/redis.log")" >&2; exit 1; }
  done
  nodes=()
  for p in "${ports[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes \
    >"$dir/create.log" 2>&1 ||
    { echo "cluster: create failed: $(tail -3 "$dir/create.log")" >&2; exit 1; }
  for p in "${ports[@]}"; do
    for _ in $(seq 400); do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
      sleep 0.05
    done
    redis-cli -p "$p" cluster info | grep -q '^cluster_state:ok' ||
      { echo "cluster: node $p is not ok (see $dir/$p/redis.log)" >&2; exit 1; }
  done
  # and every node knows the replicas (gossip takes a moment after create)
  for p in "${ports[@]}"; do
    for _ in $(seq 400); do
      [ "$(redis-cli -p "$p" cluster nodes | grep -c slave)" -eq $((3 * replicas)) ] && break
      sleep 0.05
    done
  done
  # and every replica has synchronised with its primary (one that never has
  # cannot be promoted: cluster-replica-validity-factor)
  for p in "${ports[@]}"; do
    for _ in $(seq 400); do
      info=$(redis-cli -p "$p" info replication)
      echo "$info" | grep -q '^role:master' && break
      echo "$info" | grep -q '^master_link_status:up' && break
      sleep 0.05
    done
  done
  seeds=""
  for p in "${ports[@]}"; do seeds="${seeds:+$seeds,}redis://127.0.0.1:$p"; done
  echo "$seeds"
  ;;
stop)
  for pf in "$dir"/*/redis.pid; do
    [ -f "$pf" ] || continue
    pid=$(cat "$pf")
    kill "$pid" 2>/dev/null || true
  done
  for pf in "$dir"/*/redis.pid; do
    [ -f "$pf" ] || continue
    pid=$(cat "$pf")
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
  ;;
status)
  p=$(ls "$dir" | grep -E '^[0-9]+$' | sort -n | head -1)
  redis-cli -p "$p" cluster nodes
  ;;
start-node)
  p=${3:?PORT}
  dir=$(cd "$dir" && pwd)
  [ -f "$dir/$p/nodes.conf" ] || { echo "cluster: no node $p under $dir" >&2; exit 1; }
  node "$dir" "$p"
  for _ in $(seq 400); do
    info=$(redis-cli -p "$p" info replication 2>/dev/null || true)
    echo "$info" | grep -q '^master_link_status:up' && break
    sleep 0.05
  done
  ;;
*)
  sed -n '2,22p' "$0" >&2
  exit 2
  ;;
esac
