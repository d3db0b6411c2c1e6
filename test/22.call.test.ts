// connection.call / get / set: one command without a Batch, the reply decoded
// natively into a JS value, failures as typed rejections.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Connection,
  ConnectionError,
  Libredis,
  ProtocolError,
  ReplyError,
  ShardedClient,
  ShardedPipeline,
  ShardedTransaction,
  TimeoutError,
} from '../src/index';
import { native } from '../src/native';
import { closeFakeServers, countRequests, fakeServer } from './helpers/fake-server';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await closeFakeServers();
  await stopAll();
});

describe('connection.call', () => {
  it('decodes every reply type', async () => {
    const c = new Libredis().getConnection(redis.address);
    expect(await c.call('SET', 'call:s', 'héllo wörld')).toBe('OK');
    expect(await c.call('GET', 'call:s')).toBe('héllo wörld');
    expect(await c.call('GET', 'call:missing')).toBeNull();
    expect(await c.call('INCRBY', 'call:n', -42)).toBe(-42);
    expect(await c.call('PING')).toBe('PONG');
    await c.call('DEL', 'call:l');
    expect(await c.call('RPUSH', 'call:l', 'a', 'b', Buffer.from('c'))).toBe(3);
    expect(await c.call('LRANGE', 'call:l', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await c.call('LRANGE', 'call:nothing', 0, -1)).toEqual([]);
    expect(await c.call('EVAL', "return {1, {2, {3, 'x'}}, 'y', false}", 0)).toEqual([1, [2, [3, 'x']], 'y', null]);
  });

  it('an error reply rejects with ReplyError and sets lastError; nested errors are ReplyError values', async () => {
    const libredis = new Libredis();
    const c = libredis.getConnection(redis.address);
    await c.call('SET', 'call:str', 'x');
    const err = await c.call('LPUSH', 'call:str', 'y').catch((e) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect(err.message).toMatch(/^WRONGTYPE/);
    expect(err.address).toBe(redis.address);
    expect(libredis.lastError()).toMatch(/^WRONGTYPE/);
    // MULTI/EXEC returns a per-command error inside the array.
    const [multi, queued1, queued2, exec] = await Promise.all([
      c.call('MULTI'),
      c.call('INCR', 'call:str'),
      c.call('GET', 'call:str'),
      c.call('EXEC'),
    ]);
    expect([multi, queued1, queued2]).toEqual(['OK', 'QUEUED', 'QUEUED']);
    const [incr, get] = exec as unknown[];
    expect(incr).toBeInstanceOf(ReplyError);
    expect((incr as ReplyError).message).toMatch(/not an integer/);
    expect((incr as ReplyError).address).toBe(redis.address);
    expect(get).toBe('x');
    // At any depth, as values() gives them, and from callBuffer too.
    const script = "return {1, {redis.error_reply('deep'), 'z'}, redis.error_reply('top')}";
    const replies = [await c.call('EVAL', script, 0), await c.callBuffer('EVAL', script, 0)];
    for (const [reply, z] of [
      [replies[0], 'z'],
      [replies[1], Buffer.from('z')],
    ]) {
      const [one, [deep, inner], top] = reply as [number, [ReplyError, unknown], ReplyError];
      expect(one).toBe(1);
      expect(inner).toEqual(z);
      for (const [e, text] of [
        [deep, /deep$/],
        [top, /top$/],
      ] as const) {
        expect(e).toBeInstanceOf(ReplyError);
        expect(e.message).toMatch(text);
        expect(e.address).toBe(redis.address);
      }
    }
    const batch = libredis.createBatch().cmd('EVAL', script, 0);
    await c.execute(batch);
    expect(await c.call('EVAL', script, 0)).toEqual(batch.values()[0]);
  });

  it('calls issued in one tick reach the server in one write, replies in order', async () => {
    const f = await fakeServer((_chunk, socket, state) => {
      // Answer only once all 100 requests are in: proves they were not sent one by one after each reply.
      if (countRequests(state.received) === 100) for (let i = 0; i < 100; i++) socket.write(`:${i}\r\n`);
    });
    const c = new Libredis().getConnection(f.address);
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => c.call('ECHO', String(i))));
    expect(replies).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('failures reject with typed errors carrying the address', async () => {
    const libredis = new Libredis();
    const port = await freePort();
    const refused = libredis.getConnection(`127.0.0.1:${port}`);
    const e1 = await refused.call('PING').catch((e) => e);
    expect(e1).toBeInstanceOf(ConnectionError);
    expect(e1.address).toBe(`127.0.0.1:${port}`);
    expect(libredis.lastError()).toContain('Connection refused');

    const stalled = await fakeServer();
    const e2 = await libredis
      .getConnection(stalled.address)
      .get('k', 150)
      .catch((e) => e);
    expect(e2).toBeInstanceOf(TimeoutError);
    expect(e2.message).toBe(`timeout after 150 ms waiting for ${stalled.address} (0 of 1 replies received)`);

    const garbage = await fakeServer((_chunk, socket) => socket.write('!nonsense\r\n'));
    const e3 = await libredis
      .getConnection(garbage.address)
      .call('PING')
      .catch((e) => e);
    expect(e3).toBeInstanceOf(ProtocolError);
    expect(await libredis.getConnection(redis.address).call('PING')).toBe('PONG');
  });

  it('reused native memory carries nothing from one command to the next (values, nils, errors, timeouts, large values)', async () => {
    // Settled single commands are kept for reuse by later ones (any
    // connection); each kind below follows every other kind many times.
    const libredis = new Libredis();
    const c = libredis.getConnection(redis.address);
    const big = 'B'.repeat(5000); // more than a kept command holds: freed, not kept
    await c.call('DEL', 'reuse:n', 'reuse:l');
    await c.call('MSET', 'reuse:s', 'small', 'reuse:big', big, 'reuse:str', 'x');
    await c.call('RPUSH', 'reuse:l', 'a', 'b');
    const stalled = await fakeServer();
    const slow = libredis.getConnection(stalled.address);
    let counter = 0;
    const kinds: Array<() => Promise<void>> = [
      async () => expect(await c.get('reuse:s')).toBe('small'),
      async () => expect(await c.get('reuse:missing')).toBeNull(),
      async () => expect(await c.call('LPUSH', 'reuse:str', 'y').catch((e) => e)).toBeInstanceOf(ReplyError),
      async () => expect(await c.get('reuse:big')).toBe(big),
      async () => expect(await c.call('INCR', 'reuse:n')).toBe(++counter),
      async () => expect(await c.call('LRANGE', 'reuse:l', 0, -1)).toEqual(['a', 'b']),
      async () => expect((await c.getBuffer('reuse:s'))?.toString()).toBe('small'),
    ];
    for (let round = 0; round < 40; round++) {
      const work: Promise<void>[] = [];
      for (let i = 0; i < kinds.length * 3; i++) work.push(kinds[(round + i * 5) % kinds.length]());
      if (round % 10 === 0)
        work.push(
          slow.get('k', 20).then(
            () => Promise.reject(new Error('no timeout')),
            (e) => expect(e).toBeInstanceOf(TimeoutError),
          ),
        );
      await Promise.all(work);
    }
    expect(counter).toBe(40 * 3);
  });

  it('Connection, ShardedPipeline and ShardedTransaction come from their factories, not new', () => {
    // The published types declare the constructors private, so TypeScript
    // refuses `new`; plain JS gets a TypeError saying what to use.
    for (const file of ['connection', 'sharded-client', 'sharded-transaction']) {
      expect(readFileSync(join(__dirname, '..', 'dist', `${file}.d.ts`), 'utf8')).toMatch(/ private constructor\(\);/);
    }
    const construct = (cls: unknown) => () => new (cls as new () => unknown)();
    expect(construct(Connection)).toThrow(/libredis\.getConnection\(address\)/);
    expect(construct(ShardedPipeline)).toThrow(/client\.pipeline\(\)/);
    expect(construct(ShardedTransaction)).toThrow(/client\.multi\(key\)/);
    const client = new ShardedClient({ servers: [redis.address] });
    try {
      expect(client.pipeline()).toBeInstanceOf(ShardedPipeline);
      expect(client.multi('k')).toBeInstanceOf(ShardedTransaction);
      expect(new Libredis().getConnection(redis.address)).toBeInstanceOf(Connection);
    } finally {
      client.close();
    }
  });

  it('bad arguments reject with a TypeError and send nothing', async () => {
    const f = await fakeServer((chunk, socket) => {
      for (let i = countRequests(chunk.toString('latin1')); i > 0; i--) socket.write('+OK\r\n');
    });
    const c = new Libredis().getConnection(f.address);
    await expect(c.call('SET', 'k', undefined as never)).rejects.toThrow(TypeError);
    await expect(c.call('SET', 'k', {} as never)).rejects.toThrow(/argument 3/);
    await expect(c.get('k', 0)).rejects.toThrow(TypeError);
    await expect(c.set('k', null as never)).rejects.toThrow(TypeError);
    expect(await c.call('PING')).toBe('OK');
    expect(countRequests(f.received())).toBe(1);
  });

  it('a refused single command leaves nothing behind for the next one', async () => {
    const lib = new Libredis();
    const conn = lib.getConnection(redis.address);
    expect(await conn.call('PING')).toBe('PONG'); // starts the loop, leaves a spare
    const spares = native.stats().spareCalls;
    // Refused halfway through encoding: the head and first arguments are
    // already in the command buffer when the bad one is found.
    for (let i = 0; i < 20; i++) {
      expect(() => native.call(1000, conn._id, 'SET', 'call:half', {} as never)).toThrow(/argument 3 must be/);
      expect(() => native.get(1000, 0, 'k')).toThrow(/expected a Connection/);
    }
    // The refused commands' memory went back to the pool rather than being freed.
    expect(native.stats().spareCalls).toBe(spares);
    // Reused memory carries no partial command: each reply matches its own request.
    const echoes = await Promise.all(Array.from({ length: 20 }, (_, i) => conn.call('ECHO', `e${i}`)));
    expect(echoes).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(await conn.call('EXISTS', 'call:half')).toBe(0);
    lib.close();
  });

  it('set resolves false on failure, with the reason in lastError', async () => {
    const libredis = new Libredis();
    const port = await freePort();
    expect(await libredis.getConnection(`127.0.0.1:${port}`).set('k', 'v', 500)).toBe(false);
    expect(libredis.lastError()).toContain('Connection refused');
    expect(libredis.lastError()).toBe('');
  });
});
