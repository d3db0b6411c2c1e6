// Many executes at once: pipelined on one connection in call order, each batch
// getting exactly its own replies, across connections and executors too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Libredis, type ReplyValue } from '../src/index';
import { countRequests, startFakeServer } from './helpers/fake-server';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

let s1: RedisServer;
let s2: RedisServer;

beforeAll(async () => {
  [s1, s2] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(stopAll);

describe('many executes on one connection', () => {
  it('200 concurrent batches each get their own replies, pipelined in call order', async () => {
    await s1.command('DEL', 'shared_counter');
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const N = 200;
    const batches = Array.from({ length: N }, (_, i) =>
      libredis
        .createBatch()
        .set(`conc_k_${i}`, `conc_v_${i}`)
        .get(`conc_k_${i}`)
        .cmd('INCR', 'shared_counter')
        .cmd('ECHO', `echo-${i}`),
    );
    const results = await Promise.all(batches.map((b) => conn.execute(b, 10_000)));
    expect(results).toEqual(new Array(N).fill(true));
    for (let i = 0; i < N; i++) {
      expect(batches[i].error).toBeNull();
      // INCR in call order: batch i saw the counter at exactly i + 1.
      expect(batches[i].values()).toEqual(['OK', `conc_v_${i}`, i + 1, `echo-${i}`]);
    }
    expect(await s1.command('GET', 'shared_counter')).toBe('$3\r\n200\r\n');
  });

  it("does not wait for one batch's replies before sending the next (a server that answers only once all arrived)", async () => {
    const N = 200;
    let answered = false;
    // Holds every reply until all N requests are in: only a pipelining client gets any.
    const server = await startFakeServer((_chunk, socket, state) => {
      if (!answered && countRequests(state.received) >= N) {
        answered = true;
        socket.write(Array.from({ length: N }, (_, i) => `:${i + 1}\r\n`).join(''));
      }
    });
    try {
      const libredis = new Libredis();
      const conn = libredis.getConnection(server.address);
      const batches = Array.from({ length: N }, (_, i) => libredis.createBatch().cmd('INCR', `p${i}`));
      const results = await Promise.all(batches.map((b) => conn.execute(b, 5000)));
      expect(results).toEqual(new Array(N).fill(true));
      batches.forEach((b, i) => {
        expect(b.values()).toEqual([i + 1]);
      });
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('executes started in different ticks still keep call order', async () => {
    await s1.command('DEL', 'tick_counter');
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const pending: Array<Promise<ReplyValue[]>> = [];
    for (let i = 0; i < 50; i++) {
      const b = libredis.createBatch().cmd('INCR', 'tick_counter');
      pending.push(conn.execute(b).then((ok) => (ok ? b.values() : [])));
      if (i % 7 === 0) await Promise.resolve();
      if (i % 13 === 0) await new Promise((r) => setImmediate(r));
    }
    const values = await Promise.all(pending);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => [i + 1]));
  });

  it('1000 concurrent connection.get of distinct keys', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const N = 1000;
    const setup = libredis.createBatch();
    for (let i = 0; i < N; i++) setup.set(`many_get_${i}`, `value-${i}-${'x'.repeat(i % 37)}`);
    expect(await conn.execute(setup)).toBe(true);
    const got = await Promise.all(Array.from({ length: N + 10 }, (_, i) => conn.get(`many_get_${i}`, 10_000)));
    for (let i = 0; i < N; i++) {
      if (got[i] !== `value-${i}-${'x'.repeat(i % 37)}`) expect.fail(`get ${i} gave ${String(got[i])}`);
    }
    expect(got.slice(N)).toEqual(new Array(10).fill(null));
  });

  it('1000 concurrent connection.set then get round-trip', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(s2.address);
    const N = 1000;
    const sets = await Promise.all(Array.from({ length: N }, (_, i) => conn.set(`cset_${i}`, String(i * 3))));
    expect(sets.every((x) => x === true)).toBe(true);
    const gets = await Promise.all(Array.from({ length: N }, (_, i) => conn.get(`cset_${i}`)));
    expect(gets).toEqual(Array.from({ length: N }, (_, i) => String(i * 3)));
    expect(libredis.lastError()).toBe('');
  });

  it('batches of very different sizes (1 and 20,000 commands) interleaved keep their replies', async () => {
    await s1.command('DEL', 'mix_counter');
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const BIG = 20_000;
    const kinds: Array<'small' | 'big'> = ['small', 'big', 'small', 'small', 'big', 'small', 'big', 'small'];
    const batches = kinds.map((kind, b) => {
      const batch = libredis.createBatch();
      const n = kind === 'big' ? BIG : 1;
      for (let i = 0; i < n; i++) batch.cmd('ECHO', `${b}:${i}`);
      batch.cmd('INCR', 'mix_counter');
      return batch;
    });
    const results = await Promise.all(batches.map((b) => conn.execute(b, 20_000)));
    expect(results.every((x) => x)).toBe(true);
    batches.forEach((batch, b) => {
      const values = batch.values();
      const n = kinds[b] === 'big' ? BIG : 1;
      expect(values).toHaveLength(n + 1);
      for (let i = 0; i < n; i++)
        if (values[i] !== `${b}:${i}`) expect.fail(`batch ${b} reply ${i} is ${String(values[i])}`);
      expect(values[n]).toBe(b + 1);
    });
  });

  it('the same batch re-executed 100 times gets fresh replies each time (replaced, not appended)', async () => {
    await s1.command('DEL', 'again_counter');
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const batch = libredis.createBatch();
    for (let i = 1; i <= 100; i++) {
      batch.cmd('INCR', 'again_counter').cmd('ECHO', `round-${i}`);
      expect(batch.pendingCommands).toBe(2);
      expect(await conn.execute(batch)).toBe(true);
      expect(batch.pendingCommands).toBe(0);
      expect(batch.values()).toEqual([i, `round-${i}`]);
      const first = batch.nextReply();
      expect(first?.value).toBe(i); // reading starts over after each execution
    }
    // Executing again with nothing added: no commands, so no replies.
    expect(await conn.execute(batch)).toBe(true);
    expect(batch.values()).toEqual([]);
    expect(batch.nextReply()).toBeNull();
    expect(await s1.command('GET', 'again_counter')).toBe('$3\r\n100\r\n');
  });

  it('a batch with 0 commands resolves true with no replies', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const empty = libredis.createBatch();
    expect(empty.pendingCommands).toBe(0);
    expect(await conn.execute(empty, 100)).toBe(true);
    expect(empty.error).toBeNull();
    expect(empty.failure()).toBeNull();
    expect(empty.values()).toEqual([]);
    expect(empty.nextReply()).toBeNull();
    // Alongside real work on the same connection, and in an executor.
    const real = libredis.createBatch().cmd('ECHO', 'r');
    const empty2 = libredis.createBatch();
    expect(await Promise.all([conn.execute(real), conn.execute(empty2), conn.execute(libredis.createBatch())])).toEqual(
      [true, true, true],
    );
    expect(real.values()).toEqual(['r']);
    expect(empty2.values()).toEqual([]);
    const ex = libredis
      .createExecutor()
      .add(conn, libredis.createBatch())
      .add(libredis.getConnection(s2.address), libredis.createBatch());
    expect(await ex.execute(100)).toBe(true);
    expect(await libredis.createExecutor().execute()).toBe(true);
  });

  it('executing a batch that is still running rejects with a TypeError; the first run completes', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const batch = libredis.createBatch().cmd('ECHO', 'once');
    const first = conn.execute(batch);
    await expect(conn.execute(batch)).rejects.toBeInstanceOf(TypeError);
    await expect(libredis.createExecutor().add(conn, batch).execute()).rejects.toBeInstanceOf(TypeError);
    expect(await first).toBe(true);
    expect(batch.values()).toEqual(['once']);
  });

  it('batches built from raw protocol text pipeline with the others', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    await s1.command('SET', 'raw_k', 'raw_v');
    const raw = libredis.createBatch('PING\r\nGET raw_k\r\n', 2);
    const bulk = libredis.createBatch().cmd('ECHO', 'between');
    const raw2 = libredis.createBatch().write('*2\r\n$4\r\nECHO\r\n$4\r\nlast\r\n', 1);
    expect(await Promise.all([conn.execute(raw), conn.execute(bulk), conn.execute(raw2)])).toEqual([true, true, true]);
    expect(raw.values()).toEqual(['PONG', 'raw_v']);
    expect(bulk.values()).toEqual(['between']);
    expect(raw2.values()).toEqual(['last']);
  });
});

describe('several connections at once', () => {
  it('concurrent executes on two connections plus an executor over both', async () => {
    await Promise.all([s1.command('DEL', 'two_c'), s2.command('DEL', 'two_c')]);
    const libredis = new Libredis();
    const c1 = libredis.getConnection(s1.address);
    const c2 = libredis.getConnection(s2.address);
    const jobs: Array<Promise<boolean>> = [];
    const on1 = [];
    const on2 = [];
    const viaExecutor = [];
    for (let i = 0; i < 30; i++) {
      const b1 = libredis.createBatch().cmd('INCR', 'two_c').cmd('ECHO', `s1-${i}`);
      const b2 = libredis.createBatch().cmd('INCR', 'two_c').cmd('ECHO', `s2-${i}`);
      on1.push(b1);
      on2.push(b2);
      jobs.push(c1.execute(b1), c2.execute(b2));
      if (i % 10 === 0) {
        const e1 = libredis.createBatch().cmd('ECHO', `e1-${i}`).cmd('INCR', 'two_c');
        const e2 = libredis.createBatch().cmd('ECHO', `e2-${i}`).cmd('INCR', 'two_c');
        viaExecutor.push([e1, e2]);
        jobs.push(libredis.createExecutor().add(c1, e1).add(c2, e2).execute(5000));
      }
    }
    const results = await Promise.all(jobs);
    expect(results.every((x) => x)).toBe(true);

    // Each server's counter advanced once per batch, in submission order.
    const seq1: number[] = [];
    const seq2: number[] = [];
    let k = 0;
    for (let i = 0; i < 30; i++) {
      expect(on1[i].values()[1]).toBe(`s1-${i}`);
      expect(on2[i].values()[1]).toBe(`s2-${i}`);
      seq1.push(on1[i].values()[0] as number);
      seq2.push(on2[i].values()[0] as number);
      if (i % 10 === 0) {
        const [e1, e2] = viaExecutor[k++];
        expect(e1.values()[0]).toBe(`e1-${i}`);
        expect(e2.values()[0]).toBe(`e2-${i}`);
        seq1.push(e1.values()[1] as number);
        seq2.push(e2.values()[1] as number);
      }
    }
    const expected = Array.from({ length: 33 }, (_, i) => i + 1);
    expect(seq1).toEqual(expected);
    expect(seq2).toEqual(expected);
  });

  it('many Libredis instances at once share the poll thread without mixing replies', async () => {
    const instances = Array.from({ length: 8 }, () => new Libredis());
    const all = await Promise.all(
      instances.flatMap((lr, n) =>
        Array.from({ length: 25 }, async (_, i) => {
          const b = lr.createBatch().cmd('ECHO', `inst${n}-${i}`);
          const ok = await lr.getConnection(i % 2 ? s1.address : s2.address).execute(b);
          return ok ? b.values()[0] : null;
        }),
      ),
    );
    expect(all).toEqual(instances.flatMap((_, n) => Array.from({ length: 25 }, (_, i) => `inst${n}-${i}`)));
  });

  it('an executor with several batches on the same connection keeps them apart, in order', async () => {
    await s1.command('DEL', 'same_conn_c');
    const libredis = new Libredis();
    const conn = libredis.getConnection(s1.address);
    const ex = libredis.createExecutor();
    const batches = Array.from({ length: 10 }, (_, i) =>
      libredis.createBatch().cmd('INCR', 'same_conn_c').cmd('ECHO', `b${i}`),
    );
    for (const b of batches) ex.add(conn, b);
    expect(() => ex.add(conn, batches[0])).toThrow(TypeError);
    expect(await ex.execute(5000)).toBe(true);
    batches.forEach((b, i) => {
      expect(b.values()).toEqual([i + 1, `b${i}`]);
    });
  });
});
