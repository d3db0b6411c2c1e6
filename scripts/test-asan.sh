#!/usr/bin/env bash
# Builds the addon with AddressSanitizer and UBSan (into build-asan/, so the
# normal build is untouched) and runs the test suite against it.
#   scripts/test-asan.sh [vitest args...]   e.g. test/30.timeouts.test.ts
# Node itself is not instrumented: the sanitizer runtimes are preloaded, and
# leak detection is off here (V8 keeps memory alive at exit by design); the
# leak check is test/50.reliability's live-object count instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/addon-variant.sh
work="$PWD/build-asan"
prepare_variant "$work"
build_variant "$work" \
  CXXFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1" \
  LDFLAGS="-fsanitize=address,undefined"
export LIBREDIS_ADDON="$work/build/Release/redis_native.node"
export LD_PRELOAD="$(g++ -print-file-name=libasan.so):$(g++ -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
exec npx vitest run "$@"
