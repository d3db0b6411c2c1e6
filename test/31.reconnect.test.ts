// Connection failures and recovery: refused connections, servers that stop or
// die between and during batches, client-side close, and the other address
// forms (unix sockets, host names).
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Libredis, ProtocolError, ReplyError, ReplyType } from '../src/index';
import { closeFakeServers, countRequests, fakeServer } from './helpers/fake-server';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { nodes, sleep } from './helpers/util';

let redis: RedisServer;
let unixRedis: RedisServer;

beforeAll(async () => {
  [redis, unixRedis] = await Promise.all([
    startRedis({ extraArgs: ['--enable-debug-command', 'yes'] }),
    startRedis({ unixSocket: true }),
  ]);
});
afterAll(async () => {
  await closeFakeServers();
  await stopAll();
});

describe('connection refused', () => {
  it('settles false long before the timeout, naming the address and the reason', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const libredis = new Libredis();
    const batch = libredis.createBatch().get('a').set('b', 'c');
    const t0 = performance.now();
    const ok = await libredis.getConnection(address).execute(batch, 5000);
    const ms = performance.now() - t0;
    expect(ok).toBe(false);
    expect(ms).toBeLessThan(2000);
    const reason = `connection to ${address} failed: Connection refused`;
    expect(batch.error).toBe(reason);
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    expect(batch.failure()?.address).toBe(address);
    expect(nodes(batch)).toEqual([
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
    ]);
    expect(libredis.lastError()).toBe(reason);
    expect(libredis.lastError()).toBe('');
  });

  it('connection.get rejects with a ConnectionError; connection.set resolves false', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const libredis = new Libredis();
    const conn = libredis.getConnection(address);
    const err = await conn.get('a').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).address).toBe(address);
    expect((err as ConnectionError).message).toBe(`connection to ${address} failed: Connection refused`);
    expect(await conn.set('a', 'b')).toBe(false);
    expect(libredis.lastError()).toBe(`connection to ${address} failed: Connection refused`);
  });

  it('a refused connection is retried on the next use, and works once a server listens there', async () => {
    const server = await startRedis();
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    await server.stop();
    const refused = libredis.createBatch().cmd('PING');
    expect(await conn.execute(refused, 3000)).toBe(false);
    expect(refused.error).toBe(`connection to ${server.address} failed: Connection refused`);
    await server.restart();
    const ping = libredis.createBatch().cmd('PING');
    expect(await conn.execute(ping, 3000)).toBe(true);
    expect(ping.values()).toEqual(['PONG']);
    await server.stop();
  });
});

describe('the server goes away', () => {
  it('stopped (SIGTERM) between two batches: the next one settles false at once, and after restart it works', async () => {
    const server = await startRedis();
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    expect(await conn.set('k', 'before')).toBe(true);
    expect(await conn.get('k')).toBe('before');

    await server.stop();
    const during = libredis.createBatch().get('k');
    const t0 = performance.now();
    expect(await conn.execute(during, 5000)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2500); // did not wait out the 5 s timeout
    expect(during.error).toMatch(
      new RegExp(
        `^connection to 127\\.0\\.0\\.1:${server.port} (failed: Connection refused|was closed by the server|failed while (sending|receiving): .*)`,
      ),
    );
    expect(during.failure()).toBeInstanceOf(ConnectionError);
    expect(during.values()).toEqual([expect.any(ReplyError)]);

    await server.restart();
    const after = libredis.createBatch().set('k', 'after').get('k');
    expect(await conn.execute(after, 3000)).toBe(true);
    expect(after.values()).toEqual(['OK', 'after']);
    expect(after.error).toBeNull();
    await server.stop();
  });

  it('killed (SIGKILL) in the middle of a 100k-command batch: one reply per command, real ones then ERRORs', async () => {
    const server = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    expect(await conn.set('warm', '1')).toBe(true);

    // 50k SETs, a 3 s sleep (so the kill lands mid-batch), then 50k more.
    const N = 100_000;
    const batch = libredis.createBatch();
    for (let i = 0; i < N / 2; i++) batch.set(`kill_${i}`, `v${i}`);
    batch.cmd('DEBUG', 'SLEEP', '3');
    for (let i = N / 2; i < N; i++) batch.set(`kill_${i}`, `v${i}`);
    const total = N + 1;
    expect(batch.pendingCommands).toBe(total);

    const running = conn.execute(batch, 10_000);
    await sleep(800);
    const t0 = performance.now();
    await server.kill();
    const ok = await running;
    expect(performance.now() - t0).toBeLessThan(3000); // settled on the kill, not on the sleep or timeout

    expect(ok).toBe(false);
    expect(batch.error).toMatch(
      new RegExp(
        `^connection to 127\\.0\\.0\\.1:${server.port} (was closed by the server|failed while receiving: Connection reset by peer)`,
      ),
    );
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    const values = batch.values();
    expect(values).toHaveLength(total);
    const firstError = values.findIndex((v) => v instanceof ReplyError);
    expect(firstError).toBeGreaterThan(0); // some SETs were answered before the kill
    expect(firstError).toBeLessThanOrEqual(N / 2); // ...but not the sleep or anything after it
    for (let i = 0; i < firstError; i++) if (values[i] !== 'OK') expect.fail(`reply ${i} is ${String(values[i])}`);
    for (let i = firstError; i < total; i++) {
      const v = values[i];
      if (!(v instanceof ReplyError) || v.message !== batch.error) expect.fail(`reply ${i} is ${String(v)}`);
    }

    await server.restart();
    const after = libredis.createBatch().set('k', 'v').get('k').cmd('DBSIZE');
    expect(await conn.execute(after, 3000)).toBe(true);
    expect(after.values()).toEqual(['OK', 'v', 1]); // no persistence: a fresh, empty server
    await server.stop();
  });

  it('the server closes an idle connection (CLIENT KILL): the next batch reconnects transparently', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const id = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id)).toBe(true);
    const clientId = String(id.values()[0]);
    expect(await redis.command('CLIENT', 'KILL', 'ID', clientId)).toBe(':1\r\n');
    await sleep(100); // the poll thread sees the close while idle
    const again = libredis.createBatch().cmd('CLIENT', 'ID').cmd('ECHO', 'x');
    expect(await conn.execute(again, 3000)).toBe(true);
    expect(again.values()[1]).toBe('x');
    expect(String(again.values()[0])).not.toBe(clientId);
  });

  it('the server closes the connection while a batch waits: false with "closed by the server"', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const id = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id)).toBe(true);
    const clientId = String(id.values()[0]);
    await redis.command('DEL', 'never_pushed');
    const waiting = libredis.createBatch().cmd('ECHO', 'first').cmd('BLPOP', 'never_pushed', '5').get('x');
    const running = conn.execute(waiting, 8000);
    await sleep(150);
    expect(await redis.command('CLIENT', 'KILL', 'ID', clientId)).toBe(':1\r\n');
    const t0 = performance.now();
    expect(await running).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(waiting.error).toBe(`connection to ${redis.address} was closed by the server`);
    const values = waiting.values();
    expect(values[0]).toBe('first');
    expect(values[1]).toBeInstanceOf(ReplyError);
    expect(values[2]).toBeInstanceOf(ReplyError);
    expect(values).toHaveLength(3);
    // ...and the connection is usable again.
    expect(await conn.set('x', 'back')).toBe(true);
    expect(await conn.get('x')).toBe('back');
  });
});

describe('a server that closes the socket in the middle of a reply', () => {
  it('settles false, keeps complete replies, error says closed', async () => {
    const server = await fakeServer((_chunk, socket, state) => {
      if (countRequests(state.received) >= 3) {
        socket.write('+OK\r\n$10\r\nabc', () => socket.destroy());
      }
    });
    const libredis = new Libredis();
    const batch = libredis.createBatch().set('a', 'b').get('x').get('y');
    const t0 = performance.now();
    expect(await libredis.getConnection(server.address).execute(batch, 5000)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
    const reason = `connection to ${server.address} was closed by the server in the middle of a reply`;
    expect(batch.error).toBe(reason);
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    expect(nodes(batch)).toEqual([
      { type: ReplyType.OK, value: 'OK', length: 2, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
    ]);
  });

  it('a server that closes after its replies, before all were sent, is "closed by the server"', async () => {
    const server = await fakeServer((_chunk, socket, state) => {
      if (countRequests(state.received) >= 2) socket.end(':1\r\n');
    });
    const libredis = new Libredis();
    const batch = libredis.createBatch().cmd('INCR', 'a').cmd('INCR', 'a');
    expect(await libredis.getConnection(server.address).execute(batch, 5000)).toBe(false);
    expect(batch.error).toBe(`connection to ${server.address} was closed by the server`);
    expect(batch.values()).toEqual([1, expect.any(ReplyError)]);
  });

  it('garbage from the server is a ProtocolError, and the next batch gets a new connection', async () => {
    let n = 0;
    const server = await fakeServer((_chunk, socket, state) => {
      if (countRequests(state.received) < 1) return;
      n++;
      socket.write(n === 1 ? 'HTTP/1.1 400 Bad Request\r\n\r\n' : '+PONG\r\n');
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    const bad = libredis.createBatch().cmd('PING');
    expect(await conn.execute(bad, 2000)).toBe(false);
    expect(bad.failure()).toBeInstanceOf(ProtocolError);
    expect(bad.error).toContain(server.address);
    expect(bad.error).toContain('protocol error');
    const good = libredis.createBatch().cmd('PING');
    expect(await conn.execute(good, 2000)).toBe(true);
    expect(good.values()).toEqual(['PONG']);
    expect(server.connections()).toBe(2);
  });
});

describe('connection.get on a misbehaving server', () => {
  it('rejects with a ProtocolError on garbage, with the address', async () => {
    const server = await fakeServer((_chunk, socket) => socket.write('?what\r\n'));
    const libredis = new Libredis();
    const err = await libredis
      .getConnection(server.address)
      .get('k', 2000)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).address).toBe(server.address);
    expect((err as ProtocolError).message).toContain(server.address);
    expect(libredis.lastError()).toBe((err as ProtocolError).message);
  });

  it('rejects with a ConnectionError when the server hangs up mid-reply', async () => {
    const server = await fakeServer((_chunk, socket) => socket.write('$100\r\npartial', () => socket.destroy()));
    const libredis = new Libredis();
    const err = await libredis
      .getConnection(server.address)
      .get('k', 2000)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toBe(
      `connection to ${server.address} was closed by the server in the middle of a reply`,
    );
  });
});

describe('closing from the client', () => {
  it('connection.close() then reuse opens a new connection', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const id1 = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id1)).toBe(true);
    conn.close();
    const id2 = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id2)).toBe(true);
    expect(typeof id1.values()[0]).toBe('number');
    expect(id2.values()[0]).not.toEqual(id1.values()[0]);
    expect(id2.error).toBeNull();
  });

  it('close() while a batch is pending fails it at once with "closed by the client"', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const batch = libredis.createBatch().get('a').get('b');
    const running = conn.execute(batch, 5000);
    // Let it reach the server first.
    for (let i = 0; i < 200 && countRequests(stalled.received()) < 2; i++) await sleep(5);
    const t0 = performance.now();
    conn.close();
    expect(await running).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(batch.error).toBe(`connection to ${stalled.address} was closed by the client`);
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    expect(batch.values()).toEqual([expect.any(ReplyError), expect.any(ReplyError)]);
  });

  it('close() in the same tick as an execute settles that execute at once; one after it is not affected', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const before = libredis.createBatch().get('a');
    const t0 = performance.now();
    const running = conn.execute(before, 3000);
    conn.close();
    expect(await running).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(before.error).toBe(`connection to ${stalled.address} was closed by the client`);

    const real = libredis.getConnection(redis.address);
    real.close();
    const after = libredis.createBatch().cmd('PING');
    expect(await real.execute(after, 2000)).toBe(true);
    expect(after.values()).toEqual(['PONG']);
  });

  it('close() in the same tick as an execute: that execute is never sent, even to a live server', async () => {
    // The close and the executes before it are handed over together, so the
    // poll thread cannot send (and finish) one before it sees the close.
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const key = `close-race:${process.pid}`;
    expect(await conn.call('DEL', key)).toBeTypeOf('number');
    for (let round = 0; round < 100; round++) {
      // Every other round after an idle spell, when the poll thread sleeps.
      if (round % 2 === 0) await sleep(4);
      const batch = libredis.createBatch().cmd('INCR', key);
      const running = conn.execute(batch, 2000);
      conn.close();
      expect(await running).toBe(false);
      expect(batch.error).toBe(`connection to ${redis.address} was closed by the client`);
    }
    expect(await conn.call('GET', key)).toBeNull();
  });

  it('closes of several connections in one tick each settle the executes before them, none sent', async () => {
    // libredis.close() (and a.close(); b.close()) close a connection after
    // another: the later ones must still catch the executes issued before.
    const libredis = new Libredis();
    const conns = [libredis.getConnection(redis.address), libredis.getConnection(unixRedis.address)];
    const key = `close-many:${process.pid}`;
    for (const c of conns) await c.call('DEL', key);
    for (let round = 0; round < 60; round++) {
      await Promise.all(conns.map((c) => c.call('PING'))); // both open and idle
      if (round % 3 === 0) await sleep(4);
      const batches = conns.map(() => libredis.createBatch().cmd('INCR', key));
      const running = conns.map((c, i) => c.execute(batches[i], 2000));
      if (round % 2 === 0) libredis.close();
      else for (const c of conns) c.close();
      expect(await Promise.all(running)).toEqual([false, false]);
    }
    for (const c of conns) expect(await c.call('GET', key)).toBeNull();
  });

  it('Libredis.close() closes every connection; both reconnect on next use', async () => {
    const other = await startRedis();
    const libredis = new Libredis();
    const c1 = libredis.getConnection(redis.address);
    const c2 = libredis.getConnection(other.address);
    const ids = async () => {
      const b1 = libredis.createBatch().cmd('CLIENT', 'ID');
      const b2 = libredis.createBatch().cmd('CLIENT', 'ID');
      const ok = await libredis.createExecutor().add(c1, b1).add(c2, b2).execute(3000);
      expect(ok).toBe(true);
      return [b1.values()[0], b2.values()[0]];
    };
    const before = await ids();
    expect(await ids()).toEqual(before); // reused while open
    libredis.close();
    const after = await ids();
    expect(after[0]).not.toEqual(before[0]);
    expect(after[1]).not.toEqual(before[1]);
    await other.stop();
  });

  it('close() on a connection never used does nothing harmful', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    conn.close();
    conn.close();
    expect(await conn.set('never_used', 'ok')).toBe(true);
    expect(await conn.get('never_used')).toBe('ok');
  });
});

describe('address forms', () => {
  it('a unix socket path works for set/get and batches', async () => {
    expect(unixRedis.socketPath).toBeDefined();
    const libredis = new Libredis();
    const conn = libredis.getConnection(unixRedis.socketPath!);
    expect(conn.address).toBe(unixRedis.socketPath);
    expect(await conn.set('unix_key', 'over unix')).toBe(true);
    expect(await conn.get('unix_key')).toBe('over unix');
    // The same server over TCP sees it, so it really went to that server.
    expect(await unixRedis.command('GET', 'unix_key')).toBe('$9\r\nover unix\r\n');
    const batch = libredis.createBatch().cmd('INCR', 'unix_n').cmd('INCR', 'unix_n');
    expect(await conn.execute(batch)).toBe(true);
    expect(batch.values()).toEqual([1, 2]);
  });

  it('the unix: prefix works too', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(`unix:${unixRedis.socketPath!}`);
    expect(await conn.get('unix_key')).toBe('over unix');
  });

  it('a unix socket path with nothing there fails with a clear error', async () => {
    const libredis = new Libredis();
    const path = `${unixRedis.socketPath!}.missing`;
    const batch = libredis.createBatch().cmd('PING');
    expect(await libredis.getConnection(path).execute(batch, 2000)).toBe(false);
    expect(batch.error).toBe(`connection to ${path} failed: No such file or directory`);
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
  });

  it('localhost:PORT resolves through DNS and works', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(`localhost:${redis.port}`);
    expect(await conn.set('via_localhost', 'resolved')).toBe(true);
    expect(await conn.get('via_localhost')).toBe('resolved');
    expect(await redis.command('GET', 'via_localhost')).toBe('$8\r\nresolved\r\n');
  });

  it('localhost on a port nothing listens on fails with a connection error', async () => {
    const port = await freePort();
    const libredis = new Libredis();
    const batch = libredis.createBatch().cmd('PING');
    const t0 = performance.now();
    expect(await libredis.getConnection(`localhost:${port}`).execute(batch, 5000)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(batch.error).toBe(`connection to localhost:${port} failed: Connection refused`);
  });
});

describe('a server that sends more replies than commands', () => {
  it('a surplus reply with nothing sent closes the connection; the next batch never sees it', async () => {
    // Answers every request twice, as a miscounted SUBSCRIBE would.
    const doubler = await fakeServer((chunk, socket) => {
      const n = countRequests(chunk.toString('latin1'));
      for (let i = 0; i < n; i++) socket.write('+ONE\r\n+TWO\r\n');
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(doubler.address);
    const first = libredis.createBatch().cmd('PING');
    expect(await conn.execute(first, 2000)).toBe(true);
    expect(first.values()).toEqual(['ONE']);
    // The surplus '+TWO' had no command waiting: the connection was dropped,
    // so the next batch goes out on a new one and gets its own first reply.
    for (let i = 0; i < 100; i++) await sleep(2);
    const second = libredis.createBatch().cmd('PING');
    expect(await conn.execute(second, 2000)).toBe(true);
    expect(second.values()).toEqual(['ONE']);
    expect(doubler.connections()).toBe(2);
  });
});

describe('a server that accepts and closes at once', () => {
  it('settles false with a closed or reset error, never hangs', async () => {
    const srv = net.createServer((s) => s.destroy());
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)),
    );
    try {
      const libredis = new Libredis();
      const conn = libredis.getConnection(`127.0.0.1:${port}`);
      for (let i = 0; i < 3; i++) {
        const batch = libredis.createBatch().cmd('PING');
        expect(await conn.execute(batch, 3000)).toBe(false);
        expect(batch.error).toMatch(
          new RegExp(
            `^connection to 127\\.0\\.0\\.1:${port} (was closed by the server|failed while (sending|receiving): Connection reset by peer)`,
          ),
        );
        expect(batch.values()).toEqual([expect.any(ReplyError)]);
      }
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
