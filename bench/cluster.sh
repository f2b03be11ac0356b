#!/usr/bin/env bash
# deckpulse on a 6-node Redis Cluster against the same load on one Redis,
# in one run (bench/cluster.py says what is measured); appends its table to
# bench/RESULTS.md.
#
#   bench/cluster.sh [--seconds 10] [--rate 1500] [--rounds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
exec python3 bench/cluster.py --results bench/RESULTS.md "$@"
