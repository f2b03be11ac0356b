#!/usr/bin/env bash
# What appendfsync always costs (issue 19): the same release server and load
# against a redis-server with appendfsync everysec, then always, alternating
# three times (shared machines drift; the ratio within a round is the result).
#
#   bench/appendfsync.sh [BUILD_DIR] [connections] [seconds]   (default build-bench 256 8)
set -euo pipefail
build=${1:-build-bench}
conns=${2:-256}
secs=${3:-8}
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
key=bench-admin-key-0123456789
for round in 1 2 3; do
  for mode in everysec always; do
    tmp=$(mktemp -d); rport=$(free_port); sport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync $mode \
      --save "" --daemonize no --logfile "$tmp/redis.log" & rpid=$!
    "$build/deckpulse-server" --listen "127.0.0.1:$sport" --redis "redis://127.0.0.1:$rport" \
      --data_dir "$tmp/data" --api_keys "admin:$key" --access_log false --start_collector false --start_notifier false \
      --rate_ip_per_s 0 --rate_link_per_s 0 --rate_ip_events_per_s 0 --rate_link_events_per_s 0 >"$tmp/out" 2>&1 & spid=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$sport/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
    token=$(curl -sf -X POST -H "Authorization: Bearer $key" -d '{"presentation":"bench","prospect":"p1"}' \
      "http://127.0.0.1:$sport/v1/links" | python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
    out=$("$build/bench/deckpulse-loadgen" --port "$sport" --seconds "$secs" --connections "$conns" --token "$token" 2>&1 | tr '\n' ' ')
    echo "round $round $mode: $out"
    kill $spid $rpid; wait $spid $rpid 2>/dev/null || true; rm -rf "$tmp"
  done
done
