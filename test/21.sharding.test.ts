// Sharding over the Ketama ring, as the PHP extension's test.php does it:
// writes land on the server the ring names, and a multi-server MGET through
// one Executor returns every value in key order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, type Connection, Executor, Libredis } from '../src/index';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { loopbackRing } from './helpers/util';

let servers: RedisServer[];
beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
});
afterAll(stopAll);

/** test_mget from libredis's test.php: split keys by server, one MGET each, one executor. */
async function shardedMget(libredis: Libredis, keys: string[], ports: number[], timeoutMs = 1000) {
  const ketama = loopbackRing(libredis, ports);
  const perServer = new Map<number, { connection: Connection; batch: Batch; keys: string[] }>();
  for (const key of keys) {
    const ordinal = ketama.getServerOrdinal(key);
    let entry = perServer.get(ordinal);
    if (!entry) {
      entry = {
        connection: libredis.getConnection(ketama.getServerAddress(ordinal)),
        batch: libredis.createBatch(),
        keys: [],
      };
      perServer.set(ordinal, entry);
    }
    entry.keys.push(key);
  }
  const executor = libredis.createExecutor();
  for (const e of perServer.values()) {
    e.batch.cmd('MGET', ...e.keys);
    executor.add(e.connection, e.batch);
  }
  const ok = await executor.execute(timeoutMs);
  const result = new Map<string, unknown>();
  for (const e of perServer.values()) {
    const [values] = e.batch.values();
    e.keys.forEach((key, i) => {
      result.set(key, Array.isArray(values) ? values[i] : values);
    });
  }
  return { ok, values: keys.map((k) => result.get(k)), perServer };
}

describe('Ketama sharding over real servers', () => {
  it('puts every key on exactly the server the ring names', async () => {
    const libredis = new Libredis();
    const ports = servers.map((s) => s.port);
    const ketama = loopbackRing(libredis, ports);
    const keys = Array.from({ length: 600 }, (_, i) => `place:${i}`);
    const executor = libredis.createExecutor();
    const batches = servers.map(() => libredis.createBatch());
    for (const key of keys) batches[ketama.getServerOrdinal(key)].set(key, key);
    batches.forEach((b, i) => {
      executor.add(libredis.getConnection(ketama.getServerAddress(i)), b);
    });
    expect(await executor.execute(2000)).toBe(true);

    const counts = servers.map(() => 0);
    for (const key of keys) {
      const home = ketama.getServerOrdinal(key);
      counts[home]++;
      for (let i = 0; i < servers.length; i++) {
        expect(await servers[i].command('EXISTS', key)).toBe(i === home ? ':1\r\n' : ':0\r\n');
      }
    }
    // Equal weights: every server carries a real share.
    for (const c of counts) expect(c).toBeGreaterThan(100);
  });

  it('sharded MGET returns the values in key order, nils included', async () => {
    const libredis = new Libredis();
    const ports = servers.map((s) => s.port);
    const ketama = loopbackRing(libredis, ports);
    const keys = Array.from({ length: 200 }, (_, i) => `mget:${i}`);
    for (const key of keys.filter((_, i) => i % 3 !== 0)) {
      await servers[ketama.getServerOrdinal(key)].command('SET', key, `v-${key}`);
    }
    const { ok, values, perServer } = await shardedMget(libredis, keys, ports);
    expect(ok).toBe(true);
    expect(perServer.size).toBe(3);
    expect(values).toEqual(keys.map((k, i) => (i % 3 === 0 ? null : `v-${k}`)));
  });

  it('a dead server fails only its own share', async () => {
    const libredis = new Libredis();
    const deadPort = await freePort();
    const ports = [servers[0].port, deadPort];
    const ketama = loopbackRing(libredis, ports);
    const keys = Array.from({ length: 50 }, (_, i) => `half:${i}`);
    for (const key of keys) if (ketama.getServerOrdinal(key) === 0) await servers[0].command('SET', key, key);
    const { ok, values, perServer } = await shardedMget(libredis, keys, ports);
    expect(ok).toBe(false);
    expect(perServer.get(1)!.batch.error).toContain(`127.0.0.1:${deadPort}`);
    expect(perServer.get(0)!.batch.error).toBeNull();
    keys.forEach((key, i) => {
      if (ketama.getServerOrdinal(key) === 0) expect(values[i]).toBe(key);
      else expect(values[i]).toBeInstanceOf(Error);
    });
    expect(libredis.lastError()).toContain('Connection refused');
  });

  it('an Executor made with new Executor() runs alike, and fails a dead server the same way', async () => {
    const libredis = new Libredis();
    const live = libredis.getConnection(servers[0].address);
    const dead = libredis.getConnection(`127.0.0.1:${await freePort()}`);
    await servers[0].command('SET', 'standalone', 'yes');
    const executor = new Executor();
    const good = libredis.createBatch().get('standalone');
    const bad = libredis.createBatch().get('standalone');
    executor.add(live, good).add(dead, bad);
    expect(await executor.execute(1000)).toBe(false);
    expect(good.values()).toEqual(['yes']);
    expect(bad.error).toContain('Connection refused');
    // It has no Libredis to tell: lastError stays as it was.
    expect(libredis.lastError()).toBe('');
    expect(await executor.add(live, libredis.createBatch().get('standalone')).execute(1000)).toBe(true);
  });
});
