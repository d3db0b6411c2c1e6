#!/usr/bin/env bash
# Packs the package (prepack builds dist/ and the prebuilt binary), installs
# the tarball into an empty project with install scripts disabled and with no
# compiler, make or Python on PATH, then runs real commands against a
# redis-server from an ES module and from CommonJS, and type-checks a small
# TypeScript consumer. Proves `npm install libredis` needs no toolchain.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
redis_pid=""
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cd "$root"
tarball="$(npm pack --pack-destination "$work" --silent | tail -n 1)"
echo "packed $tarball"
listing="$(tar -tzf "$work/$tarball")"
grep -q 'package/prebuilds/linux-x64/' <<<"$listing" || { echo "no prebuilt binary in the tarball"; exit 1; }
if grep -qE 'package/(test|bench|build|node_modules)/' <<<"$listing"; then
  echo "the tarball holds files users do not need"
  exit 1
fi

# A PATH with every tool of this one except compilers, make and Python.
mkdir -p "$work/bin" "$work/app"
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  for tool in "$dir"/*; do
    name="$(basename "$tool")"
    case "$name" in
      cc | cc-* | gcc* | g++* | c++* | clang* | cpp* | make | gmake | python* | node-gyp*) continue ;;
    esac
    [ -e "$work/bin/$name" ] || ln -s "$tool" "$work/bin/$name"
  done
done
export PATH="$work/bin"
for tool in cc gcc g++ c++ clang make python python3; do
  if command -v "$tool" >/dev/null 2>&1; then echo "$tool is on PATH; the test needs it gone"; exit 1; fi
done

cd "$work/app"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "$work/$tarball" @types/node@20 >/dev/null
[ -d node_modules/libredis/build ] && { echo "something was built at install time"; exit 1; }

# A real server to talk to.
port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$work" >/dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" && break
  sleep 0.05
done

cat > esm.mjs <<JS
import { Libredis, ReplyType } from 'libredis';
const libredis = new Libredis();
const connection = libredis.getConnection('127.0.0.1:$port');
if (!(await connection.set('pack:esm', 'from esm'))) throw new Error(libredis.lastError());
const batch = libredis.createBatch().get('pack:esm').cmd('INCR', 'pack:n');
if (!(await batch.execute(connection))) throw new Error(batch.error);
const first = batch.nextReply();
if (first.type !== ReplyType.BULK) throw new Error('unexpected reply type');
console.log('esm', first.value, batch.nextReply().value);
JS
cat > cjs.cjs <<JS
const { Libredis } = require('libredis');
(async () => {
  const connection = new Libredis().getConnection('127.0.0.1:$port');
  console.log('cjs', await connection.get('pack:esm'), await connection.call('INCR', 'pack:n'));
})();
JS
node esm.mjs | tee out.txt
node cjs.cjs | tee -a out.txt
grep -qx 'esm from esm 1' out.txt && grep -qx 'cjs from esm 2' out.txt

# Type-checking a consumer against the shipped declarations.
cat > consumer.ts <<'TS'
import { Libredis, ReplyType, TimeoutError, type Reply, type ReplyValue } from 'libredis';
const libredis = new Libredis({ maxBulkBytes: 1 << 20 });
const connection = libredis.getConnection('127.0.0.1:6379');
async function main(): Promise<void> {
  const ok: boolean = await connection.set('k', 'v', 200);
  const value: string | null = await connection.get('k');
  const batch = libredis.createBatch().get('k').cmd('MGET', 'a', Buffer.from('b'), 3);
  const done: boolean = await connection.execute(batch, 500);
  const reply: Reply | null = batch.nextReply();
  const values: ReplyValue[] = batch.values({ buffers: true });
  const ordinal: number = libredis.createKetama().addServer('h', 1, 100).createContinuum().getServerOrdinal('k');
  const isTimeout: boolean = batch.failure() instanceof TimeoutError;
  console.log(ok, value, done, reply?.type === ReplyType.BULK, values, ordinal, isTimeout);
}
void main;
TS
# The same from an ES module (resolved through the "import" condition).
sed 's/^void main;$/await main();/' consumer.ts > consumer.mts
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "noEmit": true, "types": ["node"] }, "files": ["consumer.ts", "consumer.mts"] }
JSON
node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json
echo "pack test passed: installed with no compiler and no install scripts; ESM, CommonJS and TypeScript consumers work"
