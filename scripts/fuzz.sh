#!/usr/bin/env bash
# Builds the RESP parser fuzz target with clang's libFuzzer, ASan and UBSan,
# and runs it from the committed corpus (test/fuzz/corpus).
#   scripts/fuzz.sh [seconds]      default 60; 0 replays the corpus only
# New interesting inputs go to a scratch corpus, so the committed one only
# changes when someone copies a case in on purpose; a crash leaves its
# reproducer as build-fuzz/crash-* (add it to the corpus once fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=build-fuzz
mkdir -p "$out/scratch"
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  native/fuzz/resp_parser_fuzz.cc native/resp_parser.cc -o "$out/resp_parser_fuzz"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$seconds" = "0" ]; then
  "$out/resp_parser_fuzz" -runs=0 test/fuzz/corpus
else
  "$out/resp_parser_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/scratch" test/fuzz/corpus
fi
