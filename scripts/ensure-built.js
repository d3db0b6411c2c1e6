// Builds whatever is missing or stale before tests and the demo run: the
// addon (when no prebuilt or built binary loads, or a native source is newer
// than build/Release) and the TypeScript output.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

function newest(dir, filter) {
  let t = 0;
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f);
    const s = fs.statSync(p);
    if (s.isDirectory()) t = Math.max(t, newest(p, filter));
    else if (filter(f)) t = Math.max(t, s.mtimeMs);
  }
  return t;
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

const built = path.join(root, 'build', 'Release', 'redis_native.node');
const nativeSources = Math.max(
  newest(path.join(root, 'native'), () => true),
  mtime(path.join(root, 'binding.gyp')),
);
let loadable = true;
try {
  require('node-gyp-build')(root);
} catch {
  loadable = false;
}
// build/Release wins over prebuilds/ in node-gyp-build, so it must not be stale.
if (!loadable || (fs.existsSync(path.dirname(built)) && mtime(built) < nativeSources)) {
  const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '-j', '2'];
  // Build against the headers installed beside this node when there are any,
  // rather than downloading them (npm passes its own nodedir setting).
  const prefix = path.join(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  run(process.execPath, args);
}

const tsSources = newest(path.join(root, 'src'), (f) => f.endsWith('.ts'));
if (mtime(path.join(root, 'dist', 'index.mjs')) < tsSources) {
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  run(process.execPath, [path.join(root, 'scripts', 'write-esm-entry.js')]);
}
