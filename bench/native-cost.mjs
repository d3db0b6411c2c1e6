// Native instructions per command, for valgrind's callgrind, which counts
// instructions rather than seconds and so gives the same answer on a busy or
// a quiet machine (this VM's timings drift by 20% and more).
//
//   node bench/native-cost.mjs [get|mget]   (a few minutes; needs valgrind)
//
// It runs a fixed workload twice under callgrind, ROUNDS and 2 x ROUNDS
// rounds, and the difference divided by the extra commands is the cost of
// one command with start-up and warm-up taken out:
//   get:  rounds of 50 concurrent connection.get (100-byte values)
//   mget: rounds of test.php's MGET of 200 keys over 2 servers (an Executor)
// LIBREDIS_SPIN_US=0 keeps the poll thread from counting its idle polling.
import { execFileSync } from 'node:child_process';
import { startServer, stopAll } from './servers.mjs';

const kind = process.argv[2] ?? 'get';
if (kind !== 'get' && kind !== 'mget') {
  console.error('usage: node bench/native-cost.mjs [get|mget]');
  process.exit(2);
}
const ROUNDS = 400;

if (process.env.LIBREDIS_NATIVE_COST_RUN === undefined) {
  const total = (rounds) => {
    execFileSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=/tmp/native-cost.${kind}.${rounds}.out`,
        process.execPath,
        process.argv[1],
        kind,
      ],
      { env: { ...process.env, LIBREDIS_NATIVE_COST_RUN: String(rounds), LIBREDIS_SPIN_US: '0' }, stdio: 'ignore' },
    );
    const summary = execFileSync('callgrind_annotate', [`/tmp/native-cost.${kind}.${rounds}.out`], {
      encoding: 'utf8',
    });
    const m = /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(summary);
    if (m === null) throw new Error('no PROGRAM TOTALS in callgrind_annotate output');
    return Number(m[1].replaceAll(',', ''));
  };
  const once = total(ROUNDS);
  const twice = total(2 * ROUNDS);
  const perRound = kind === 'get' ? 50 : 1;
  const unit = kind === 'get' ? 'GET' : 'MGET of 200 keys';
  console.log(`${Math.round((twice - once) / (ROUNDS * perRound)).toLocaleString('en-US')} instructions per ${unit}`);
  process.exit(0);
}

const rounds = Number(process.env.LIBREDIS_NATIVE_COST_RUN);
const { Libredis } = await import('libredis');
const lib = new Libredis();
try {
  if (kind === 'get') {
    const server = await startServer('a');
    const conn = lib.getConnection(server.address);
    const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
    const load = lib.createBatch();
    for (const k of keys) load.set(k, 'v'.repeat(100));
    await conn.execute(load);
    const pending = new Array(50);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 50; i++) pending[i] = conn.get(keys[(r * 50 + i) % keys.length]);
      const values = await Promise.all(pending);
      if (values[0]?.length !== 100) throw new Error(`GET returned ${values[0]}`);
    }
  } else {
    const [a, b] = await Promise.all([startServer('a'), startServer('b')]);
    const conns = [lib.getConnection(a.address), lib.getConnection(b.address)];
    const ring = lib.createKetama();
    ring.addServer('127.0.0.1', a.port, 100);
    ring.addServer('127.0.0.1', b.port, 100);
    ring.createContinuum();
    const keys = Array.from({ length: 2000 }, (_, i) => `user:${i}`);
    const load = [lib.createBatch(), lib.createBatch()];
    for (const k of keys) load[ring.getServerOrdinal(k)].set(k, 'v'.repeat(100));
    const loading = lib.createExecutor();
    loading.add(conns[0], load[0]).add(conns[1], load[1]);
    await loading.execute(5000);
    for (let r = 0; r < rounds; r++) {
      const parts = [[], []];
      for (let i = 0; i < 200; i++) {
        const key = keys[(r * 200 + i) % keys.length];
        parts[ring.getServerOrdinal(key)].push(key);
      }
      const executor = lib.createExecutor();
      const batches = parts.map((p, s) => {
        const batch = lib.createBatch().cmd('MGET', ...p);
        executor.add(conns[s], batch);
        return batch;
      });
      if (!(await executor.execute(5000))) throw new Error('MGET failed');
      if (batches.reduce((n, bt) => n + bt.values()[0].length, 0) !== 200) throw new Error('MGET value count');
    }
  }
} finally {
  lib.close();
  stopAll();
}
