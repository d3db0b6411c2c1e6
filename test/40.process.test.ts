// Process lifetime: the library keeps a process alive exactly while work is
// pending, exits cleanly when told to mid-flight, and works in worker threads.
// Those cases run a fixture script (test/fixtures/) in a child node process
// that loads the built package from dist/; the poll thread's name is checked
// in this process.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNode } from './helpers/child-process';
import { countRequests, type FakeServer, startFakeServer } from './helpers/fake-server';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const fixtures = path.join(__dirname, 'fixtures');
const dist = path.join(__dirname, '..', 'dist', 'index.js');

type Run = NodeRun;

/** Runs a fixture with node; kills it (and reports that) after `limitMs`. */
function runFixture(script: string, args: string[], limitMs = 10_000): Promise<Run> {
  return runNode([path.join(fixtures, script), ...args], { limitMs });
}

function lastJson(run: Run): Record<string, unknown> {
  const lines = run.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`no JSON output; stdout=${run.stdout} stderr=${run.stderr}`);
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

let redis: RedisServer;
let stalled: FakeServer;

beforeAll(async () => {
  if (!fs.existsSync(dist)) throw new Error(`${dist} is missing: run "node scripts/ensure-built.js" (npm test does)`);
  redis = await startRedis();
  stalled = await startFakeServer(); // accepts, reads, never answers
});
afterAll(async () => {
  await stalled?.close();
  await stopAll();
});

describe('the process exits by itself when idle', () => {
  it('after one batch, with its connection left open', async () => {
    const run = await runFixture('idle-exit.js', [redis.address]);
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(lastJson(run)).toEqual({ ok: true, values: ['OK', 'v1'], error: null });
    const printedAt = run.lineTimes[run.lineTimes.length - 1][1];
    expect(run.total - printedAt).toBeLessThan(3000);
  });

  it('with several instances and idle connections, and one never used', async () => {
    const run = await runFixture('idle-exit.js', [redis.address, 'many']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lastJson(run)).toEqual({ ok: true, values: ['OK', 'v1'], error: null, others: ['v1', 'v1'] });
    const printedAt = run.lineTimes[run.lineTimes.length - 1][1];
    expect(run.total - printedAt).toBeLessThan(3000);
  });
});

describe('pending work keeps the process alive', () => {
  it('until the batch times out, then it exits by itself', async () => {
    const run = await runFixture('pending-timeout.js', [stalled.address, '1000']);
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    const result = lastJson(run);
    const reason = `timeout after 1000 ms waiting for ${stalled.address} (0 of 2 replies received)`;
    expect(result).toEqual({
      ok: false,
      elapsed: expect.any(Number),
      error: reason,
      failure: 'TimeoutError',
      values: [`ReplyError: ${reason}`, `ReplyError: ${reason}`],
    });
    expect(result.elapsed as number).toBeGreaterThanOrEqual(990);
    expect(result.elapsed as number).toBeLessThan(2500);
    const printedAt = run.lineTimes[run.lineTimes.length - 1][1];
    expect(run.total - printedAt).toBeLessThan(3000);
  });
});

describe('process.exit while work is pending', () => {
  for (const [mode, target] of [
    ['sync', 'stalled'],
    ['later', 'stalled'],
    ['later', 'redis'],
    ['busy', 'redis'],
  ] as const) {
    it(`exits cleanly (mode ${mode}, ${target} server)`, async () => {
      const address = target === 'redis' ? redis.address : stalled.address;
      const before = countRequests(stalled.received());
      const run = await runFixture('exit-pending.js', [address, mode]);
      expect(run.stderr).toBe('');
      expect(run.signal).toBeNull();
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('exiting\n');
      if (target === 'stalled') expect(run.stdout).not.toContain('settled');
      if (mode === 'later' && target === 'stalled') {
        // The work really was in flight when the process exited.
        expect(countRequests(stalled.received()) - before).toBeGreaterThan(0);
      }
    });
  }
});

describe('worker threads', () => {
  it('4 workers doing 200 GETs each; a worker terminated with executes pending; the main thread stays healthy', async () => {
    const before = countRequests(stalled.received());
    const run = await runFixture('workers-main.js', [redis.address, stalled.address], 15_000);
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    const report = lastJson(run);
    // Workers that finish return on their own (exit code 0): nothing keeps them alive.
    expect(report.getsExitCodes).toEqual([0, 0, 0, 0]);
    expect(report.getsResults).toEqual(
      [0, 1, 2, 3].map((id) => ({ id, setupOk: true, correct: 200, first: `w${id}-v0`, last: `w${id}-v199` })),
    );
    expect(report.mainDuring).toEqual([true, ['OK', 'main']]);
    // terminate() gives exit code 1; process.exit(3) in a worker gives 3.
    expect(report.stallExit).toBe(1);
    expect(report.earlyExit).toBe(3);
    // The terminated worker's 21 commands were really in flight.
    expect(countRequests(stalled.received()) - before).toBeGreaterThanOrEqual(21);
    expect(report.mainAfter).toEqual([true, [1, 'main']]);
    expect(report.mainGet).toBe('w3-v199');
  });

  // Fails while the addon is built without NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS:
  // a native method or constructor called while the worker is being terminated
  // aborts the whole process with "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw".
  it('terminate() on workers busy building and executing batches never takes the process down', async () => {
    const run = await runFixture('workers-terminate-busy.js', [redis.address, '10'], 15_000);
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(lastJson(run)).toEqual({ exits: new Array(10).fill(1), mainOk: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
  });
});

describe('the poll thread', () => {
  it.runIf(process.platform === 'linux')('is named libredis-poll, so top and perf tell it apart', async () => {
    // A thread may end between listing and reading (the resolver's do).
    const nameOf = (t: string) => {
      try {
        return fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    const threadNames = () => fs.readdirSync('/proc/self/task').map(nameOf);
    const { Libredis } = await import('../src/index');
    const lib = new Libredis();
    try {
      const conn = lib.getConnection(redis.address);
      expect(await conn.call('PING')).toBe('PONG');
      expect(threadNames()).toContain('libredis-poll');
    } finally {
      lib.close();
    }
  });
});
