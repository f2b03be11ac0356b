#!/usr/bin/env bash
# Ingest throughput, end to end: wrk posting 20-event batches to a release
# build of deckpulse-server backed by a throwaway redis-server (AOF on,
# appendfsync everysec; production runs always, 0.77 x this: bench/appendfsync.sh),
# against GET /healthz on the same
# server in the same run as the reference (HTTP and loop cost without Redis).
#
#   bench/ingest.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-32}
scripts/deps.sh
if ! command -v wrk >/dev/null; then apt-get install -y -qq wrk >/dev/null; fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

tmp=$(mktemp -d)
cleanup() { kill "$spid" "$rpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync everysec \
  --save "" --maxmemory-policy noeviction --daemonize no --logfile "$tmp/redis.log" &
rpid=$!
key=bench-admin-key-0123456789
build-bench/deckpulse-server --listen 127.0.0.1:0 --redis "redis://127.0.0.1:$rport" \
  --data_dir "$tmp/data" --api_keys "admin:$key" --access_log false --start_collector false --start_notifier false \
  --rate_ip_per_s 0 --rate_link_per_s 0 --rate_ip_events_per_s 0 --rate_link_events_per_s 0 --drop_bots false \
  >"$tmp/out" 2>"$tmp/err" &
spid=$!
for _ in $(seq 100); do grep -q "Listening on" "$tmp/out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*Listening on: *//p' "$tmp/out")
for _ in $(seq 100); do curl -sf "$url/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
token=$(python3 - "$url" "$key" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/links", method="POST",
    data=json.dumps({"presentation": "bench", "prospect": "p1"}).encode(),
    headers={"Authorization": "Bearer " + sys.argv[2]})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)
python3 - "$token" > "$tmp/post.lua" <<'PY'
import json, sys
events = []
for i in range(20):
    e = {"seq": i + 1, "type": "dwell" if i % 2 else "view", "at": 1763800000000 + i * 100,
         "material": "q3-pricing", "slide": "slide-%d" % (i // 2), "version": 2}
    e["ms" if i % 2 else "index"] = 5400 if i % 2 else i // 2
    events.append(e)
body = json.dumps({"token": sys.argv[1], "session": "bench-session", "events": events})
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "text/plain"')
print("wrk.body = %s" % json.dumps(body))
PY
echo "== reference: GET /healthz, $conns connections, ${secs}s"
wrk -t1 -c"$conns" -d"${secs}s" "$url/healthz" | tee "$tmp/ref"
echo "== POST /v1/events (20 events per batch), $conns connections, ${secs}s"
wrk -t1 -c"$conns" -d"${secs}s" -s "$tmp/post.lua" "$url/v1/events" | tee "$tmp/post"
ref=$(awk '/Requests\/sec/ {print $2}' "$tmp/ref")
post=$(awk '/Requests\/sec/ {print $2}' "$tmp/post")
non2xx=$(awk '/Non-2xx/ {print $4}' "$tmp/post")
python3 - "$ref" "$post" "${non2xx:-0}" <<'PY'
import sys
ref, post, bad = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
print("healthz %.0f req/s; ingest %.0f batches/s = %.0f events/s; ratio ingest/healthz %.2f; non-2xx %s"
      % (ref, post, post * 20, post / ref, bad))
PY
