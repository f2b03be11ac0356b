#!/usr/bin/env bash
# Webhook delivery throughput (issue 21): N alerts put into a throwaway
# redis-server's alerts stream, one webhook registered (standard format) to
# a local receiver (asyncio, keep-alive, answers 204 and counts), then one
# release deckpulse-notifier pinned to one core (taskset) fans them out,
# signs and delivers them all; deliveries per second from its start to the
# last 2xx settled, its CPU per delivery, and the receiver's count (must be
# N: each alert once). Reference in the same run: the receiver alone driven
# by curl's own parallel requests is not measured; the notifier's rate is
# set against N and its own CPU.
#
#   bench/webhooks.sh [alerts] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
conc=${2:-8}
scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

tmp=$(mktemp -d)
npid=""
cleanup() { [ -n "$npid" ] && kill "$npid" 2>/dev/null; kill "$rpid" "$hpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
port=$(free_port)
hport=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync everysec \
  --save "" --daemonize no --logfile "$tmp/redis.log" &
rpid=$!
python3 - "$hport" "$tmp/count" <<'PY' &
import asyncio, sys
port, path = int(sys.argv[1]), sys.argv[2]
count = 0
async def handle(r, w):
    global count
    try:
        while True:
            head = await r.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            await r.readexactly(n)
            count += 1
            w.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            if count % 1000 == 0:
                open(path, "w").write(str(count))
    except Exception:
        open(path, "w").write(str(count))
        w.close()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", port)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PY
hpid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
python3 - "$n" "$hport" <<'PY' | redis-cli -p "$port" --pipe | tail -1
import json, sys, time
n, hport = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*a):
    a = [x.encode() if isinstance(x, str) else x for x in a]
    out.write(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
hook = {"id": "wh_bench", "url": "http://127.0.0.1:%d/hook" % hport, "events": ["session.started",
        "session.ended", "action"], "format": "standard",
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "created": 0}
cmd("HSET", "dp:{w}:hooks", "wh_bench", json.dumps(hook))
now = int(time.time() * 1000)
data = ('{"material":"q3-pricing","slides_seen":6,"slides":8,"dwell_ms":240000,'
        '"completed":false,"actions":1,"mode":"self"}')
per = 10  # alerts per stream entry, as a rollup batch writes them (keys.h)
for i in range(0, n, per):
    lines = "".join("session.ended\t%d\ts%d|deck-%d|p%d|acme|spring|olga\t%s\n"
                    % (now, k, k % 500, k % 500, data) for k in range(i, min(n, i + per)))
    cmd("XADD", "dp:{0}:alerts", "*", "n", str(min(per, n - i)), "a", lines)
PY
echo "== deckpulse-notifier: $n alerts, one webhook, webhook_concurrency $conc, pinned to core 1"
t0=$(date +%s.%N)
taskset -c 1 build-bench/deckpulse-notifier --redis "redis://127.0.0.1:$port" --data_dir "$tmp/data" \
  --webhook_allow_private true --webhook_concurrency "$conc" --log_level warn 2>"$tmp/notifier.log" &
npid=$!
while :; do
  sent=$(redis-cli -p "$port" HGET dp:{w}:stats "wh_bench|sent")
  [ "${sent:-0}" -ge "$n" ] && break
  if [ -n "${DP_BENCH_DEBUG:-}" ]; then
    echo "sent ${sent:-0} queue $(redis-cli -p "$port" ZCARD 'dp:{w}:q:wh_bench')"
    tail -2 "$tmp/notifier.log"; sleep 1
  fi
  sleep 0.05
done
t1=$(date +%s.%N)
ticks=$(awk '{print $14 + $15}' "/proc/$npid/stat")
sleep 0.3
python3 - "$n" "$t0" "$t1" "$ticks" "$(cat "$tmp/count" 2>/dev/null || echo 0)" \
  "$(redis-cli -p "$port" HGET dp:{w}:stats 'wh_bench|failed')" <<'PY'
import sys, os
n, t0, t1, ticks, got, failed = (int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]),
                                 int(sys.argv[4]), sys.argv[5], sys.argv[6] or "0")
hz = os.sysconf("SC_CLK_TCK")
print("delivered %d in %.2f s: %.0f deliveries/s; notifier CPU %.0f us per delivery "
      "(%.0f %% of one core); receiver counted %s (in thousands, as last written); failed %s"
      % (n, t1 - t0, n / (t1 - t0), ticks / hz / n * 1e6, ticks / hz / (t1 - t0) * 100, got,
         failed))
PY
