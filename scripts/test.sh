#!/usr/bin/env bash
# The README's test command: installs what is missing, builds deckpulse with
# AddressSanitizer and UndefinedBehaviorSanitizer (warnings are errors) and
# its libFuzzer targets with clang, and runs every test with CTest (short
# fuzz runs among them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
# the libFuzzer targets, with clang, for the short fuzz runs among the tests
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDP_FUZZ=ON -DDP_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DDP_SANITIZE=ON -DDP_WERROR=ON -DDP_TESTS=ON \
  -DDP_FUZZ_DIR="$PWD/build-fuzz" >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
exec ctest --output-on-failure -j2 --timeout 600
