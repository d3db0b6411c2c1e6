// Node-API calls failing as they do while a worker is being terminated.
// Runs only under `npm run test:fault`, which builds the addon with
// test/fault/napi_fault_shim.cc linked in and names it LIBREDIS_FAULT_ADDON;
// a plain `npm test` skips it. Child processes run the whole API with that
// build, failing every wrapped function from a spread of call indexes, on
// the main thread and on a worker: none may crash, abort or hang. Targeted
// cases check the fixes from the Node-API failure audit. A failure names
// FAIL_THREAD, FAIL_FN and FAIL_NTH: set them (with LIBREDIS_ADDON) to
// replay the run by hand.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNode } from './helpers/child-process';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const addon = process.env.LIBREDIS_FAULT_ADDON;
const workload = path.join(__dirname, 'fixtures', 'fault-workload.js');
const targeted = path.join(__dirname, 'fixtures', 'fault-targeted.js');
const LIMIT_MS = 10_000; // a child still running then has hung
const PARALLEL = 2;

type Thread = 'main' | 'worker';
interface Fault {
  thread: Thread;
  fn: string;
  nth: number;
}
interface Run extends NodeRun {
  fault?: Fault;
}
type Counts = Record<Thread, Record<string, number>>;

async function run(args: string[], fault?: Fault, count = false): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, LIBREDIS_ADDON: addon };
  for (const k of ['FAIL_FN', 'FAIL_NTH', 'FAIL_THREAD', 'FAULT_COUNT']) delete env[k];
  if (fault) Object.assign(env, { FAIL_THREAD: fault.thread, FAIL_FN: fault.fn, FAIL_NTH: String(fault.nth) });
  if (count) env.FAULT_COUNT = '1';
  return { fault, ...(await runNode(['--expose-gc', ...args], { env, limitMs: LIMIT_MS })) };
}

/** What is wrong with a run, if anything: a crash, an abort, a hang, sanitizer output. */
function problem(r: Run): string | null {
  if (r.timedOut) return `still running after ${LIMIT_MS} ms`;
  if (r.signal !== null) return `killed by ${r.signal}`;
  // Node's fatal errors and failed CHECKs, and any sanitizer report.
  if (/FATAL ERROR|Segmentation fault|Sanitizer|Assertion .* failed|core dumped/.test(r.stderr)) return 'fatal stderr';
  if (r.code !== 0) return `exit code ${r.code}`;
  return null;
}

function describeRun(r: Run, why: string): string {
  const f = r.fault;
  const replay = f ? `FAIL_THREAD=${f.thread} FAIL_FN=${f.fn} FAIL_NTH=${f.nth}` : 'no fault';
  // Node's fatal message and the JS stack, without native frames.
  const stderr = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^\s*\d+: 0x/.test(l));
  const stdout = r.stdout.trim().slice(-400);
  return `${replay}: ${why}\n    ${stderr.slice(0, 8).join('\n    ')}\n    stdout: ${stdout}`;
}

function countsOf(r: Run): Counts {
  const m = /^napi-fault counts (\{.*\})$/m.exec(r.stderr);
  if (!m) throw new Error(`no call counts in stderr:\n${r.stderr}`);
  return JSON.parse(m[1]);
}

function report<T>(r: Run): T {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

/** Call indexes to fail from, of `count` calls: the first few, the quarters, the last. */
function spread(count: number): number[] {
  const picks = [1, 2, 3, count / 4, count / 2, (3 * count) / 4, count].map(Math.round);
  return [...new Set(picks)].filter((n) => n >= 1 && n <= count).sort((a, b) => a - b);
}

async function inPool<T, R>(items: T[], parallel: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return out;
}

/** Runs `args` counting calls, then again failing from the last call of `fn` on `thread`. */
async function failLast(args: string[], fn: string, thread: Thread = 'main') {
  const control = await run(args, undefined, true);
  expect(problem(control), describeRun(control, 'control run')).toBeNull();
  const nth = countsOf(control)[thread][fn];
  expect(nth, `${fn} is never called on the ${thread} thread`).toBeGreaterThan(0);
  const faulty = await run(args, { thread, fn, nth });
  expect(problem(faulty), describeRun(faulty, problem(faulty) ?? '')).toBeNull();
  return { control, faulty };
}

type StepResults = Record<string, string>;
interface WorkloadReport {
  main: StepResults;
  worker: StepResults | string | null;
  after: StepResults;
  unhandled: string[];
}
const allOk = (steps: unknown) =>
  typeof steps === 'object' && steps !== null && Object.values(steps).every((v) => v === 'ok');

let a: RedisServer;
let b: RedisServer;
beforeAll(async () => {
  if (addon) [a, b] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(stopAll);

describe.skipIf(!addon)('Node-API calls failing as in worker termination (fault-injecting build)', () => {
  // The workload once without faults, counting each wrapped function's calls.
  let counting: Promise<Run> | undefined;
  const countingRun = () => (counting ??= run([workload, a.address, b.address], undefined, true));

  it('the workload passes every step without faults, and the build counts its calls', async () => {
    const r = await countingRun();
    expect(problem(r), describeRun(r, 'control run')).toBeNull();
    const rep = report<WorkloadReport>(r);
    expect(allOk(rep.main) && allOk(rep.worker) && allOk(rep.after), JSON.stringify(rep)).toBe(true);
    expect(rep.unhandled).toEqual([]);
    const counts = countsOf(r);
    // The calls the audited paths make are all reached, on both threads.
    for (const fn of [
      'napi_wrap',
      'napi_unwrap',
      'napi_create_promise',
      'napi_create_external_buffer',
      'napi_create_threadsafe_function',
    ])
      for (const t of ['main', 'worker'] as const) expect(counts[t][fn], `${t} ${fn}`).toBeGreaterThan(0);
  });

  it('no crash, abort or hang when any wrapped call fails, from a spread of call indexes, on either thread', async () => {
    const counts = countsOf(await countingRun());
    const faults: Fault[] = [];
    for (const thread of ['main', 'worker'] as const)
      for (const [fn, n] of Object.entries(counts[thread]))
        for (const nth of spread(n)) faults.push({ thread, fn, nth });
    const runs = await inPool(faults, PARALLEL, (f) => run([workload, a.address, b.address], f));
    const failures: string[] = [];
    for (const r of runs) {
      const why = problem(r);
      if (why !== null) {
        failures.push(describeRun(r, why));
        continue;
      }
      let rep: WorkloadReport;
      try {
        rep = report<WorkloadReport>(r);
      } catch {
        failures.push(describeRun(r, 'no report'));
        continue;
      }
      if (rep.unhandled.length > 0) failures.push(describeRun(r, `unhandled rejection: ${rep.unhandled[0]}`));
      // A worker's failing calls leave the main thread untouched.
      if (r.fault?.thread === 'worker' && !(allOk(rep.main) && allOk(rep.after)))
        failures.push(describeRun(r, 'the main thread failed too'));
    }
    expect(failures, `${failures.length} of ${runs.length} runs failed:\n${failures.join('\n')}`).toEqual([]);
    expect(runs.length).toBeGreaterThan(100);
  }, 120_000);

  it('lookupFunction() returns undefined, not garbage, when napi_create_function or napi_define_properties fails', async () => {
    for (const fn of ['napi_create_function', 'napi_define_properties']) {
      const { control, faulty } = await failLast([targeted, 'lookup'], fn);
      expect(report(control)).toEqual({ type: 'function', ordinal: 0 });
      expect(report(faulty), fn).toEqual({ type: 'undefined', ordinal: null });
    }
  });

  it("a worker's NativeConnection whose napi_wrap failed leaves liveConnections where it was", async () => {
    const { control, faulty } = await failLast([targeted, 'worker-connection'], 'napi_wrap', 'worker');
    expect(report(control)).toEqual({ before: 0, after: 0 });
    expect(report(faulty)).toEqual({ before: 0, after: 0 });
  });

  it('submit() refuses a batch whose napi_unwrap fails after its type tag was read (the CI crash)', async () => {
    const { control, faulty } = await failLast([targeted, 'submit', a.host, String(a.port)], 'napi_unwrap');
    expect(report(control)).toEqual({ type: 'object', ok: true });
    expect(report(faulty)).toEqual({ type: 'undefined', ok: null });
  });

  it('a 110 MB result whose external buffer Node refused is freed', async () => {
    const key = 'fault:big-result';
    const { control, faulty } = await failLast([targeted, 'big-result', a.address, key], 'napi_create_external_buffer');
    await a.command('DEL', key);
    type Big = { fetched: boolean; length: number | null; rssMB: number };
    const [c, f] = [report<Big>(control), report<Big>(faulty)];
    expect([c.fetched, c.length, f.length]).toEqual([true, 110 * 1024 * 1024, null]);
    // A leak keeps the whole payload (110 MB and up); allow 40 MB of noise.
    expect(f.rssMB, JSON.stringify({ control: c, faulty: f })).toBeLessThan(c.rssMB + 40);
  });

  it('parseChunks returns nothing, without aborting, when napi_create_arraybuffer fails', async () => {
    const { control, faulty } = await failLast([targeted, 'parse-chunks'], 'napi_create_arraybuffer');
    expect(report(control)).toEqual({ type: 'array', completed: 1 });
    expect(report(faulty)).toEqual({ type: 'undefined', completed: null });
  });
});
