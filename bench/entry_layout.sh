#!/usr/bin/env bash
# What Redis pays to take the same batches in each stream entry layout
# (include/deckpulse/event.h): N beacon batches of 2 events, written with
# redis-cli --pipe into a fresh redis-server (AOF on, everysec), as
#   v2      one XADD per batch, the batch's fields as 18 arguments
#   fields  one XADD per K batches, each batch's fields as arguments
#   v3      one XADD per K batches, all of them as lines of one argument
#           (what deckpulse-server writes)
# and Redis's CPU time (from /proc) and used_memory after each, alternating
# for R rounds.
#
#   bench/entry_layout.sh [batches 200000] [K 32] [rounds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
k=${2:-32}
rounds=${3:-2}
scripts/deps.sh >/dev/null
tmp=$(mktemp -d)
cleanup() { redis-cli -p "${port:-0}" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
python3 - "$n" "$k" "$tmp" <<'PY'
import sys
n, k, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def resp(args):
    out = ["*%d\r\n" % len(args)]
    for a in args:
        out.append("$%d\r\n%s\r\n" % (len(a.encode()), a))
    return "".join(out)
def batch(i):
    ev = "%d view 1764600000%03d bench-deck slide-%d 1 %d\n%d dwell 1764600000%03d bench-deck slide-%d 1 4200" % (
        i * 2 + 1, i % 1000, i % 12, i % 12, i * 2 + 2, i % 1000, i % 12)
    return ["received", "1764600000123", "source", "beacon", "session", "sess-%08d" % (i // 10),
            "mode", "self", "presentation", "bench-pres", "viewer",
            "a:0123456789abcdef0123456789abcdef", "prospect", "bench-prospect", "n", "2",
            "events", ev]
with open(tmp + "/v2.resp", "w") as f:
    for i in range(n):
        f.write(resp(["XADD", "dp:{0}:events", "*", "v", "2"] + batch(i)))
with open(tmp + "/fields.resp", "w") as f:
    for j in range(n // k):
        args = ["XADD", "dp:{0}:events", "*", "v", "x"]
        for i in range(j * k, j * k + k):
            args += batch(i)
        f.write(resp(args))
with open(tmp + "/v3.resp", "w") as f:
    for j in range(n // k):
        blocks = []
        for i in range(j * k, j * k + k):
            b = batch(i)
            blocks.append(" ".join(b[1:14:2] + ["", "", "", b[15]]) + "\n" + b[17])
        f.write(resp(["XADD", "dp:{0}:events", "*", "v", "3", "k", str(k), "n", str(2 * k),
                      "batches", "\n".join(blocks)]))
PY
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
echo "== $n batches of 2 events; $k batches an XADD for fields and v3"
for r in $(seq "$rounds"); do
  for layout in v2 fields v3; do
    rm -rf "$tmp/d"; mkdir "$tmp/d"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp/d" --appendonly yes \
      --appendfsync everysec --save "" --daemonize yes --logfile "$tmp/d/log" >/dev/null
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    pid=$(redis-cli -p "$port" info server | awk -F: '/^process_id/ {print $2}' | tr -d '\r')
    t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    redis-cli -p "$port" --pipe < "$tmp/$layout.resp" >/dev/null
    t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    mem=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    python3 -c "import sys; n,t,m,tck=int(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]),int(sys.argv[4]); print('round %s %-6s Redis CPU %.2f us a batch, memory %.0f bytes an event' % (sys.argv[5], sys.argv[6], t*1e6/tck/n, m/(2*n)))" \
      "$n" "$((t1 - t0))" "$mem" "$(getconf CLK_TCK)" "$r" "$layout"
    sleep 0.3
  done
done
