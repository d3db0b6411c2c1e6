// The JS thread's spin while replies are owed (native/wait_spin.h): the
// event loop keeps turning, rather than sleep, while a reply is likely soon,
// so the wakeup that brings it costs nothing. First its policy on a scripted
// clock; then, in child processes against a real redis-server, what an
// application sees: event-loop utilization counts a loop asleep in epoll as
// idle and a turning one as busy.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native';
import { runNode } from './helpers/child-process';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const BEGIN = 0; // work handed over, replies owed
const BEGIN_NONE = 1; // handed over with nothing owed (a close)
const WANTED = 2;
const END = 3; // nothing owed any more; gives the estimate in µs

describe('the spin policy (scripted clock, cap 500 µs)', () => {
  const probe = (script: number[][]) => native.waitSpinProbe(500, script.flat());

  it('spins from the hand-over until the wait outruns the cap, and not once nothing is owed', () => {
    expect(
      probe([
        [BEGIN, 0],
        [WANTED, 1],
        [WANTED, 499],
        [WANTED, 500],
        [WANTED, 10_000],
      ]),
    ).toEqual([1, 1, 1, 0, 0]);
    expect(
      probe([
        [BEGIN, 0],
        [WANTED, 50],
        [END, 80],
        [WANTED, 90],
      ]),
    ).toEqual([1, 1, 20, 0]);
    expect(
      probe([
        [BEGIN_NONE, 0],
        [WANTED, 1],
      ]),
    ).toEqual([0, 0]);
  });

  it('measures a wait from its first hand-over: more work sent meanwhile does not restart the cap', () => {
    expect(
      probe([
        [BEGIN, 0],
        [BEGIN, 400],
        [WANTED, 450],
        [WANTED, 520],
      ]),
    ).toEqual([1, 1, 1, 0]);
  });

  it('stops spinning where waits are long (a distant server, large batches), and starts again once they are short', () => {
    const script: number[][] = [];
    let t = 0;
    for (let i = 0; i < 3; i++) script.push([BEGIN, (t += 10)], [END, (t += 2000)]); // waits of 2 ms
    for (let i = 0; i < 8; i++) script.push([BEGIN, (t += 10)], [END, (t += 100)]); // then of 100 µs
    const out = probe(script);
    const begins = out.filter((_, i) => i % 2 === 0);
    const estimates = out.filter((_, i) => i % 2 === 1);
    // The moving estimate passes the cap after two long waits: the third is not spun.
    expect(begins.slice(0, 3)).toEqual([1, 1, 0]);
    expect(estimates[2]).toBeGreaterThan(500);
    // Short waits bring it back under the cap, and the spin with it.
    expect(begins[3]).toBe(0);
    expect(begins[begins.length - 1]).toBe(1);
    expect(estimates[estimates.length - 1]).toBeLessThan(500);
  });

  it('one very long wait (a BLPOP) counts as four caps, so it turns the spin off only briefly', () => {
    const script: number[][] = [];
    let t = 0;
    for (let i = 0; i < 20; i++) script.push([BEGIN, t], [END, (t += 100)]);
    script.push([BEGIN, t], [END, (t += 10_000_000)]); // 10 s
    script.push([BEGIN, (t += 10)], [END, (t += 100)]); // not spun: the estimate is over the cap
    script.push([BEGIN, (t += 10)]);
    const out = probe(script);
    const n = out.length;
    expect(out[n - 4]).toBeLessThanOrEqual(100 + (2000 - 100) / 4 + 1); // bounded at 4 x 500 µs
    expect(out[n - 3]).toBe(0);
    expect(out[n - 1]).toBe(1);
  });

  it('never spins with a cap of 0', () => {
    expect(native.waitSpinProbe(0, [BEGIN, 0, WANTED, 0, END, 10, BEGIN, 20])).toEqual([0, 0, 0, 0]);
  });

  it('refuses a malformed script with a TypeError or RangeError', () => {
    expect(() => native.waitSpinProbe(500, [BEGIN, 'x' as unknown as number])).toThrow(TypeError);
    expect(() => native.waitSpinProbe(500, [7, 0])).toThrow(RangeError);
  });
});

describe('what an application sees (real redis-server, child processes)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await stopAll();
  });

  const fixture = path.join(__dirname, 'fixtures', 'wait-spin.js');
  async function utilization(mode: 'short' | 'long', env: Record<string, string>): Promise<number> {
    const run = await runNode([fixture, redis.address, mode], {
      env: { ...process.env, LIBREDIS_SPIN_US: '', LIBREDIS_JS_SPIN_US: '', ...env },
      limitMs: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout.trim()) as { mode: string; utilization: number; value: unknown };
    expect(out).toMatchObject({ mode, value: null });
    return out.utilization;
  }

  // A cap far above any round trip here, so a slow or busy machine still
  // counts these waits as short.
  it('the loop keeps turning through short waits (awaited GETs)', async () => {
    expect(await utilization('short', { LIBREDIS_JS_SPIN_US: '20000' })).toBeGreaterThan(0.7);
  });

  it('LIBREDIS_JS_SPIN_US=0, or LIBREDIS_SPIN_US=0, lets it sleep through them', async () => {
    const spun = await utilization('short', { LIBREDIS_JS_SPIN_US: '20000' });
    const off: Array<Record<string, string>> = [
      { LIBREDIS_JS_SPIN_US: '0' },
      { LIBREDIS_SPIN_US: '0', LIBREDIS_JS_SPIN_US: '20000' },
    ];
    for (const env of off) {
      const slept = await utilization('short', env);
      expect(slept).toBeLessThan(0.6);
      expect(slept).toBeLessThan(spun - 0.2);
    }
  });

  it('a wait that outlasts the cap sleeps: a BLPOP held 0.3 s after spun GETs leaves the loop idle', async () => {
    expect(await utilization('long', {})).toBeLessThan(0.1); // default cap, 500 µs
    expect(await utilization('long', { LIBREDIS_JS_SPIN_US: '20000' })).toBeLessThan(0.25); // 20 ms of 300
  });
});
