#!/usr/bin/env bash
# Builds the addon with test/fault/napi_fault_shim.cc linked in (into
# build-fault/, so the normal build is untouched) and runs the fault-injection
# test against it: every PREAMBLE Node-API call the addon makes can be made to
# fail as it does while a worker is being terminated.
#   scripts/test-fault.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/addon-variant.sh
work="$PWD/build-fault"
shim=test/fault/napi_fault_shim.cc
prepare_variant "$work"
mkdir -p "$work/fault"
cp "$shim" "$work/fault/"
# The copy also compiles the shim and links each function it WRAPs through it.
node -e '
const fs = require("node:fs");
const [gypPath, shimPath] = process.argv.slice(1);
const fns = [...fs.readFileSync(shimPath, "utf8").matchAll(/^WRAP\((napi_\w+),/gm)].map((m) => m[1]);
if (fns.length === 0) throw new Error(`no WRAP(...) lines in ${shimPath}`);
const gyp = JSON.parse(fs.readFileSync(gypPath, "utf8"));
const target = gyp.targets[0];
target.sources.push("fault/napi_fault_shim.cc");
target.ldflags = [...(target.ldflags ?? []), ...fns.map((f) => `-Wl,--wrap=${f}`)];
fs.writeFileSync(gypPath, JSON.stringify(gyp, null, 2));
' "$work/binding.gyp" "$shim"
build_variant "$work"
export LIBREDIS_FAULT_ADDON="$work/build/Release/redis_native.node"
exec npx vitest run test/42.fault-injection.test.ts "$@"
