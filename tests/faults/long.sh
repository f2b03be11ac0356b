#!/usr/bin/env bash
# The long version of the fault suite: every row of RELIABILITY.md 1-12
# with more traffic and longer or repeated faults (Redis stopped for 30 s,
# the collector killed 30 times, ...), against the optimised build, as root
# (row 8 mounts a small tmpfs). Writes the figures of each row (events sent,
# acknowledged, found, lost) to tests/faults/RESULTS.md, or to $1.
# About 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=${1:-$root/tests/faults/RESULTS.md}
scripts/deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export DP_SERVER=$root/build/deckpulse-server DP_COLLECTOR=$root/build/deckpulse-collector
exec python3 tests/faults/faults.py --long --results "$out"
