// Timeouts: a batch that does not get all of its replies in time settles false
// with ERROR replies for what is missing, and the connection never hands a
// later batch the stale replies of a timed-out one.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Libredis, ReplyError, ReplyType, TimeoutError } from '../src/index';
import { closeFakeServers, countRequests, type FakeServer, fakeServer } from './helpers/fake-server';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { nodes, sleep } from './helpers/util';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ extraArgs: ['--enable-debug-command', 'yes'] });
});
afterAll(async () => {
  await closeFakeServers();
  await stopAll();
});

async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await p;
  return [v, performance.now() - t0];
}

/** Waits until the fake server has received `n` complete requests (bounded). */
async function _untilRequests(f: FakeServer, n: number, limitMs = 2000): Promise<void> {
  const until = Date.now() + limitMs;
  while (countRequests(f.received()) < n) {
    if (Date.now() > until) throw new Error(`fake server got ${countRequests(f.received())} of ${n} requests`);
    await sleep(5);
  }
}

describe('a server that accepts and never answers', () => {
  it('settles false after the timeout with the reason and one ERROR reply per command', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const batch = libredis.createBatch().get('a').set('b', 'c').cmd('PING');

    const [ok, ms] = await timed(conn.execute(batch, 200));

    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1500);
    const reason = `timeout after 200 ms waiting for ${stalled.address} (0 of 3 replies received)`;
    expect(batch.error).toBe(reason);
    // The commands did go out; only the replies are missing.
    expect(countRequests(stalled.received())).toBe(3);

    expect(nodes(batch)).toEqual([
      { type: ReplyType.ERROR, value: reason, length: Buffer.byteLength(reason), level: 1 },
      { type: ReplyType.ERROR, value: reason, length: Buffer.byteLength(reason), level: 1 },
      { type: ReplyType.ERROR, value: reason, length: Buffer.byteLength(reason), level: 1 },
    ]);
    const values = batch.values();
    expect(values).toHaveLength(3);
    for (const v of values) {
      expect(v).toBeInstanceOf(ReplyError);
      expect((v as ReplyError).message).toBe(reason);
      expect((v as ReplyError).address).toBe(stalled.address);
    }
    const failure = batch.failure();
    expect(failure).toBeInstanceOf(TimeoutError);
    expect(failure?.message).toBe(reason);
    expect(failure?.address).toBe(stalled.address);

    expect(libredis.lastError()).toBe(reason);
    expect(libredis.lastError()).toBe('');
  });

  it('Batch.execute behaves the same as Connection.execute', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const batch = libredis.createBatch().get('x');
    const [ok, ms] = await timed(batch.execute(libredis.getConnection(stalled.address), 150));
    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(1500);
    expect(batch.error).toBe(`timeout after 150 ms waiting for ${stalled.address} (0 of 1 replies received)`);
    expect(batch.values()).toEqual([expect.any(ReplyError)]);
  });

  it('connection.get rejects with a TimeoutError carrying the address', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const t0 = performance.now();
    const err = await conn.get('k', 200).then(
      () => null,
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).address).toBe(stalled.address);
    expect((err as TimeoutError).message).toBe(
      `timeout after 200 ms waiting for ${stalled.address} (0 of 1 replies received)`,
    );
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1500);
  });

  it('connection.set resolves false, with the reason in lastError()', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    expect(await conn.set('k', 'v', 100)).toBe(false);
    expect(libredis.lastError()).toBe(`timeout after 100 ms waiting for ${stalled.address} (0 of 1 replies received)`);
    expect(libredis.lastError()).toBe('');
  });

  it('a second batch pipelined behind a timed-out one settles false too, never hangs or gets replies', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const first = libredis.createBatch().get('a');
    const second = libredis.createBatch().get('b').get('c');
    const [results, ms] = await timed(Promise.all([conn.execute(first, 200), conn.execute(second, 3000)]));
    expect(results).toEqual([false, false]);
    expect(ms).toBeLessThan(4500);
    expect(first.failure()).toBeInstanceOf(TimeoutError);
    expect(second.error).toContain(stalled.address);
    const values = second.values();
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toBeInstanceOf(ReplyError);
  });
});

describe('concurrent commands on a stalled connection', () => {
  it('those sharing the deadline all time out; one with a later deadline is told the connection was reset', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const sameTick = Array.from({ length: 50 }, (_, i) => conn.get(`k${i}`, 250));
    const later = conn.get('late', 5000);
    const [settled, ms] = await timed(Promise.allSettled([...sameTick, later]));
    expect(ms).toBeLessThan(2000); // the later one did not wait for its own 5 s
    for (const r of settled.slice(0, 50)) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      expect((r as PromiseRejectedResult).reason.message).toBe(
        `timeout after 250 ms waiting for ${stalled.address} (0 of 1 replies received)`,
      );
    }
    const last = (settled[50] as PromiseRejectedResult).reason;
    expect(last).toBeInstanceOf(ConnectionError);
    expect(last.message).toContain('reset because an earlier batch on it timed out');
  });
});

describe('a server that answers part of a batch, then stalls', () => {
  it('keeps the replies that arrived and adds ERROR replies for the rest, in order', async () => {
    const answered = new WeakSet<net.Socket>();
    const partial = await fakeServer((_chunk, socket, state) => {
      // Answer the first request once it is complete, then nothing more.
      if (!answered.has(socket) && countRequests(state.received) >= 1) {
        answered.add(socket);
        socket.write('$5\r\nfirst\r\n');
      }
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(partial.address);
    const batch = libredis.createBatch().get('one').get('two').get('three');

    const [ok, ms] = await timed(conn.execute(batch, 300));

    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1600);
    const reason = `timeout after 300 ms waiting for ${partial.address} (1 of 3 replies received)`;
    expect(batch.error).toBe(reason);
    expect(nodes(batch)).toEqual([
      { type: ReplyType.BULK, value: 'first', length: 5, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
    ]);
    const values = batch.values();
    expect(values[0]).toBe('first');
    expect(values[1]).toBeInstanceOf(ReplyError);
    expect(values[2]).toBeInstanceOf(ReplyError);
    expect(values).toHaveLength(3);
  });

  it('drops a reply cut short by the timeout (half a multibulk) and reports it as missing', async () => {
    const answered = new WeakSet<net.Socket>();
    const halfway = await fakeServer((_chunk, socket, state) => {
      if (!answered.has(socket) && countRequests(state.received) >= 2) {
        answered.add(socket);
        // First reply complete, second a 3-element multibulk with only 1 element.
        socket.write(':7\r\n*3\r\n$1\r\na\r\n');
      }
    });
    const libredis = new Libredis();
    const batch = libredis.createBatch().cmd('INCR', 'n').cmd('LRANGE', 'l', '0', '-1');
    expect(await libredis.getConnection(halfway.address).execute(batch, 250)).toBe(false);
    const reason = `timeout after 250 ms waiting for ${halfway.address} (1 of 2 replies received)`;
    expect(batch.error).toBe(reason);
    expect(nodes(batch)).toEqual([
      { type: ReplyType.INTEGER, value: 7, length: 1, level: 1 },
      { type: ReplyType.ERROR, value: reason, length: reason.length, level: 1 },
    ]);
  });

  it('after the timeout, the next use opens a new connection and gets only its own replies', async () => {
    let connectionNo = 0;
    const conns = new WeakMap<net.Socket, number>();
    const answered = new WeakMap<net.Socket, number>();
    // First connection: never answers. Later ones: answer each PING request with its position.
    const server = await fakeServer((_chunk, socket, state) => {
      if (!conns.has(socket)) conns.set(socket, ++connectionNo);
      if (conns.get(socket) === 1) return;
      const n = countRequests(state.received);
      let done = answered.get(socket) ?? 0;
      while (done < n) socket.write(`+PONG-${conns.get(socket)}-${++done}\r\n`);
      answered.set(socket, done);
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    const stale = libredis.createBatch().cmd('PING').cmd('PING');
    expect(await conn.execute(stale, 150)).toBe(false);
    expect(stale.failure()).toBeInstanceOf(TimeoutError);

    const fresh = libredis.createBatch().cmd('PING');
    expect(await conn.execute(fresh, 2000)).toBe(true);
    expect(fresh.values()).toEqual(['PONG-2-1']);
    expect(server.connections()).toBe(2);
    expect(fresh.error).toBeNull();
    expect(fresh.failure()).toBeNull();
  });
});

describe('a server that stops reading', () => {
  it('a batch that cannot even be sent in full times out, and the next use reconnects', async () => {
    let connectionNo = 0;
    const seen = new WeakMap<net.Socket, number>();
    const server = await fakeServer((_chunk, socket, state) => {
      if (!seen.has(socket)) seen.set(socket, ++connectionNo);
      if (seen.get(socket) === 1) {
        socket.pause(); // first connection: stop reading, so the client's writes back up
        return;
      }
      if (countRequests(state.received) >= 1 && !state.received.includes('answered')) {
        state.received += 'answered';
        socket.write('+PONG\r\n');
      }
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    const big = Buffer.alloc(16 * 1024 * 1024, 0x61);
    const batch = libredis.createBatch().set('big1', big).set('big2', big);
    const [ok, ms] = await timed(conn.execute(batch, 400));
    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(1900);
    expect(batch.error).toBe(`timeout after 400 ms waiting for ${server.address} (0 of 2 replies received)`);
    expect(batch.values()).toEqual([expect.any(ReplyError), expect.any(ReplyError)]);
    // Far less than 32 MB got through.
    expect(server.received().length).toBeLessThan(32 * 1024 * 1024);

    const ping = libredis.createBatch().cmd('PING');
    expect(await conn.execute(ping, 2000)).toBe(true);
    expect(ping.values()).toEqual(['PONG']);
    expect(server.connections()).toBe(2);
  });
});

describe('a timeout of a batch that was never sent', () => {
  it('drops only that batch: the one being sent ahead of it completes on the same connection', async () => {
    const value = Buffer.alloc(12 * 1024 * 1024, 0x62);
    const setBytes = (key: string) =>
      `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n`.length + value.length + 2;
    const sizeA = setBytes('A1') + setBytes('A2');
    const ping = '*1\r\n$4\r\nPING\r\n'.length;
    const bytes = new WeakMap<net.Socket, number>();
    const server = await fakeServer((chunk, socket) => {
      const before = bytes.get(socket) ?? 0;
      const now = before + chunk.length;
      bytes.set(socket, now);
      if (before === 0) {
        // Read slowly at first, so the big batch is still being sent when the small one times out.
        socket.pause();
        setTimeout(() => socket.resume(), 700);
      }
      if (before < sizeA && now >= sizeA) socket.write('+OK\r\n+OK\r\n');
      if (before < sizeA + ping && now >= sizeA + ping) socket.write('+PONG\r\n');
    });
    const libredis = new Libredis();
    const conn = libredis.getConnection(server.address);
    const big = libredis.createBatch().set('A1', value).set('A2', value);
    const small = libredis.createBatch().get('B');
    const bigDone = conn.execute(big, 8000);
    const [smallOk, ms] = await timed(conn.execute(small, 200));
    expect(smallOk).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1500);
    expect(small.error).toBe(`timeout after 200 ms waiting for ${server.address} (0 of 1 replies received)`);
    expect(small.failure()).toBeInstanceOf(TimeoutError);

    expect(await bigDone).toBe(true);
    expect(big.values()).toEqual(['OK', 'OK']);
    const after = libredis.createBatch().cmd('PING');
    expect(await conn.execute(after, 3000)).toBe(true);
    expect(after.values()).toEqual(['PONG']);
    expect(server.connections()).toBe(1);
    // GET B never went out.
    expect(server.received()).not.toContain('$1\r\nB\r\n');
  });
});

describe('Executor deadline with several stalled servers', () => {
  it('three stalled servers under one 300 ms deadline all settle by it', async () => {
    const servers = await Promise.all([fakeServer(), fakeServer(), fakeServer()]);
    const libredis = new Libredis();
    const executor = libredis.createExecutor();
    const batches = servers.map((srv) => {
      const b = libredis.createBatch().get('k');
      executor.add(libredis.getConnection(srv.address), b);
      return b;
    });
    const [ok, ms] = await timed(executor.execute(300));
    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1500);
    batches.forEach((b, i) => {
      expect(b.error).toBe(`timeout after 300 ms waiting for ${servers[i].address} (0 of 1 replies received)`);
      expect(b.failure()).toBeInstanceOf(TimeoutError);
    });
  });
});

describe('no stale replies after a timeout (real redis-server)', () => {
  it('BLPOP that outlives the timeout: the next batch on the connection gets its own value', async () => {
    await redis.command('DEL', 'blpop_empty');
    await redis.command('SET', 'desync_k', 'real-value-of-k');
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await conn.set('warmup', '1')).toBe(true); // the connection is open before the stall

    const blocked = libredis.createBatch().cmd('BLPOP', 'blpop_empty', '2').get('desync_k');
    const [ok, ms] = await timed(conn.execute(blocked, 300));
    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1800);
    expect(blocked.error).toBe(`timeout after 300 ms waiting for ${redis.address} (0 of 2 replies received)`);
    expect(blocked.values()).toEqual([expect.any(ReplyError), expect.any(ReplyError)]);

    // Immediately: on a reused socket this would receive BLPOP's nil.
    const next = libredis.createBatch().get('desync_k');
    expect(await conn.execute(next, 3000)).toBe(true);
    expect(next.values()).toEqual(['real-value-of-k']);

    // Had the blocked client survived, it would take this element when pushed.
    await redis.command('RPUSH', 'blpop_empty', 'late');
    await sleep(50);
    expect(await conn.get('desync_k')).toBe('real-value-of-k');
    expect(await redis.command('LRANGE', 'blpop_empty', '0', '-1')).toBe('*1\r\n$4\r\nlate\r\n');
  });

  it('DEBUG SLEEP that outlives the timeout: later batches never see its +OK or the GET behind it', async () => {
    await redis.command('MSET', 'ds_a', 'AAA', 'ds_b', 'BBB', 'ds_c', 'CCC');
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const slow = libredis.createBatch().cmd('DEBUG', 'SLEEP', '0.5').get('ds_a');
    const t0 = performance.now();
    expect(await conn.execute(slow, 200)).toBe(false);
    expect(slow.failure()).toBeInstanceOf(TimeoutError);
    expect(slow.error).toMatch(/^timeout after 200 ms waiting for 127\.0\.0\.1:\d+ \(0 of 2 replies received\)$/);

    // Sent while the server still sleeps; a stale reply would be "OK" then "AAA".
    const next = libredis.createBatch().get('ds_b').get('ds_c');
    expect(await conn.execute(next, 3000)).toBe(true);
    expect(next.values()).toEqual(['BBB', 'CCC']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450); // it really waited out the sleep

    const after = libredis.createBatch().get('ds_c').get('ds_a');
    expect(await conn.execute(after, 3000)).toBe(true);
    expect(after.values()).toEqual(['CCC', 'AAA']);
  });

  it('a slow Lua script that outlives the timeout: later replies are not shifted', async () => {
    await redis.command('MSET', 'lua_x', 'X-value', 'lua_y', 'Y-value');
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const busyLoop =
      "local t = redis.call('TIME'); local start = t[1] * 1000000 + t[2]; " +
      "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 400000; return 'stale-lua'";
    const slow = libredis.createBatch().cmd('EVAL', busyLoop, '0').get('lua_x');
    expect(await conn.execute(slow, 150)).toBe(false);
    expect(slow.error).toContain('0 of 2 replies received');

    const next = libredis.createBatch().get('lua_y').cmd('ECHO', 'mine');
    expect(await conn.execute(next, 3000)).toBe(true);
    expect(next.values()).toEqual(['Y-value', 'mine']);
    const again = libredis.createBatch().get('lua_x');
    expect(await conn.execute(again, 3000)).toBe(true);
    expect(again.values()).toEqual(['X-value']);
  });

  it('a batch that completes in time leaves the connection open for reuse', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const id1 = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id1, 1000)).toBe(true);
    const id2 = libredis.createBatch().cmd('CLIENT', 'ID');
    expect(await conn.execute(id2, 1000)).toBe(true);
    expect(typeof id1.values()[0]).toBe('number');
    expect(id2.values()).toEqual(id1.values()); // same socket, reused
  });
});

// A listener whose accept queue is full never completes a new connect: the
// SYN is dropped, so the client stays in "connecting". Needs python3 to hold
// a listening socket that does not accept (Node's servers always accept).
function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasPython())('a connection that is still connecting', () => {
  let py: ChildProcess;
  let port = 0;
  const fillers: net.Socket[] = [];
  beforeAll(async () => {
    py = spawn(
      'python3',
      [
        '-c',
        'import socket,sys\n' +
          "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)\n" +
          'print(s.getsockname()[1], flush=True)\n' +
          'sys.stdin.read()\n',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    port = await new Promise<number>((resolve, reject) => {
      py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      py.once('error', reject);
    });
    // Fill the accept queue (backlog 0 holds one connection).
    for (let i = 0; i < 2; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      fillers.push(s);
    }
    await sleep(100);
  });
  afterAll(() => {
    for (const s of fillers) s.destroy();
    py?.kill();
  });

  it('times out with "connecting to" in the reason and ERROR replies', async () => {
    const libredis = new Libredis();
    const address = `127.0.0.1:${port}`;
    const batch = libredis.createBatch().get('a').get('b');
    const [ok, ms] = await timed(libredis.getConnection(address).execute(batch, 200));
    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1500);
    expect(batch.error).toBe(`timeout after 200 ms connecting to ${address}`);
    expect(batch.failure()).toBeInstanceOf(TimeoutError);
    expect(batch.values()).toEqual([expect.any(ReplyError), expect.any(ReplyError)]);
    expect(libredis.lastError()).toBe(`timeout after 200 ms connecting to ${address}`);
  });
});

describe('Executor under one deadline', () => {
  it('a good server and a stalled one: the good batch has its replies, the stalled one ERRORs', async () => {
    const stalled = await fakeServer();
    await redis.command('SET', 'exec_good', 'good-value');
    const libredis = new Libredis();
    const good = libredis.createBatch().get('exec_good').cmd('INCRBY', 'exec_counter', '5');
    await redis.command('DEL', 'exec_counter');
    const bad = libredis.createBatch().get('exec_good').get('other');
    const executor = libredis
      .createExecutor()
      .add(libredis.getConnection(redis.address), good)
      .add(libredis.getConnection(stalled.address), bad);
    expect(executor.size).toBe(2);

    const [ok, ms] = await timed(executor.execute(300));

    expect(ok).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1600);
    expect(executor.size).toBe(0);
    expect(good.error).toBeNull();
    expect(good.failure()).toBeNull();
    expect(good.values()).toEqual(['good-value', 5]);
    const reason = `timeout after 300 ms waiting for ${stalled.address} (0 of 2 replies received)`;
    expect(bad.error).toBe(reason);
    expect(bad.failure()).toBeInstanceOf(TimeoutError);
    expect(bad.failure()?.address).toBe(stalled.address);
    expect(nodes(bad).map((r) => [r.type, r.value])).toEqual([
      [ReplyType.ERROR, reason],
      [ReplyType.ERROR, reason],
    ]);
    expect(libredis.lastError()).toBe(reason);
  });

  it('a good server and a refused one: fails only the refused batch, well before the deadline', async () => {
    const srv = net.createServer();
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as net.AddressInfo).port)),
    );
    await new Promise<void>((r) => srv.close(() => r()));
    const libredis = new Libredis();
    const good = libredis.createBatch().cmd('ECHO', 'hi');
    const refused = libredis.createBatch().cmd('ECHO', 'hi');
    const executor = libredis
      .createExecutor()
      .add(libredis.getConnection(redis.address), good)
      .add(libredis.getConnection(`127.0.0.1:${port}`), refused);
    const [ok, ms] = await timed(executor.execute(4000));
    expect(ok).toBe(false);
    expect(ms).toBeLessThan(2000);
    expect(good.values()).toEqual(['hi']);
    expect(refused.error).toBe(`connection to 127.0.0.1:${port} failed: Connection refused`);
    expect(refused.failure()).toBeInstanceOf(ConnectionError);
  });

  it('an executor is reusable after a timed-out execute', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const executor = libredis.createExecutor();
    executor.add(libredis.getConnection(stalled.address), libredis.createBatch().get('a'));
    expect(await executor.execute(100)).toBe(false);
    const b = libredis.createBatch().cmd('ECHO', 'again');
    executor.add(libredis.getConnection(redis.address), b);
    expect(await executor.execute(2000)).toBe(true);
    expect(b.values()).toEqual(['again']);
  });
});

describe('misuse', () => {
  it('rejects a bad timeout with a TypeError and sends nothing', async () => {
    const stalled = await fakeServer();
    const libredis = new Libredis();
    const conn = libredis.getConnection(stalled.address);
    const batch = libredis.createBatch().get('a');
    for (const bad of [0, -5, Number.NaN, '100' as unknown as number, 2 ** 31]) {
      await expect(conn.execute(batch, bad)).rejects.toBeInstanceOf(TypeError);
    }
    await expect(conn.get('a', 0)).rejects.toBeInstanceOf(TypeError);
    await expect(libredis.createExecutor().execute(-1)).rejects.toBeInstanceOf(TypeError);
    await sleep(50);
    expect(stalled.connections()).toBe(0);
    expect(batch.pendingCommands).toBe(1);
  });
});
