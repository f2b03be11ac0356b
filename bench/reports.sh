#!/usr/bin/env bash
# Report latency: a release deckpulse-server over a throwaway Redis seeded
# by bench/seed_reports.py (a material of 200 slides x 3 versions with 365
# days of data; 500 materials with a year each), measured with wrk
# (--latency) on
#   GET /v1/materials/big            the last 30 days (default range)
#   GET /v1/materials/big?from=..    the whole year
#   GET /v1/materials                the leaderboard over 501 materials
#   GET /v1/campaigns?from=..        20 campaigns over a year, with 10 000
#                                    deals and 20 000 prospects (issue 20)
#   GET /v1/owners/o01?from=..       one owner over a year, cut slides of
#                                    its 2 000 decks
# and, once, POST /v1/outcomes with 10 000 outcomes in one CSV (curl's time)
# each twice: with the report cache (the data unchanged, so every answer is
# checked against the current generation and served; one request before
# measuring computes it) and with
# report_cache_mb=0 (every request computed from Redis: what the first
# request after new data costs when report_stale_ms is 0). Reference in the
# same run: GET /healthz. Clients send Accept-Encoding: gzip, as browsers do.
#
#   bench/reports.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
scripts/deps.sh
if ! command -v wrk >/dev/null; then apt-get install -y -qq wrk >/dev/null; fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

tmp=$(mktemp -d)
spid=""
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; kill "$rpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$rport" --bind 127.0.0.1 --dir "$tmp" --appendonly no --save "" \
  --daemonize no --logfile "$tmp/redis.log" &
rpid=$!
for _ in $(seq 100); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.05; done
echo "== seeding"
python3 bench/seed_reports.py --deals | redis-cli -p "$rport" --pipe | tail -1
redis-cli -p "$rport" info memory | grep used_memory_human
key=bench-admin-key-0123456789
from=$(date -u -d '-364 days' +%F)

start_server() {
  build-bench/deckpulse-server --listen 127.0.0.1:0 --redis "redis://127.0.0.1:$rport" \
    --data_dir "$tmp/data" --api_keys "admin:$key" --access_log false --start_collector false --start_notifier false \
    --report_cache_mb "$1" >"$tmp/out" 2>"$tmp/err" &
  spid=$!
  for _ in $(seq 100); do grep -q "Listening on" "$tmp/out" 2>/dev/null && break; sleep 0.05; done
  url=$(sed -n 's/.*Listening on: *//p' "$tmp/out")
}
stop_server() { kill "$spid"; wait "$spid" 2>/dev/null || true; spid=""; }

# wrk -> "req/s p50 p99" (milliseconds)
measure() {
  local conns=$1 path=$2
  # one request first: the cached cases measure answers already computed
  curl -sf -o /dev/null -H "Authorization: Bearer $key" "$url$path"
  wrk -t1 -c"$conns" -d"${secs}s" --latency -H "Authorization: Bearer $key" \
    -H "Accept-Encoding: gzip" "$url$path" >"$tmp/w"
  python3 - "$tmp/w" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s\s+([\d.]+)(us|ms|s)\s*$" % label, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
non = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print("%.0f %.3f %.3f %s" % (rps, ms("50%"), ms("99%"), non.group(1) if non else "0"))
PY
}

printf "| case | connections | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---|---|---|---|---|\n" >"$tmp/table"
row() { printf "| %s | %s | %s | %s | %s | %s |\n" "$1" "$2" $3 >>"$tmp/table"; }
start_server 256
row "GET /healthz (reference)" 8 "$(measure 8 /healthz)"
row "material, 30 days, cached" 8 "$(measure 8 /v1/materials/big)"
row "material, 365 days, cached" 8 "$(measure 8 "/v1/materials/big?from=$from")"
row "leaderboard, 501 materials, cached" 8 "$(measure 8 /v1/materials)"
row "campaigns, 365 days, cached" 8 "$(measure 8 "/v1/campaigns?from=$from")"
row "one owner, 365 days, cached" 8 "$(measure 8 "/v1/owners/o01?from=$from")"
python3 - "$tmp/outcomes.csv" <<'PY'
import sys, time
now = int(time.time() * 1000)
with open(sys.argv[1], "w") as f:
    f.write("deal,account,prospects,stage,amount,currency,at,owner,campaign\r\n")
    for i in range(10000):
        f.write("new-%05d,acct-%d,p%05d;p%05d,won,%d.50,EUR,%d,o%02d,c%02d\r\n"
                % (i, i % 400, i, i + 1, 1000 + i, now - i * 1000, i % 10, i % 20))
PY
post_s=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $key" \
  -H "Content-Type: text/csv" --data-binary "@$tmp/outcomes.csv" "$url/v1/outcomes")
stop_server
start_server 0
row "material, 30 days, computed" 1 "$(measure 1 /v1/materials/big)"
row "material, 365 days, computed" 1 "$(measure 1 "/v1/materials/big?from=$from")"
row "leaderboard, 501 materials, computed" 1 "$(measure 1 /v1/materials)"
row "campaigns, 365 days, computed" 1 "$(measure 1 "/v1/campaigns?from=$from")"
row "one owner, 365 days, computed" 1 "$(measure 1 "/v1/owners/o01?from=$from")"
stop_server
cat "$tmp/table"
echo "POST /v1/outcomes, 10 000 rows of CSV: ${post_s} s"
