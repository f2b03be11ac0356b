#!/usr/bin/env bash
# A short libFuzzer run of one target: new inputs go to a scratch corpus in
# the build directory (the committed seeds are read, never written); a crash
# leaves its input in fuzz-artifacts/ and fails the test — commit it under
# tests/fuzz/corpus/<target>/ with the fix, where every test run replays it.
#
#   tests/fuzz/run.sh BINARY SEED_DIR SECONDS
set -euo pipefail
bin=$1 seeds=$2 secs=$3
name=$(basename "$bin")
if [ ! -x "$bin" ]; then
  # CTest reports exit 77 as skipped: said, not silently absent
  echo "skipped: $bin was not built (scripts/test.sh builds the fuzz targets with clang)"
  exit 77
fi
scratch="fuzz-scratch/$name"
mkdir -p "$scratch" fuzz-artifacts
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="fuzz-artifacts/$name-" "$scratch" "$seeds"
