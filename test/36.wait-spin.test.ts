// The JS thread's spin while replies are owed (native/wait_spin.h): the
// event loop keeps turning, rather than sleep, while a reply is likely soon,
// so the wakeup that brings it costs nothing. First its policy on a scripted
// clock; then, in child processes against a real redis-server, what an
// application sees: event-loop utilization counts a loop asleep in epoll as
// idle and a turning one as busy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native';
import { runJsonFixture } from './helpers/child-process';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

// Script ops: (op, atMicros, arg).
const BEGIN = 0; // arg executions handed over, as flush 1, 2, ... (one per BEGIN)
const WANTED = 1;
const SETTLED = 2; // an execution of flush arg settled; gives the estimate in µs

/** Runs a script against a fresh policy with a 500 µs cap. */
const probe = (script: number[][], cap = 500) => native.waitSpinProbe(cap, script.flat());

/** `n` waits of `took` µs each, one execution apiece, from flush `first` on; `end` is when the last settled. */
function waits(t0: number, first: number, n: number, took: number): { script: number[][]; end: number } {
  const script: number[][] = [];
  let t = t0;
  for (let i = 0; i < n; i++) {
    script.push([BEGIN, (t += 10), 1], [SETTLED, (t += took), first + i]);
  }
  return { script, end: t };
}

describe('the spin policy (scripted clock, cap 500 µs)', () => {
  it('spins from the hand-over until the wait outruns the cap, and not once it has settled', () => {
    expect(
      probe([
        [BEGIN, 0, 1],
        [WANTED, 1, 0],
        [WANTED, 499, 0],
        [WANTED, 500, 0],
        [WANTED, 10_000, 0],
      ]),
    ).toEqual([1, 1, 1, 0, 0]);
    expect(
      probe([
        [BEGIN, 0, 1],
        [WANTED, 50, 0],
        [SETTLED, 80, 1],
        [WANTED, 90, 0],
      ]),
    ).toEqual([1, 1, 20, 0]);
    expect(
      probe([
        [BEGIN, 0, 0],
        [WANTED, 1, 0],
      ]),
    ).toEqual([0, 0]); // a flush of closes only
  });

  it('a wait lasts until everything handed over since it began has settled; more work meanwhile does not restart the cap', () => {
    const out = probe([
      [BEGIN, 0, 2], // two executions in flush 1
      [BEGIN, 400, 1], // flush 2 joins the open wait
      [SETTLED, 420, 1],
      [WANTED, 430, 0],
      [SETTLED, 440, 2],
      [WANTED, 450, 0],
      [SETTLED, 460, 1],
      [WANTED, 470, 0],
    ]);
    expect(out).toEqual([1, 1, 0, 1, 0, 1, 460 / 4, 0]);
    expect(
      probe([
        [BEGIN, 0, 1],
        [BEGIN, 400, 1],
        [WANTED, 499, 0],
        [WANTED, 500, 0],
      ]),
    ).toEqual([1, 1, 1, 0]);
  });

  it('work handed over before the wait began (a BLPOP left waiting) does not hold it open', () => {
    const out = probe([
      [BEGIN, 0, 1], // flush 1: the BLPOP
      [WANTED, 600, 0], // it outran the cap
      [BEGIN, 1000, 1], // flush 2: a GET; the BLPOP's wait is given up (a long one)
      [SETTLED, 1060, 2],
      [WANTED, 1070, 0],
      [BEGIN, 2000, 1], // flush 3: another GET, with the BLPOP still owed
      [WANTED, 2010, 0],
      [SETTLED, 2050, 3],
      [SETTLED, 9000, 1], // the BLPOP, long after: belongs to no open wait
    ]);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(1); // the given-up wait counted as 1000 µs: estimate 250
    expect(out[3]).toBe(202); // 250 + (60 - 250) / 4, in whole µs
    expect(out[4]).toBe(0);
    expect(out[5]).toBe(1); // the GET spins although the BLPOP is still owed
    expect(out[6]).toBe(1);
    expect(out[8]).toBe(out[7]); // the BLPOP's reply taught nothing
  });

  it('stops spinning where waits are long (a distant server, large batches), and starts again once they are short', () => {
    const long = waits(0, 1, 3, 2000); // waits of 2 ms
    const short = waits(long.end, 4, 8, 100); // then of 100 µs
    const out = probe([...long.script, ...short.script]);
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

  it('while waits are long, one wait in 16 is still spun, so the estimate can learn spun waits are short', () => {
    // Unspun waits of 600 µs keep the estimate over the cap; only the probes spin.
    const { script } = waits(0, 1, 40, 600);
    const begins = probe(script).filter((_, i) => i % 2 === 0);
    const firstUnspun = begins.indexOf(0);
    expect(firstUnspun).toBeGreaterThan(0); // the first waits spin while the estimate learns
    const probes = begins.map((b, i) => (b === 1 && i > firstUnspun ? i : -1)).filter((i) => i >= 0);
    expect(probes).toEqual([firstUnspun + 15, firstUnspun + 31]);
  });

  it('one very long wait (a BLPOP that settles) counts as four caps, so it turns the spin off only briefly', () => {
    const quick = waits(0, 1, 20, 100);
    const script = [...quick.script];
    let t = quick.end;
    script.push([BEGIN, (t += 10), 1], [SETTLED, (t += 10_000_000), 21]); // 10 s
    script.push([BEGIN, (t += 10), 1], [SETTLED, (t += 100), 22]); // not spun: the estimate is over the cap
    script.push([BEGIN, (t += 10), 1]);
    const out = probe(script);
    const n = out.length;
    expect(out[n - 4]).toBeLessThanOrEqual(100 + (2000 - 100) / 4 + 1); // bounded at 4 x 500 µs
    expect(out[n - 3]).toBe(0);
    expect(out[n - 1]).toBe(1);
  });

  it('never spins with a cap of 0', () => {
    expect(
      probe(
        [
          [BEGIN, 0, 1],
          [WANTED, 0, 0],
          [SETTLED, 10, 1],
          [BEGIN, 20, 1],
        ],
        0,
      ),
    ).toEqual([0, 0, 0, 0]);
  });

  it('refuses a malformed script with a TypeError or RangeError', () => {
    expect(() => native.waitSpinProbe(500, [BEGIN, 'x' as unknown as number, 1])).toThrow(TypeError);
    expect(() => native.waitSpinProbe(500, [7, 0, 0])).toThrow(RangeError);
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

  async function utilization(mode: 'short' | 'long', env: Record<string, string>): Promise<number> {
    const out = await runJsonFixture<{ mode: string; utilization: number; value: unknown }>(
      'wait-spin.js',
      [redis.address, mode],
      env,
    );
    expect(out).toMatchObject({ mode, value: null });
    return out.utilization;
  }

  // Caps far above any round trip here, so a slow or busy machine still
  // counts the GETs' waits as short. A loop that sleeps through a 200 ms
  // BLPOP is idle nearly all of it, busy or not; one that spins 50 ms of it
  // is busy at least that long.
  it('the loop keeps turning through short waits (awaited GETs)', async () => {
    expect(await utilization('short', { LIBREDIS_JS_SPIN_US: '20000' })).toBeGreaterThan(0.6);
  });

  // The least of three runs: on a loaded machine one run's last spin turn
  // can yield the core for a whole time slice of another process, and the
  // loop counts as busy until it gets the core back (CI saw 0.073 once,
  // with the other test files running). A loop that spun through the wait
  // would be busy in every run.
  async function sleptUtilization(env: Record<string, string>): Promise<number> {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await utilization('long', env));
    return Math.min(...runs);
  }

  it('it spins into a long wait up to the cap, then sleeps', async () => {
    const spun = await utilization('long', { LIBREDIS_JS_SPIN_US: '50000' });
    expect(spun).toBeGreaterThan(0.15);
    expect(spun).toBeLessThan(0.6);
    expect(await sleptUtilization({})).toBeLessThan(0.05); // the default cap, 500 µs
  });

  it('LIBREDIS_JS_SPIN_US=0, or LIBREDIS_SPIN_US=0, turns it off', async () => {
    expect(await sleptUtilization({ LIBREDIS_JS_SPIN_US: '0' })).toBeLessThan(0.05);
    expect(await sleptUtilization({ LIBREDIS_SPIN_US: '0', LIBREDIS_JS_SPIN_US: '50000' })).toBeLessThan(0.05);
  });
});
