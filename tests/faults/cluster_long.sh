#!/usr/bin/env bash
# The long version of the cluster failover test (issue 22): the primary of a
# slot killed with SIGKILL five times in a row under load (the killed node
# started again as a replica in between), with redis_wait_replicas 1 and
# then 0, against the optimised build; appends a row to
# tests/faults/RESULTS.md, or to $1. About two minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=${1:-$root/tests/faults/RESULTS.md}
scripts/deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDP_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export DP_SERVER=$root/build/deckpulse-server DP_COLLECTOR=$root/build/deckpulse-collector
export DP_SOURCE_DIR=$root DP_FAILOVER_ROUNDS=${DP_FAILOVER_ROUNDS:-5} DP_FAULTS_RESULTS=$out
cd tests/integration
exec python3 test_cluster_failover.py
