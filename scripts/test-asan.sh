#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UBSan (into build-asan/, so the
# normal build is untouched) and runs the test suite against it.
#   scripts/test-asan.sh [vitest args...]   e.g. test/30.timeouts.test.ts
# Node itself is not instrumented: the sanitizer runtimes are preloaded, and
# leak detection is off here (V8 keeps memory alive at exit by design); the
# leak check is test/50.reliability's live-object count instead.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/build-asan"
mkdir -p "$work"
cp binding.gyp "$work/"
rm -rf "$work/native" && cp -r native "$work/native"
ln -sfn "$root/node_modules" "$work/node_modules"
nodedir=()
prefix="$(dirname "$(command -v node)")/.."
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node_api.h" ]; then nodedir=(--nodedir="$prefix"); fi
(
  cd "$work"
  CXXFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1" \
  LDFLAGS="-fsanitize=address,undefined" \
    node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild -j 2 "${nodedir[@]}" >/dev/null
)
node scripts/ensure-built.js  # dist/ for the child-process tests
export LIBREDIS_ADDON="$work/build/Release/redis_native.node"
export LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
exec npx vitest run "$@"
