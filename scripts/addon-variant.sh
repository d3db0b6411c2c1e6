# Sourced by the scripts that test a special build of the addon (ASan, fault
# injection). Each builds into its own directory, so the normal build in
# build/ is untouched.
#   prepare_variant <dir>                copy binding.gyp and native/ there (edit them after)
#   build_variant <dir> [VAR=value ...]  node-gyp rebuild there with those variables
#                                        (CXXFLAGS, LDFLAGS), then dist/ for the
#                                        child-process tests
# The variables reach node-gyp only: ensure-built.js may rebuild build/, which
# must stay a plain build.
prepare_variant() {
  local work=$1
  mkdir -p "$work"
  cp binding.gyp "$work/"
  rm -rf "$work/native" && cp -r native "$work/native"
  ln -sfn "$PWD/node_modules" "$work/node_modules"
}

build_variant() {
  local work=$1 root=$PWD nodedir=()
  shift
  local prefix
  prefix="$(dirname "$(command -v node)")/.."
  if [ -z "${npm_config_nodedir:-}" ] && [ -f "$prefix/include/node/node_api.h" ]; then nodedir=(--nodedir="$prefix"); fi
  (cd "$work" && env "$@" node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild -j 2 "${nodedir[@]}" >/dev/null)
  node scripts/ensure-built.js
}
