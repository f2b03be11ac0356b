#!/usr/bin/env bash
# The README's run command: installs what is missing, builds deckpulse
# (optimised) and starts it. With no redis configured, deckpulse-server starts
# and supervises its own redis-server (AOF on, data under ./data), and it
# starts and supervises a deckpulse-collector. Any
# argument is passed on as a setting, e.g. scripts/run.sh --listen 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/deckpulse-server "$@"
