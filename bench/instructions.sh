#!/usr/bin/env bash
# Instructions the server executes per ingest request, counted by
# valgrind's callgrind: the same for the same binary and load whatever else
# the machine is doing, so a change of a few percent shows where wall-clock
# rates here drift by ±15 %. A release build of deckpulse-server runs under
# callgrind against a throwaway redis-server (AOF on, everysec); the load
# generator posts seeded beacon batches on 8 keep-alive connections for 8 s;
# then the server's total instructions are divided by the requests it
# answered (start-up included: under 1 % of the total). Prints the top
# functions too.
#
#   bench/instructions.sh [BUILD_DIR...]   (default build-bench; several: one line each)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
if [ $# -eq 0 ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
  cmake --build build-bench -j"$(nproc)" >/dev/null
  set -- build-bench
fi
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
key=bench-admin-key-0123456789
for build in "$@"; do
  tmp=$(mktemp -d)
  rport=$(free_port)
  sport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync everysec \
    --save "" --auto-aof-rewrite-percentage 0 --daemonize no --logfile "$tmp/redis.log" &
  rpid=$!
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$build/deckpulse-server" \
    --listen "127.0.0.1:$sport" --redis "redis://127.0.0.1:$rport" --data_dir "$tmp/data" \
    --api_keys "admin:$key" --access_log false --start_collector false --start_notifier false \
    --rate_ip_per_s 0 --rate_link_per_s 0 --rate_ip_events_per_s 0 --rate_link_events_per_s 0 >"$tmp/server.log" 2>&1 &
  spid=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$sport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  token=$(curl -sf -X POST -H "Authorization: Bearer $key" \
    -d '{"presentation":"bench","prospect":"p1"}' "http://127.0.0.1:$sport/v1/links" |
    python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
  "$build/bench/deckpulse-loadgen" --port "$sport" --seconds 8 --connections 8 --token "$token" \
    --seed 1 >"$tmp/load.json"
  kill -TERM "$spid"
  wait "$spid" || true
  kill -TERM "$rpid"
  wait "$rpid" || true
  requests=$(python3 -c "import json;print(json.load(open('$tmp/load.json'))['requests'])")
  total=$(callgrind_annotate "$tmp/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  echo "$build: $requests requests, $total instructions, $((total / requests)) per request"
  callgrind_annotate "$tmp/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n 2,11p | cut -c1-120
  rm -rf "$tmp"
done
