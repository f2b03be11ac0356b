#!/usr/bin/env bash
# The README's run command: installs what is missing, builds deckpulse
# (optimised) and starts it. With no redis configured, deckpulse-server starts
# and supervises its own redis-server (AOF on, data under ./data), and it
# starts and supervises a deckpulse-collector. The dashboards are at the
# printed URL. Any argument is passed on as a setting, e.g.
# scripts/run.sh --listen 0.0.0.0:8080; --demo also seeds demo data through
# the real ingest path once the server is up.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=0
args=()
for a in "$@"; do
  if [ "$a" = "--demo" ]; then demo=1; else args+=("$a"); fi
done
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
if [ "$demo" = 0 ]; then exec build/deckpulse-server "${args[@]}"; fi

out=$(mktemp)
build/deckpulse-server "${args[@]}" > >(tee "$out") &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; rm -f "$out"; exit 0' INT TERM
for _ in $(seq 200); do grep -q "Mint a link token" "$out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*Listening on: *//p' "$out")
key=$(sed -n 's/.*Admin API key: *\([^ ]*\).*/\1/p' "$out")
key=${key:-${DECKPULSE_DEMO_KEY:-}}
if [ -z "$key" ]; then
  echo "run: --demo needs an admin key: the generated one, or DECKPULSE_DEMO_KEY" >&2
else
  python3 -c 'import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=1); break
    except Exception:
        time.sleep(0.1)' "$url"
  python3 scripts/demo.py "$url" "$key" && echo "Demo data loaded: open $url and sign in with the admin key."
fi
wait "$pid"
