// Large batches reuse the memory of earlier ones (native/command_buffers.cc):
// the bytes sent must never carry anything over from the batch before, and
// the memory kept for reuse stays bounded.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Libredis } from '../src/index';
import { native, scheduleFlush } from '../src/native';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const MiB = 1024 * 1024;
const POOL_LIMIT = 16 * MiB; // kMaxPooledBytes

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(stopAll);

const pooled = () => native.stats().pooledCommandBytes;

describe('recycled command memory', () => {
  it('a sent large batch leaves its memory for the next one, which takes it', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const value = randomBytes(MiB);
    const first = libredis.createBatch();
    for (let i = 0; i < 3; i++) first.set(`cb_first_${i}`, value);
    expect(await conn.execute(first, 15_000)).toBe(true);
    const kept = pooled();
    expect(kept).toBeGreaterThanOrEqual(3 * MiB);

    const second = libredis.createBatch().set('cb_second', value);
    expect(pooled()).toBe(0); // the second batch is encoding into it
    expect(await conn.execute(second, 15_000)).toBe(true);
    expect(pooled()).toBe(kept);
  });

  it('shorter batches in reused memory send only their own bytes (every kind of append)', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    // Fill the pool with a buffer full of another batch's bytes.
    const big = libredis.createBatch();
    for (let i = 0; i < 4; i++) big.set(`cb_big_${i}`, Buffer.alloc(MiB, 0x41 + i));
    expect(await conn.execute(big, 15_000)).toBe(true);
    expect(pooled()).toBeGreaterThan(0);

    const rounds = [
      { size: 300 * 1024, via: 'set' },
      { size: 700 * 1024, via: 'cmd' },
      { size: 260 * 1024, via: 'write' },
      { size: 2 * MiB + 5, via: 'set' },
      { size: 400 * 1024, via: 'string' },
    ] as const;
    for (const [r, { size, via }] of rounds.entries()) {
      const value = randomBytes(size);
      const key = `cb_round_${r}`;
      const b = libredis.createBatch();
      if (via === 'set') b.set(key, value);
      else if (via === 'cmd') b.cmd('SET', key, value);
      else if (via === 'write')
        b.write(
          Buffer.concat([
            Buffer.from(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${size}\r\n`),
            value,
            Buffer.from('\r\n'),
          ]),
          1,
        );
      else b.set(key, value.toString('hex').slice(0, size));
      b.get(key);
      expect(await conn.execute(b, 15_000)).toBe(true);
      const [ok, back] = b.values({ buffers: true });
      expect(String(ok)).toBe('OK');
      const sent = via === 'string' ? Buffer.from(value.toString('hex').slice(0, size)) : value;
      expect((back as Buffer).equals(sent)).toBe(true);
    }
  });

  it('connection.set/call with large values reuse memory and round-trip exactly', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    for (let r = 0; r < 4; r++) {
      const value = randomBytes(MiB - r * 100_000);
      expect(await conn.set(`cb_call_${r}`, value, 15_000)).toBe(true);
      const back = await conn.getBuffer(`cb_call_${r}`, 15_000);
      expect(back?.equals(value)).toBe(true);
    }
    expect(pooled()).toBeGreaterThanOrEqual(256 * 1024);
  });

  it('keeps at most 16 MiB, however large or many the batches', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const value = Buffer.alloc(MiB, 0x5a);
    // One batch larger than the whole pool is freed, not kept.
    const huge = libredis.createBatch();
    for (let i = 0; i < 20; i++) huge.set(`cb_huge_${i}`, value);
    expect(await conn.execute(huge, 30_000)).toBe(true);
    expect(pooled()).toBeLessThanOrEqual(POOL_LIMIT);

    // Many large batches in flight at once: each grows its own memory, and
    // all come back together.
    const batches = Array.from({ length: 8 }, (_, k) => {
      const b = libredis.createBatch();
      for (let i = 0; i < 3; i++) b.set(`cb_many_${k}_${i}`, value);
      return b;
    });
    const results = await Promise.all(batches.map((b) => conn.execute(b, 30_000)));
    expect(results.every(Boolean)).toBe(true);
    expect(pooled()).toBeGreaterThan(0);
    expect(pooled()).toBeLessThanOrEqual(POOL_LIMIT);
    expect(await redis.command('STRLEN', 'cb_many_7_2')).toBe(`:${MiB}\r\n`);
  });

  it('small batches never take pooled memory', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const big = libredis.createBatch().set('cb_fill', Buffer.alloc(2 * MiB, 1));
    expect(await conn.execute(big, 15_000)).toBe(true);
    const kept = pooled();
    expect(kept).toBeGreaterThan(0);
    const small = libredis.createBatch();
    for (let i = 0; i < 1000; i++) small.set(`cb_small_${i}`, 'x'.repeat(100));
    expect(pooled()).toBe(kept);
    expect(await conn.execute(small, 15_000)).toBe(true);
    expect(pooled()).toBe(kept);
  });
});

// A Batch takes its native side when it first needs it and gives it back
// once an execution's result is collected (src/batch.ts), so the next batch
// reuses it instead of wrapping a new native object.
describe('reused native batches', () => {
  it('the next batch takes the native side of a collected one; the first keeps its replies', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const big = 'z'.repeat(40_000); // over the packed-result size: its reply crosses in parts
    const x = libredis.createBatch().set('nb:a', '1').set('nb:big', big).get('nb:a').get('nb:big');
    const nx = x._native;
    expect(await conn.execute(x)).toBe(true);
    const y = libredis.createBatch().set('nb:a', '2').get('nb:a');
    expect(y._native).toBe(nx);
    expect(await conn.execute(y)).toBe(true);
    expect(y.values()).toEqual(['OK', '2']);
    expect(x.values()).toEqual(['OK', 'OK', '1', big]);
    x.rewind();
    expect(x.nextReply()?.value).toBe('OK');
    // x executes again with a native side of its own.
    expect(await conn.execute(x.get('nb:a'))).toBe(true);
    expect(x.values()).toEqual(['2']);
  });

  it('a batch executed again before its last result is collected keeps its native side', async () => {
    // The public API collects a result in the same microtask turn that
    // settles it, so this drives the steps itself: execution 1 settles, the
    // batch is submitted again, and only then is execution 1 collected.
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await conn.execute(libredis.createBatch().set('nb:c', 'c1').set('nb:d', 'd1'))).toBe(true);
    const x = libredis.createBatch().get('nb:c');
    const submit = () => {
      x._flushQueued();
      const done = native.submit(5000, conn._id, x._native);
      x._submitted();
      scheduleFlush();
      return done;
    };
    expect(await submit()).toBe(true);
    x.get('nb:d');
    const second = submit();
    x._collect(conn.address);
    expect(x.values()).toEqual(['c1']);
    // Another batch must not be handed x's native side, busy with the second execution.
    const y = libredis.createBatch().get('nb:c');
    expect(y._native).not.toBe(x._native);
    expect(await conn.execute(y)).toBe(true);
    expect(y.values()).toEqual(['c1']);
    expect(await second).toBe(true);
    x._collect(conn.address);
    expect(x.values()).toEqual(['d1']);
  });

  it('commands with Buffers added during an execution stay with their batch', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await conn.execute(libredis.createBatch().set('nb:e', 'e1').cmd('DEL', 'nb:f'))).toBe(true);
    const x = libredis.createBatch().get('nb:e');
    const running = conn.execute(x);
    x.set(Buffer.from('nb:f'), Buffer.from('f1')); // encoded natively at once, while x is in flight
    expect(await running).toBe(true);
    expect(x.values()).toEqual(['e1']);
    // A new batch sends only its own command, not x's pending SET.
    const y = libredis.createBatch().get('nb:f');
    expect(await conn.execute(y)).toBe(true);
    expect(y.values()).toEqual([null]);
    expect(x.pendingCommands).toBe(1);
    expect(await conn.execute(x)).toBe(true);
    expect(x.values()).toEqual(['OK']);
    expect(await conn.get('nb:f')).toBe('f1');
  });
});
