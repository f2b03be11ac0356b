#!/usr/bin/env bash
# Rollup throughput: N generated events (20-event sessions over 4 materials,
# beacon batches of 4 events, PER of them in one stream entry as the server
# writes them under load; PER = 0: version 2 entries, one batch each) are
# put into a throwaway redis-server's stream, then one release
# deckpulse-collector rolls them all up; events per second from its start to
# the group's lag and pending reaching 0. Reference in the same run:
# redis-benchmark's pipelined INCR rate on the same Redis (what one Redis core
# does with trivial commands), so the ratio says how many trivial commands'
# worth of work one event costs.
#
#   bench/rollup.sh [events] [batch] [per] [prospects]
#   (DP_BENCH_COLLECTOR=path: another build, for an A/B; prospects: how many
#   the sessions belong to, 500 by default; 1 is the load generator's one link)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-200000}
batch=${2:-500}
per=${3:-16}
prospects=${4:-500}
scripts/deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

tmp=$(mktemp -d)
cleanup() { kill "$rpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --appendonly yes --appendfsync everysec \
  --save "" --daemonize no --logfile "$tmp/redis.log" &
rpid=$!
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

python3 - "$events" "$per" "$prospects" > "$tmp/load.resp" <<'PY'
import sys
n, per, prospects = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
def cmd(*args):
    a = [x.encode() if isinstance(x, str) else x for x in args]
    out.write(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a))
now = 1795000000000
# beacon batches of 4 events, per of them in one entry (include/deckpulse/event.h)
group = []
for b0 in range(0, n, 4):
    s = b0 // 20
    m = "mat-%d" % (s % 4)
    lines = []
    for i in range(b0, min(b0 + 4, n)):
        seq = i % 20
        kind = seq % 4
        head = "%d %%s %d" % (seq + 1, 1763800000000 + i)
        if seq == 0:
            lines.append(head % "open" + " 12")
        elif kind in (1, 3):
            lines.append(head % "view" + " %s s%d 1 %d" % (m, seq % 12, seq % 12))
        elif kind == 2:
            lines.append(head % "dwell" + " %s s%d 1 %d" % (m, seq % 12, 1000 + (i * 37) % 60000))
        elif seq == 19:
            lines.append(head % "close")
        else:
            lines.append(head % "action" + " %s s%d 1 book-demo" % (m, seq % 12))
    f = ["v", "2", "received", str(now + b0), "source", "beacon", "session", "bench-%d" % s,
         "mode", "self", "presentation", "pres-%d" % (s % 50), "viewer", "a:" + "%032x" % (s % 5000),
         "prospect", "pr-%d" % (s % prospects), "account", "acct-%d" % (s % prospects % 50),
         "n", str(len(lines)), "events", "\n".join(lines)]
    if per == 0:
        cmd("XADD", "dp:{0}:events", "*", *f)
        continue
    head = " ".join(f[3:14:2] + [f[15], f[17], "", "", f[19]])
    group.append((head + "\n" + f[21], len(lines)))
    if len(group) == per or b0 + 4 >= n:
        cmd("XADD", "dp:{0}:events", "*", "v", "3", "k", str(len(group)), "n",
            str(sum(x[1] for x in group)), "batches", "\n".join(x[0] for x in group))
        group = []
PY
redis-cli -p "$port" --pipe < "$tmp/load.resp" >/dev/null
echo "== reference: redis-benchmark -P 64 INCR on the same Redis"
ref=$(redis-benchmark -p "$port" -P 64 -n 2000000 -t incr --csv | awk -F'"' '/INCR/ {print $4}')
echo "INCR: $ref requests/s"
echo "== deckpulse-collector: $events events, batch $batch, $per batches an entry, $prospects prospect(s)"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
if [ -n "${DP_BENCH_STATS:-}" ]; then redis-cli -p "$port" CONFIG RESETSTAT >/dev/null; fi
r0=$(cpu "$rpid")
start=$(date +%s.%N)
"${DP_BENCH_COLLECTOR:-build-bench/deckpulse-collector}" --redis "redis://127.0.0.1:$port" --data_dir "$tmp/data" \
  --collector_batch "$batch" --collector_name bench --log_level warn &
cpid=$!
while :; do
  info=$(redis-cli -p "$port" XINFO GROUPS 'dp:{0}:events' 2>/dev/null | tr '\n' ' ')
  if echo "$info" | grep -q "pending 0 .*lag 0 "; then break; fi
  sleep 0.05
done
end=$(date +%s.%N)
r1=$(cpu "$rpid")
c1=$(cpu "$cpid")
kill -TERM "$cpid"; wait "$cpid" || true
if [ -n "${DP_BENCH_STATS:-}" ]; then redis-cli -p "$port" INFO commandstats > "$DP_BENCH_STATS"; fi
python3 - "$events" "$start" "$end" "$ref" "$r0" "$r1" "$c1" "$(getconf CLK_TCK)" <<'PY'
import sys
n, start, end, ref = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
r0, r1, c1, tck = (int(x) for x in sys.argv[5:9])
eps = n / (end - start)
print("rollup: %d events in %.2fs = %.0f events/s; ratio events/s : INCR/s = %.3f (one event costs ~%.0f INCRs); "
      "CPU per event: Redis %.1f us, collector %.1f us"
      % (n, end - start, eps, eps / ref, ref / eps, (r1 - r0) * 1e6 / tck / n, c1 * 1e6 / tck / n))
PY
