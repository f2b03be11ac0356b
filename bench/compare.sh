#!/usr/bin/env bash
# deckpulse ingest against nginx in one run, alternating: nginx answering
# 204 without logging, nginx logging the body, deckpulse (server + Redis +
# collector), deckpulse ingest alone; then open-loop latency at 80 % of
# deckpulse's rate, Redis memory per buffered event, the collector's rollup
# rate, report-query latency and an end-to-end run at a fixed event rate.
# Installs what it needs (nginx-light, its echo module), loopback only,
# stops what it started, appends its table to bench/RESULTS.md.
#
#   bench/compare.sh [--seconds 10] [--rounds 2] [--connections 64] [--ol-connections 256]
#                    [--e2e-seconds 60] [--e2e-events 60000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null
if [ ! -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] || ! command -v nginx >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-http-echo >/dev/null
  # the package starts a system nginx on port 80 where an init system runs: not ours
  if command -v systemctl >/dev/null && systemctl is-active -q nginx 2>/dev/null; then
    systemctl stop nginx
  fi
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
exec python3 bench/compare.py --results bench/RESULTS.md "$@"
