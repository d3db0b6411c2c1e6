#!/usr/bin/env node
// libredis benchmark harness: `npm run bench` (full) or `npm run bench:quick`.
//
// Starts its own redis-servers, runs every workload for every client
// interleaved (for rep: for workload: for client), takes the best of the
// repeats, prints a table with ratios and target checks, measures memory,
// and writes bench/results/latest.json and bench/results/chart.svg.
// Every measurement is time-boxed, so the whole run stops by itself.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

import {
  connectIoredis,
  connectNodeRedis,
  killBenchmarks,
  loadLibredis,
  packageVersion,
  redisBenchmarkVersion,
  runRedisBenchmark,
} from './clients.mjs';
import { pendingReplyCost, rssOverCommands } from './memory.mjs';
import { fmtBytes, fmtInt, ratios, svgChart, table, targetLines, targets } from './report.mjs';
import { redisVersion, startServer, stopAll } from './servers.mjs';
import { CALM_STEAL_PERCENT, stealSummary, withSteal } from './steal.mjs';
import { ROWS as ALL_ROWS, CLIENTS, preload } from './workloads.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const RESULTS = join(HERE, 'results');

const argv = process.argv.slice(2);
const QUICK_MODE = {
  name: 'quick',
  repeats: 2,
  seconds: 0.15,
  warmSeconds: 0.05,
  settleSeconds: 0.03,
  rssCommands: 1_000_000,
  rssMaxSeconds: 8,
  pendingReplies: 1_000_000,
};
const FULL_MODE = {
  name: 'full',
  // Many short repeats rather than a few long ones: this VM's speed drifts
  // over seconds, and interleaving more often gives every client the
  // same chances at a good phase.
  repeats: 5,
  seconds: 0.5,
  warmSeconds: 0.2,
  // Untimed, right before every measurement of every client (after its
  // gc()): switching clients, and that gc(), disturb the steady state. In a
  // run that timed each measurement's first 0.1 s apart, that part ran
  // slower than the rest for 20 of 21 client-workload pairs (medians 0.56x
  // to 0.99x; ioredis's sharded MGET was the one exception, at 1.09x). The
  // table is meant to report the steady rate of a process running one client.
  settleSeconds: 0.1,
  rssCommands: 10_000_000,
  rssMaxSeconds: 60,
  pendingReplies: 1_000_000,
};
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(
    'usage: node bench/run.mjs [--quick] [--only=id,id] [--repeats=N] [--runs=FILE]\n' +
      `  --quick      ${QUICK_MODE.repeats} repeats of ~${QUICK_MODE.seconds} s per measurement, 1M commands for the RSS run (< 30 s)\n` +
      '  --only=ids   just these workloads (ids as in results/latest.json), no memory run, no files written\n' +
      `  --repeats=N  repeats per measurement (default ${FULL_MODE.repeats}, quick ${QUICK_MODE.repeats})\n` +
      '  --runs=FILE  also write every measurement (ops/s, and % of CPU time the host stole) as JSON to FILE',
  );
  process.exit(0);
}
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const unknown = argv.filter((a) => a !== '--quick' && !/^--(only|repeats|runs)=/.test(a));
if (unknown.length > 0) {
  console.error(`unknown argument(s): ${unknown.join(' ')} (try --help)`);
  process.exit(2);
}
const QUICK = argv.includes('--quick');
const ONLY = option('only')?.split(',');
const MODE = QUICK ? QUICK_MODE : FULL_MODE;
const repeatsOption = option('repeats');
if (repeatsOption !== undefined) {
  MODE.repeats = Number(repeatsOption);
  if (!Number.isInteger(MODE.repeats) || MODE.repeats < 1 || MODE.repeats > 50) {
    console.error('--repeats must be an integer 1-50');
    process.exit(2);
  }
}
const ROWS = ONLY === undefined ? ALL_ROWS : ALL_ROWS.filter((row) => ONLY.includes(row.id));
if (ROWS.length === 0) {
  console.error(`--only: no workload among ${ONLY.join(', ')}; ids: ${ALL_ROWS.map((r) => r.id).join(', ')}`);
  process.exit(2);
}

// Hard cap on operations of one measurement, on top of the time box.
const MAX_OPS_PER_SECOND = 50_000_000;

// gc() without needing a node flag, for cleaner memory snapshots.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

// ---------------------------------------------------------------------------
// Cleanup: servers and redis-benchmark children go away on every exit path.

let cleanedUp = false;
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  killBenchmarks();
  stopAll();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping redis-servers and exiting`);
    cleanup();
    process.exit(130);
  });
}

const status = (text) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
};
const statusDone = () => {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
};

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function machineInfo() {
  const cpus = os.cpus();
  let addonBuilt = null;
  try {
    addonBuilt = statSync(join(ROOT, 'build', 'Release', 'redis_native.node')).mtime.toISOString();
  } catch {
    // prebuilt or missing
  }
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'native', 'src']) !== '';
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemory: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redisVersion(),
    redisBenchmark: redisBenchmarkVersion(),
    libredis: `${packageVersion('libredis')}${commit ? ` (git ${commit}${dirty ? ', native/src modified' : ''})` : ''}`,
    addonBuilt,
    ioredis: packageVersion('ioredis'),
    nodeRedis: packageVersion('redis'),
  };
}

/** Runs `op` until `seconds` have passed (or the op cap is hit); ops/s. */
async function timeBox(op, seconds) {
  const limitMs = seconds * 1000;
  const maxOps = Math.ceil(seconds * MAX_OPS_PER_SECOND);
  let ops = 0;
  const t0 = performance.now();
  let elapsed;
  do {
    const r = op();
    ops += typeof r === 'number' ? r : await r;
    elapsed = performance.now() - t0;
  } while (elapsed < limitMs && ops < maxOps);
  return { rate: ops / (elapsed / 1000), ops, seconds: elapsed / 1000 };
}

async function main() {
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = machineInfo();
  const lib = await loadLibredis();

  console.log(
    `libredis benchmark - ${MODE.name} run: ${MODE.repeats} repeats, ~${MODE.seconds} s per measurement ` +
      `(after ${MODE.settleSeconds} s untimed), best of repeats`,
  );
  console.log(
    `  cpu       ${machine.cpuModel}, ${machine.cores} cores, ${fmtBytes(machine.totalMemory)} RAM, ${machine.os}`,
  );
  console.log(
    `  runtime   Node ${machine.node}, redis-server ${machine.redis}, redis-benchmark ${machine.redisBenchmark}`,
  );
  console.log(
    `  clients   libredis ${machine.libredis}, ioredis ${machine.ioredis}, redis (node-redis) ${machine.nodeRedis}`,
  );
  console.log(`  date      ${date}`);

  // --- servers, clients, data
  const [a, b, c] = await Promise.all([startServer('a'), startServer('b'), startServer('c')]);
  const servers = { a, b, c };
  console.log(`  servers   a ${a.address} (GETs, shard 0), b ${b.address} (shard 1), c ${c.address} (SETs)`);
  console.log('');

  const libredis = new lib.Libredis();
  const conn = {
    a: libredis.getConnection(a.address),
    b: libredis.getConnection(b.address),
    c: libredis.getConnection(c.address),
  };
  const ketama = libredis.createKetama();
  ketama.addServer('127.0.0.1', a.port, 100);
  ketama.addServer('127.0.0.1', b.port, 100);
  ketama.createContinuum();
  if (ketama.getServerAddress(0) !== a.address || ketama.getServerAddress(1) !== b.address) {
    throw new Error(`Ketama ring addresses are ${ketama.getServerAddress(0)} and ${ketama.getServerAddress(1)}`);
  }
  const ioConns = await Promise.all([a, b, c].map(connectIoredis));
  const nrConns = await Promise.all([a, b, c].map(connectNodeRedis));
  const io = { a: ioConns[0].client, b: ioConns[1].client, c: ioConns[2].client };
  const nr = { a: nrConns[0].client, b: nrConns[1].client, c: nrConns[2].client };
  const sharded = new lib.ShardedClient({ servers: [a.address, b.address] });
  if (sharded.serverFor('user:1') !== ketama.getServerAddress(ketama.getServerOrdinal('user:1'))) {
    throw new Error('ShardedClient and the bench ring disagree on placement');
  }
  const ctx = { libredis, conn, ketama, io, nr, servers, sharded };
  status('preloading keys...');
  await preload(ctx);

  // --- results[row][client] = { best, runs, error }
  const results = {};
  const ops = {};
  const rbEstimate = {};
  for (const row of ROWS) {
    results[row.id] = {};
    ops[row.id] = {};
    for (const client of CLIENTS) {
      if (client === 'redis-benchmark' ? row.rb === null : row.clients[client] === undefined) continue;
      results[row.id][client] = { best: 0, runs: [], steal: [], error: null };
      if (client === 'redis-benchmark') {
        rbEstimate[row.id] = row.rb.guess;
        continue;
      }
      try {
        ops[row.id][client] = row.clients[client](ctx);
      } catch (e) {
        results[row.id][client].error = `setup: ${e.message}`;
      }
    }
  }

  async function measure(row, client, seconds, settle) {
    if (client === 'redis-benchmark') {
      const { pipeline } = row.rb;
      const run = (secs) => {
        const requests = Math.max(pipeline * 2, Math.ceil((rbEstimate[row.id] * secs) / pipeline) * pipeline);
        return runRedisBenchmark({
          ...row.rb,
          port: servers[row.rb.server].port,
          requests: Math.min(requests, secs * MAX_OPS_PER_SECOND),
        });
      };
      if (settle > 0) await run(settle);
      const timed = await withSteal(() => run(seconds));
      rbEstimate[row.id] = timed.rate;
      return timed;
    }
    gc();
    if (settle > 0) await timeBox(ops[row.id][client], settle);
    return withSteal(async () => (await timeBox(ops[row.id][client], seconds)).rate);
  }

  // Clients take turns going first: repeat r starts at client r (mod 4).
  async function pass(label, seconds, settle, record, rotate = 0) {
    const order = CLIENTS.map((_, i) => CLIENTS[(i + rotate) % CLIENTS.length]);
    for (const row of ROWS) {
      for (const client of order) {
        const cell = results[row.id][client];
        if (cell === undefined || cell.error !== null) continue;
        status(`${label}: ${row.short} - ${client}`);
        try {
          const { rate, steal } = await measure(row, client, seconds, settle);
          if (record) {
            cell.runs.push(Math.round(rate));
            cell.steal.push(steal === null ? null : +steal.toFixed(1));
            cell.best = Math.max(cell.best, rate);
          }
        } catch (e) {
          cell.error = e.message;
          cell.best = 0; // a client that failed posts no number
          statusDone();
          console.log(`  ! ${row.short} - ${client} failed: ${e.message}`);
        }
      }
    }
  }

  // --- memory (ours only), first: before the other clients have grown the heap
  const memory = {};
  if (ONLY === undefined) {
    try {
      status(`memory: RSS over ${fmtInt(MODE.rssCommands)} GETs...`);
      memory.rss = await rssOverCommands(ctx, { commands: MODE.rssCommands, maxSeconds: MODE.rssMaxSeconds, gc });
      status(`memory: ${fmtInt(MODE.pendingReplies)} pending replies...`);
      memory.pending = await pendingReplyCost(ctx, { count: MODE.pendingReplies, gc });
    } catch (e) {
      memory.error = e.message;
    }
  }
  statusDone();

  // --- warm-up once, then the interleaved repeats
  await pass('warm-up', MODE.warmSeconds, 0, false);
  for (let rep = 1; rep <= MODE.repeats; rep++)
    await pass(`repeat ${rep}/${MODE.repeats}`, MODE.seconds, MODE.settleSeconds, true, rep - 1);
  statusDone();

  // --- report
  const runsFile = option('runs');
  if (runsFile !== undefined) writeFileSync(runsFile, JSON.stringify(results, null, 1) + '\n');
  const checks = targets(ROWS, results);
  console.log(`Throughput, best of ${MODE.repeats} (ops/s; ratios are libredis / peer)`);
  for (const line of table(ROWS, results)) console.log(`  ${line}`);
  const steal = stealSummary(results);
  if (steal !== null) {
    console.log(
      `  CPU time the host took from this VM (steal) in the timed windows: median ${steal.median.toFixed(1)}%, ` +
        `max ${steal.max.toFixed(1)}%; ${steal.calm} of ${steal.windows} windows under ${CALM_STEAL_PERCENT}%`,
    );
  }
  console.log('');
  console.log('Targets');
  for (const line of targetLines(checks)) console.log(line);
  console.log(`  ${checks.filter((x) => x.pass).length} of ${checks.length} met`);
  console.log('');
  console.log('Memory (libredis)');
  if (memory.rss) {
    const r = memory.rss;
    const note = r.timedOut ? ` (stopped at the ${MODE.rssMaxSeconds} s time box)` : '';
    console.log(
      `  RSS over ${fmtInt(r.commands)} GETs in batches of 1000 (${r.seconds.toFixed(1)} s, ${fmtInt(r.rate)} GET/s)${note}`,
    );
    console.log(
      `    before ${fmtBytes(r.before.rss)}, after ${fmtBytes(r.after.rss)}, delta ${fmtBytes(r.after.rss - r.before.rss)}, peak ${fmtBytes(r.peakRss)}`,
    );
  }
  if (memory.pending) {
    const p = memory.pending;
    const s = p.snapshots;
    console.log(
      `  ${fmtInt(p.count)} GET replies held unread (${p.valueBytes}-byte values, executed in ${p.executeSeconds.toFixed(2)} s)`,
    );
    console.log(
      `    per reply, vs. before the batch was built: rss ${p.perReply.rss.toFixed(1)} B, external ${p.perReply.external.toFixed(1)} B, arrayBuffers ${p.perReply.arrayBuffers.toFixed(1)} B`,
    );
    console.log(
      `    per reply, vs. after building it (${fmtBytes(s.built.rss - s.empty.rss)} rss of encoded commands): rss ${p.perReply.rssSinceBuilt.toFixed(1)} B, arrayBuffers ${p.perReply.arrayBuffersSinceBuilt.toFixed(1)} B`,
    );
    console.log(
      `    structural cost: 16 B of records + ${p.valueBytes} B payload = ${p.structuralPerReply} B per reply`,
    );
    console.log(
      `    rss: before ${fmtBytes(s.empty.rss)}, built ${fmtBytes(s.built.rss)}, replies held ${fmtBytes(s.held.rss)}, batch dropped ${fmtBytes(s.released.rss)}`,
    );
  }
  if (memory.error) console.log(`  ! memory run failed: ${memory.error}`);

  // --- files (not for --only runs)
  if (ONLY === undefined) {
    const wallSeconds = (performance.now() - started) / 1000;
    const doc = {
      schema: 1,
      mode: MODE.name,
      date,
      machine,
      config: {
        repeats: MODE.repeats,
        secondsPerMeasurement: MODE.seconds,
        warmupSecondsPerMeasurement: MODE.warmSeconds,
        settleSecondsBeforeEachMeasurement: MODE.settleSeconds,
        order: 'for repeat: for workload: for client (interleaved; repeat r starts with client r); best of repeats',
        connections: 'one connection per server per client; redis-benchmark -c 1 with the same pipeline depth',
        nodeRedis:
          'multi().execAsPipeline() for batches (1 and 5); Promise.all of commands issued in one tick for 3 and 4',
        ioredis: 'default options (no enableAutoPipelining); pipeline() for batches',
        megabyte: 1e6,
      },
      rows: ROWS.map((row) => {
        const res = results[row.id];
        const out = {};
        for (const [client, cell] of Object.entries(res))
          out[client] = {
            best: cell.error === null ? Math.round(cell.best) : null,
            runs: cell.runs,
            stealPercent: cell.steal,
            error: cell.error,
          };
        const q = ratios(res);
        return {
          id: row.id,
          target: row.target,
          title: row.title,
          short: row.short,
          chart: row.chart ?? row.short,
          unit: row.unit,
          ...(row.bytes ? { valueBytes: row.bytes } : {}),
          ...(row.rb
            ? {
                redisBenchmarkArgs: `-c 1 -P ${row.rb.pipeline} -t ${row.rb.test} -r ${row.rb.keyspace}${row.rb.dataSize ? ` -d ${row.rb.dataSize}` : ''}`,
              }
            : {}),
          results: out,
          ...(row.bytes
            ? {
                megabytesPerSecond: Object.fromEntries(
                  Object.entries(out).map(([k, v]) => [
                    k,
                    v.best === null ? null : +((v.best * row.bytes) / 1e6).toFixed(2),
                  ]),
                ),
              }
            : {}),
          ratios: q,
        };
      }),
      targets: checks.map(({ target, text, value, min, pass }) => ({ target, text, value, min, pass })),
      memory,
      stealPercent: stealSummary(results),
      wallSeconds: +wallSeconds.toFixed(1),
    };
    mkdirSync(RESULTS, { recursive: true });
    const jsonPath = join(RESULTS, 'latest.json');
    const svgPath = join(RESULTS, 'chart.svg');
    writeFileSync(jsonPath, JSON.stringify(doc, null, 2) + '\n');
    writeFileSync(svgPath, svgChart(doc));
    console.log('');
    console.log(
      `Wrote ${relative(process.cwd(), jsonPath) || jsonPath} and ${relative(process.cwd(), svgPath) || svgPath} (${wallSeconds.toFixed(1)} s in all)`,
    );
  }

  await Promise.all([...ioConns, ...nrConns].map((x) => x.close()));
  libredis.close();
  sharded.close();
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (e) => {
    statusDone();
    console.error(`benchmark harness failed: ${e?.stack ?? e}`);
    cleanup();
    process.exit(1);
  },
);
