#!/usr/bin/env bash
# Installs the Debian packages deckpulse needs, only those that are missing.
# Used by both README commands (scripts/run.sh and scripts/test.sh).
set -euo pipefail

# Build and runtime: compiler, CMake, the libraries deckpulse links, Redis.
build_pkgs=(gcc libc6-dev make cmake pkg-config
            libuv1-dev libhttp-parser-dev libhiredis-dev zlib1g-dev libcsv-dev
            libjansson-dev libyajl-dev libsodium-dev libcurl4-openssl-dev redis-server)
# Tests only: cmocka for unit tests, python3 (stdlib only) drives integration tests.
# chromium: the browser of the end-to-end tests (driven by playwright-core).
# curl: the README's examples run as written (tests/integration/test_readme.py).
# python3-fusepy: the power-loss test's file system (tests/faults/lazyfs.py).
# clang + its runtime: the libFuzzer targets.
test_pkgs=(libcmocka-dev python3 clang-format chromium clang libclang-rt-14-dev curl
           python3-fusepy)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${test_pkgs[@]}"); fi

# npm packages of the browser side, exactly as package-lock.json has them:
# Chart.js for the dashboards; with --test, the beacon's build and browser
# test tools.
npm_deps() {
  local root
  root="$(dirname "$0")/.."
  if [ ! -d "$root/dashboards/node_modules/chart.js" ]; then
    (cd "$root/dashboards" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  if [ "${1:-}" = "--test" ]; then
    # playwright-core needs Node.js 20 or later; Debian 12 ships 18: then
    # the npm registry's node package (into /usr/local/bin, ahead on PATH)
    if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
      echo "deps: Node.js $(node --version) is too old for the browser tests; installing node@20 from npm" >&2
      npm install -g node@20 --no-audit --no-fund --loglevel=error >/dev/null
      hash -r
    fi
    (cd "$root/beacon" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm installs the dashboards' Chart.js (and the beacon's test tools); a
# machine without it gets the distribution's Node.js and npm.
if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  npm_deps "$@"
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages and not root; run as root or: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_deps "$@"
