// The poll thread moves itself off the JS thread's core (native/core_spread.h),
// without being left pinned. Child processes (test/fixtures/core-spread.js)
// place the threads with taskset against a real redis-server.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJsonFixture } from './helpers/child-process';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const usable = process.platform === 'linux' && os.availableParallelism() >= 2 && hasTaskset();

interface Report {
  mode: string;
  value: string | null;
  jsCore: number;
  otherCore: number | null;
  moves: number;
  returns: number;
  maskBefore: string;
  maskAfter: string;
  pollCores: number[];
}

describe.skipIf(!usable)('the poll thread keeps off the JS thread’s core', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await stopAll();
  });

  // A JS spin cap far above a GET's round trip, so a busy machine still
  // counts the waits as short and the JS thread spins through them.
  const SPINNING = { LIBREDIS_JS_SPIN_US: '20000' };
  async function run(mode: 'together' | 'sleepy' | 'single', env: Record<string, string> = {}): Promise<Report> {
    const out = await runJsonFixture<Report>('core-spread.js', [redis.address, mode], env);
    expect(out).toMatchObject({ mode, value: mode === 'sleepy' ? null : 'v' });
    return out;
  }

  // The other core runs a process that never yields, so the kernel wakes the
  // poll thread next to the JS thread; a move then lands next to that
  // process, where each of the poll thread's yields hands it a whole time
  // slice, and so it comes back.
  it('moves off when put on the JS thread’s core, comes back from a core a busy process holds, and keeps its whole mask', async () => {
    const out = await run('together', SPINNING);
    expect(out.moves).toBeGreaterThanOrEqual(1);
    expect(out.returns).toBeGreaterThanOrEqual(1);
    expect(out.pollCores).toEqual([out.jsCore, out.otherCore].sort()); // it did run there
    expect(out.maskAfter).toBe(out.maskBefore);
  });

  it('stays put with LIBREDIS_SPREAD=0, or with spinning off (LIBREDIS_SPIN_US=0)', async () => {
    const envs: Array<Record<string, string>> = [
      { ...SPINNING, LIBREDIS_SPREAD: '0' },
      { ...SPINNING, LIBREDIS_SPIN_US: '0' },
    ];
    for (const env of envs) {
      const out = await run('together', env);
      expect(out.moves).toBe(0);
      expect(out.returns).toBe(0);
      expect(out.maskAfter).toBe(out.maskBefore);
    }
  });

  it('stays put while the JS thread sleeps through its waits (BLPOPs timing out, past the 500 µs cap)', async () => {
    const out = await run('sleepy');
    expect(out.moves).toBe(0);
    expect(out.maskAfter).toBe(out.maskBefore);
  });

  it('does nothing when the process may use one core only', async () => {
    const out = await run('single', SPINNING);
    expect(out.moves).toBe(0);
    expect(out.maskAfter).toBe(String(out.jsCore));
    expect(out.pollCores).toEqual([out.jsCore]);
  });
});
