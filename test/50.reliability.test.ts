// Reliability under faults and load: every command gets exactly one reply or
// one error, every execute settles by its deadline, nothing leaks, and the
// connection works again afterwards.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Libredis, ProtocolError } from '../src/index';
import { native } from '../src/native';
import { closeFakeServers, countRequests, fakeServer } from './helpers/fake-server';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { sleep } from './helpers/util';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await closeFakeServers();
  await stopAll();
});

const gc = (globalThis as { gc?: () => void }).gc;

/** A fake server whose first connection gets `bad`, and later ones a proper reply per request. */
async function badThenGood(bad: string) {
  let connections = 0;
  return fakeServer((chunk, socket, state) => {
    if (state.received.length === chunk.length) connections++;
    const n = countRequests(chunk.toString('latin1'));
    if (connections === 1) socket.write(bad);
    else for (let i = 0; i < n; i++) socket.write('$2\r\nok\r\n');
  });
}

describe('malformed and hostile replies over a real socket', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a bulk length of 2^40', '$1099511627776\r\n', /bulk length 1099511627776 exceeds the limit of 536870912 bytes/],
    ['a negative bulk length', '$-5\r\n', /negative bulk length -5/],
    ['a negative multibulk length', '*-3\r\n', /negative multibulk length -3/],
    ['multibulk nested 10,000 deep', '*1\r\n'.repeat(10_000), /nested deeper than 512 levels/],
    ['garbage bytes', '\x00\x01\x02garbage', /unexpected byte '\\x00'/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`${what}: a ProtocolError for that batch, and the next batch works`, async () => {
      const f = await badThenGood(bytes);
      const libredis = new Libredis();
      const conn = libredis.getConnection(f.address);
      const batch = libredis.createBatch().get('a').get('b');
      expect(await conn.execute(batch, 2000)).toBe(false);
      expect(batch.failure()).toBeInstanceOf(ProtocolError);
      expect(batch.error).toMatch(message);
      expect(batch.error).toContain(f.address);
      expect(batch.values()).toHaveLength(2);
      const next = libredis.createBatch().get('a');
      expect(await conn.execute(next, 2000)).toBe(true);
      expect(next.values()).toEqual(['ok']);
    });
  }

  it('a reply dripped one byte at a time is parsed whole', async () => {
    const reply = '*3\r\n$11\r\nhello world\r\n:-42\r\n*2\r\n+OK\r\n$-1\r\n';
    const f = await fakeServer(async (_chunk, socket) => {
      for (const ch of reply) {
        socket.write(ch);
        await sleep(1);
      }
    });
    const libredis = new Libredis();
    const batch = libredis.createBatch().cmd('ANY');
    expect(await libredis.getConnection(f.address).execute(batch, 5000)).toBe(true);
    expect(batch.values()).toEqual([['hello world', -42, ['OK', null]]]);
  });

  it('maxBulkBytes caps a single bulk reply; the connection recovers', async () => {
    await redis.command('SET', 'big2k', 'x'.repeat(2000));
    await redis.command('SET', 'small', 'y');
    const libredis = new Libredis({ maxBulkBytes: 1000 });
    const conn = libredis.getConnection(redis.address);
    const batch = libredis.createBatch().get('big2k');
    expect(await conn.execute(batch, 2000)).toBe(false);
    expect(batch.error).toMatch(/bulk length 2000 exceeds the limit of 1000 bytes/);
    expect(await conn.get('small')).toBe('y');
    expect(() => new Libredis({ maxBulkBytes: -1 })).toThrow(TypeError);
    expect(() => new Libredis({ maxBulkBytes: 2 ** 33 })).toThrow(TypeError);
  });
});

describe('name resolution', () => {
  it('a host that does not resolve settles false naming the host; other work is unaffected', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection('no-such-host.invalid:6379');
    const batch = libredis.createBatch().get('k');
    const t0 = Date.now();
    expect(await conn.execute(batch, 3000)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(4500);
    expect(batch.error).toContain('no-such-host.invalid');
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    expect(await libredis.getConnection(redis.address).call('PING')).toBe('PONG');
  });
});

describe('restarts under load', () => {
  it('every execute settles while the server restarts, and work resumes after', async () => {
    const server = await startRedis();
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    let settled = 0;
    let issued = 0;
    const running: Promise<unknown>[] = [];
    const load = (async () => {
      for (let round = 0; round < 40; round++) {
        const batch = libredis.createBatch();
        for (let i = 0; i < 100; i++) batch.cmd('INCR', 'restart:ctr');
        issued++;
        running.push(conn.execute(batch, 1000).then(() => settled++));
        await sleep(5);
      }
    })();
    await sleep(50);
    await server.stop();
    await sleep(30);
    await server.restart();
    await load;
    await Promise.all(running);
    expect(settled).toBe(issued);
    expect(await conn.call('PING')).toBe('PONG');
    await server.stop();
  });
});

describe('no leaks', () => {
  it('50k executes and calls, a tenth of them failing, leave no native objects behind', async () => {
    const before = native.stats();
    const rssBefore = process.memoryUsage().rss;
    const libredis = new Libredis();
    const good = libredis.getConnection(redis.address);
    const refused = libredis.getConnection(`127.0.0.1:${await freePort()}`);
    let failures = 0;
    for (let round = 0; round < 50; round++) {
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) {
        if (i % 10 === 0) {
          work.push(refused.call('PING').catch(() => failures++));
        } else if (i % 2 === 0) {
          work.push(good.execute(libredis.createBatch().cmd('INCR', 'leak:ctr').get('leak:ctr'), 2000));
        } else {
          work.push(good.call('GET', 'leak:ctr'));
        }
      }
      await Promise.all(work);
    }
    expect(failures).toBe(5000);
    const after = native.stats();
    expect(after.liveExecutions).toBe(before.liveExecutions);
    expect(after.liveJobs).toBe(before.liveJobs);
    // Settled single commands wait for reuse, not counted as live, and bounded.
    expect(after.spareCalls).toBeGreaterThan(0);
    expect(after.spareCalls).toBeLessThanOrEqual(512);
    expect(after.inflight).toBe(0);
    gc?.();
    // Bounded, not flat: V8's heap may grow a little; a leak of per-execute
    // native objects would be several hundred bytes x 50k. Under ASan freed
    // memory sits in its quarantine, so RSS says nothing there.
    if (!process.env.LD_PRELOAD?.includes('libasan')) {
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(80 * 1024 * 1024);
    }
  });

  it('batches, connections and Libredis dropped by JS while in flight: work settles, then all is released', async () => {
    // A server that answers 200 ms late, so the batches are in flight while
    // the child process forces garbage collection.
    const f = await fakeServer((chunk, socket) => {
      const n = countRequests(chunk.toString('latin1'));
      setTimeout(() => {
        for (let i = 0; i < n; i++) socket.write('+late\r\n');
      }, 200);
    });
    const fixture = path.join(__dirname, 'fixtures', 'gc-in-flight.js');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', fixture, f.address], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    const { results, survivors, orphanResults, ownerCollected, socketsLeft } = JSON.parse(stdout.trim());
    expect(results).toEqual(new Array(200).fill(true));
    expect(survivors).toBe(0);
    expect(orphanResults).toEqual(new Array(200).fill(true));
    expect(ownerCollected).toBe(true);
    expect(socketsLeft).toBe(0);
  });
});

describe('lifecycle', () => {
  it('destroy() settles everything pending on every connection at once, with a closed error', async () => {
    const [s1, s2] = await Promise.all([fakeServer(), fakeServer()]);
    const libredis = new Libredis();
    const c1 = libredis.getConnection(s1.address);
    const c2 = libredis.getConnection(s2.address);
    const batches = [libredis.createBatch().get('a').get('b'), libredis.createBatch().get('c')];
    const pending = [c1.execute(batches[0], 10_000), c2.execute(batches[1], 10_000)];
    const call = c2.call('PING').catch((e) => e);
    await sleep(50); // in flight, unanswered
    const t0 = Date.now();
    libredis.destroy();
    expect(await Promise.all(pending)).toEqual([false, false]);
    const err = await call;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe(`connection to ${s2.address} was closed by the client`);
    expect(batches[0].error).toBe(`connection to ${s1.address} was closed by the client`);
    expect(batches[0].values()).toHaveLength(2);
    expect(native.stats().inflight).toBe(0);
  });
});

describe('load', () => {
  it('1,000 connections at once, one per Libredis instance', async () => {
    const before = native.stats().openSockets;
    const instances = Array.from({ length: 1000 }, () => new Libredis());
    const replies = await Promise.all(instances.map((l, i) => l.getConnection(redis.address).call('ECHO', `c${i}`)));
    expect(replies).toEqual(instances.map((_, i) => `c${i}`));
    expect(native.stats().openSockets - before).toBe(1000);
    for (const l of instances) l.close();
    for (let i = 0; i < 100 && native.stats().openSockets > before; i++) await sleep(10);
    expect(native.stats().openSockets).toBe(before);
  });

  it('100,000 concurrent executes on one connection each get their own reply, in call order', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    await conn.call('DEL', 'load:ctr');
    const batches = Array.from({ length: 100_000 }, () => libredis.createBatch().cmd('INCR', 'load:ctr'));
    const ok = await Promise.all(batches.map((b) => conn.execute(b, 30_000)));
    expect(ok.every((x) => x)).toBe(true);
    for (let i = 0; i < batches.length; i++) {
      const [v] = batches[i].values();
      if (v !== i + 1) expect(v).toBe(i + 1);
    }
  });

  it('100,000 concurrent calls on one connection answer in order', async () => {
    const conn = new Libredis().getConnection(redis.address);
    await conn.call('DEL', 'load:ctr2');
    const replies = await Promise.all(Array.from({ length: 100_000 }, () => conn.call('INCR', 'load:ctr2')));
    expect(replies.length).toBe(100_000);
    for (let i = 0; i < replies.length; i++) if (replies[i] !== i + 1) expect(replies[i]).toBe(i + 1);
  });

  it('a batch of 1,000,000 commands gets 1,000,000 replies', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    await conn.set('million', 'm');
    const batch = libredis.createBatch();
    for (let i = 0; i < 1_000_000; i++) batch.get('million');
    expect(await conn.execute(batch, 60_000)).toBe(true);
    let n = 0;
    for (let r = batch.nextReply(); r !== null; r = batch.nextReply()) {
      if (r.value !== 'm') expect(r.value).toBe('m');
      n++;
    }
    expect(n).toBe(1_000_000);
  });
});

describe('an idle client', () => {
  it('stops spinning: after traffic, with a BLPOP still waiting, the process sleeps', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const batch = libredis.createBatch();
    for (let i = 0; i < 1000; i++) batch.get(`idle:${i}`);
    expect(await conn.execute(batch)).toBe(true);
    // A reply stays owed for 1.5 s: the poll thread may spin a little while
    // replies are owed, but must then sleep until one comes.
    const waiting = new Libredis().getConnection(redis.address).call('BLPOP', 'idle:never', '1.5');
    await sleep(100);
    const before = process.cpuUsage();
    const t0 = performance.now();
    await sleep(1000);
    const used = process.cpuUsage(before);
    const wallMs = performance.now() - t0;
    const cpuMs = (used.user + used.system) / 1000;
    expect(cpuMs).toBeLessThan(wallMs * 0.15); // a spinning thread would use about all of it
    expect(await waiting).toBeNull();
  });
});
