#!/usr/bin/env bash
# The README's test command: installs what is missing, builds deckpulse with
# AddressSanitizer and UndefinedBehaviorSanitizer (warnings are errors), and
# runs every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DDP_SANITIZE=ON -DDP_WERROR=ON -DDP_TESTS=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
exec ctest --output-on-failure -j2 --timeout 600
