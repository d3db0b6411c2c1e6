// Misuse gets a TypeError with a clear message, and nothing of the failed call
// is queued or sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batch, Connection, type Executor, Libredis } from '../src/index';
import { native } from '../src/native';
import { countRequests, type FakeServer, startFakeServer } from './helpers/fake-server';

/** Answers +OK to every complete request. */
function okResponder() {
  const answered = new WeakMap<object, number>();
  return (_chunk: Buffer, socket: import('node:net').Socket, state: { received: string }) => {
    const done = countRequests(state.received);
    const before = answered.get(socket) ?? 0;
    if (done > before) {
      answered.set(socket, done);
      socket.write('+OK\r\n'.repeat(done - before));
    }
  };
}

let okServer: FakeServer;
let silentServer: FakeServer;
beforeAll(async () => {
  [okServer, silentServer] = await Promise.all([startFakeServer(okResponder()), startFakeServer(() => {})]);
});
afterAll(async () => {
  await Promise.all([okServer?.close(), silentServer?.close()]);
});

function snapshot(b: Batch): [string, number] {
  const [bytes, n] = b._pending();
  return [bytes.toString('hex'), n];
}

describe('Batch.cmd / get / set arguments', () => {
  it('cmd() with no arguments', () => {
    const b = new Batch();
    expect(() => b.cmd()).toThrow(TypeError);
    expect(() => b.cmd()).toThrow(/command name/);
    expect(snapshot(b)).toEqual(['', 0]);
  });

  const bad: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['an object', {}],
    ['an array', []],
    ['true', true],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['an Int8Array', new Int8Array(2)],
    ['a Uint8ClampedArray', new Uint8ClampedArray(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
  ];

  for (const [name, value] of bad) {
    it(`cmd with ${name} as an argument: TypeError naming its position`, () => {
      expect(() => new Batch().cmd('GET', value as never)).toThrow(TypeError);
      expect(() => new Batch().cmd('GET', value as never)).toThrow(/argument 2\b/);
      expect(() => new Batch().cmd(value as never)).toThrow(/argument 1\b/);
      expect(() => new Batch().cmd('SET', 'k', 'v', 1, value as never, 'x')).toThrow(/argument 5\b/);
    });
  }

  it('the message says what was wrong and what is expected', () => {
    expect(() => new Batch().cmd('GET', undefined as never)).toThrow(/undefined/);
    expect(() => new Batch().cmd('GET', null as never)).toThrow(/null/);
    expect(() => new Batch().cmd('GET', NaN)).toThrow(/NaN/);
    expect(() => new Batch().cmd('GET', Infinity)).toThrow(/Infinity/);
    expect(() => new Batch().cmd('GET', {} as never)).toThrow(/expected a string, Buffer/);
  });

  it('a failed cmd leaves the pending bytes and count unchanged', () => {
    const b = new Batch().get('a').cmd('SET', 'x', 1);
    const before = snapshot(b);
    for (const [, value] of bad) {
      expect(() => b.cmd('SET', 'k', value as never)).toThrow(TypeError);
      expect(() => b.cmd(value as never, 'k')).toThrow(TypeError);
      expect(snapshot(b)).toEqual(before);
    }
    // And the batch still works afterwards.
    b.get('z');
    expect(snapshot(b)[1]).toBe(3);
  });

  it('get and set with undefined', () => {
    const b = new Batch().get('ok');
    const before = snapshot(b);
    expect(() => b.get(undefined as never)).toThrow(TypeError);
    expect(() => b.get(undefined as never)).toThrow(/^get: argument 1/);
    expect(() => b.get(null as never)).toThrow(TypeError);
    expect(() => b.get({} as never)).toThrow(TypeError);
    expect(() => b.set('k', undefined as never)).toThrow(TypeError);
    expect(() => b.set('k', undefined as never)).toThrow(/^set: argument 2/);
    expect(() => b.set(undefined as never, 'v')).toThrow(/^set: argument 1/);
    expect(() => b.set('k', NaN)).toThrow(/argument 2/);
    expect(snapshot(b)).toEqual(before);
  });
});

describe('Batch.write arguments', () => {
  it('rejects data that is not a string or bytes, and bad counts', () => {
    const b = new Batch().get('k');
    const before = snapshot(b);
    expect(() => b.write(123 as never)).toThrow(TypeError);
    expect(() => b.write(123 as never)).toThrow(/data/);
    expect(() => b.write(undefined as never)).toThrow(TypeError);
    expect(() => b.write({} as never, 1)).toThrow(TypeError);
    expect(() => b.write('x', -1)).toThrow(TypeError);
    expect(() => b.write('x', -1)).toThrow(/numCommands/);
    expect(() => b.write('x', 1.5)).toThrow(/numCommands/);
    expect(() => b.write('x', NaN)).toThrow(TypeError);
    expect(() => b.write('x', '1' as never)).toThrow(TypeError);
    expect(() => b.write('x', 2 ** 32)).toThrow(TypeError);
    expect(snapshot(b)).toEqual(before);
  });

  it('the constructor checks its arguments the same way', () => {
    expect(() => new Batch('PING\r\n', -1)).toThrow(TypeError);
    expect(() => new Batch(42 as never)).toThrow(TypeError);
  });
});

describe('Libredis.getConnection addresses', () => {
  const rejected: Array<[string, unknown, RegExp]> = [
    ["''", '', /address/],
    ['undefined', undefined, /address/],
    ['a number', 6379, /address/],
    ["'   '", '   ', /address/],
    ["'host:0'", 'host:0', /port '0'/],
    ["'host:99999'", 'host:99999', /port '99999'/],
    ["'host:65536'", 'host:65536', /port '65536'/],
    ["'host:abc'", 'host:abc', /port 'abc'/],
    ["'host:'", 'host:', /port/],
    ["':6379'", ':6379', /missing host/],
    ["'[::1'", '[::1', /\[::1/],
    ["'[nothex]:1'", '[nothex]:1', /nothex/],
    ["'[::1]:0'", '[::1]:0', /port/],
    ["'1:2:3'", '1:2:3', /1:2:3/],
  ];
  for (const [name, addr, msg] of rejected) {
    it(`rejects ${name}`, () => {
      const lib = new Libredis();
      expect(() => lib.getConnection(addr as never)).toThrow(TypeError);
      expect(() => lib.getConnection(addr as never)).toThrow(msg);
      expect(() => lib.get_connection(addr as never)).toThrow(TypeError);
    });
  }

  it('accepts host, host:port, IPv6 and unix socket forms', () => {
    const lib = new Libredis();
    for (const addr of [
      'localhost',
      '127.0.0.1',
      '127.0.0.1:6380',
      '[::1]:6379',
      '[::1]',
      '::1',
      '/tmp/x.sock',
      'unix:/tmp/x.sock',
      'host:65535',
      'host:1',
    ]) {
      const c = lib.getConnection(addr);
      expect(c).toBeInstanceOf(Connection);
      expect(c.address).toBe(addr);
      expect(lib.getConnection(addr)).toBe(c);
    }
  });
});

describe('execute arguments', () => {
  it('Connection.execute rejects something that is not a Batch', async () => {
    const conn = new Libredis().getConnection(okServer.address);
    await expect(conn.execute({} as never)).rejects.toThrow(TypeError);
    await expect(conn.execute({} as never)).rejects.toThrow(/expected a Batch/);
    await expect(conn.execute(undefined as never)).rejects.toThrow(TypeError);
    await expect(conn.execute(new Batch()._native as never)).rejects.toThrow(TypeError);
  });

  it('the native entry points refuse anything but a live connection id, without crashing', () => {
    const lib = new Libredis();
    const conn = lib.getConnection(okServer.address);
    const other = lib.getConnection(silentServer.address);
    expect(typeof conn._id).toBe('number');
    expect(other._id).not.toBe(conn._id);
    const batch = new Batch().get('k');
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 53, conn._id + 1e9, {}, conn._native, batch._native, 'x', null]) {
      const id = bad as number;
      expect(() => native.call(1000, id, 'PING'), String(bad)).toThrow(/expected a Connection/);
      expect(() => native.callBuffer(1000, id, 'PING'), String(bad)).toThrow(/expected a Connection/);
      expect(() => native.get(1000, id, 'k'), String(bad)).toThrow(/expected a Connection/);
      expect(() => native.getBuffer(1000, id, 'k'), String(bad)).toThrow(/expected a Connection/);
      expect(() => native.submit(1000, id, batch._native), String(bad)).toThrow(/expected a Connection/);
    }
    // A batch where the connection belongs is refused by its type tag.
    expect(() => native.submit(1000, conn._id, conn._native as never)).toThrow(/expected a Batch/);
    expect(() => native.get(1000, conn._id, 42 as never)).toThrow(/key must be a string or a Buffer/);
    lib.close();
  });

  it('Batch.execute rejects something that is not a Connection', async () => {
    const b = new Batch().get('k');
    await expect(b.execute({} as never)).rejects.toThrow(TypeError);
    await expect(b.execute(undefined as never)).rejects.toThrow(/expected a Connection/);
    await expect(b.execute(null as never)).rejects.toThrow(/expected a Connection/);
  });

  it('Batch.execute with another Batch in place of the Connection rejects with a TypeError', async () => {
    // Arguments swapped, as in `batch.execute(otherBatch)`: a Batch also has an
    // execute method, but it is not a Connection.
    const b = new Batch().get('k');
    let outcome: unknown;
    try {
      outcome = await b.execute(new Batch() as never);
    } catch (e) {
      outcome = e;
    }
    expect(outcome).toBeInstanceOf(TypeError);
    expect(String((outcome as Error).message)).toMatch(/expected a Connection/);
    expect(snapshot(b)[1]).toBe(1);
  });

  for (const [name, t] of [
    ['0', 0],
    ['-5', -5],
    ["'100'", '100'],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['2**31', 2 ** 31],
  ] as Array<[string, unknown]>) {
    it(`timeout ${name} rejects with a TypeError and keeps the batch's commands`, async () => {
      const conn = new Libredis().getConnection(okServer.address);
      const b = new Batch().get('k');
      const before = snapshot(b);
      await expect(conn.execute(b, t as never)).rejects.toThrow(TypeError);
      await expect(conn.execute(b, t as never)).rejects.toThrow(/timeoutMs/);
      await expect(b.execute(conn, t as never)).rejects.toThrow(TypeError);
      expect(snapshot(b)).toEqual(before);
    });
  }

  it('Executor.add checks its arguments and refuses the same batch twice', () => {
    const lib = new Libredis();
    const conn = lib.getConnection(okServer.address);
    const ex: Executor = lib.createExecutor();
    const b = new Batch().get('k');
    expect(() => ex.add(b as never, conn as never)).toThrow(TypeError);
    expect(() => ex.add(b as never, conn as never)).toThrow(/expected a Connection/);
    expect(() => ex.add(conn, {} as never)).toThrow(/expected a Batch/);
    expect(ex.size).toBe(0);
    ex.add(conn, b);
    expect(() => ex.add(conn, b)).toThrow(TypeError);
    expect(() => ex.add(lib.getConnection(silentServer.address), b)).toThrow(/already/);
    expect(ex.size).toBe(1);
  });

  it('Executor.execute rejects a bad timeout', async () => {
    const ex = new Libredis().createExecutor();
    await expect(ex.execute(0)).rejects.toThrow(TypeError);
    await expect(ex.execute('5' as never)).rejects.toThrow(TypeError);
  });

  it('executing a batch that is already executing rejects with a TypeError', async () => {
    const lib = new Libredis();
    const conn = lib.getConnection(silentServer.address);
    const b = new Batch().get('never-answered');
    const first = conn.execute(b, 3000);
    const second = conn.execute(b, 3000);
    await expect(second).rejects.toThrow(TypeError);
    await expect(second).rejects.toThrow(/already/);
    await expect(b.execute(conn, 3000)).rejects.toThrow(/already/);
    // Also through an executor, and on another connection.
    // In an executor next to a valid pair, the whole execute is refused and the
    // valid batch keeps its commands.
    const other = new Batch().get('other');
    const otherBefore = snapshot(other);
    const ex = lib
      .createExecutor()
      .add(lib.getConnection(okServer.address), other)
      .add(lib.getConnection(okServer.address), b);
    await expect(ex.execute(3000)).rejects.toThrow(/already/);
    expect(snapshot(other)).toEqual(otherBefore);
    expect(okServer.received()).not.toContain('other');
    // Once the server has the command, closing the connection settles the first execute.
    const deadline = Date.now() + 2000;
    while (!silentServer.received().includes('never-answered') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(silentServer.received()).toContain('never-answered');
    conn.close();
    expect(await first).toBe(false);
    expect(b.error).not.toBeNull();
  });
});

describe('nothing of a failed call is sent', () => {
  it('after every kind of misuse, the server receives exactly the valid batch', async () => {
    const lib = new Libredis();
    const conn = lib.getConnection(okServer.address);
    const b = new Batch().get('a').cmd('SET', 'x', 1);
    const expected = b._pending()[0].toString('latin1');

    expect(() => b.cmd()).toThrow(TypeError);
    expect(() => b.cmd('SET', 'poison-1', undefined as never)).toThrow(TypeError);
    expect(() => b.cmd('SET', 'poison-2', {} as never)).toThrow(TypeError);
    expect(() => b.cmd('poison-3', NaN)).toThrow(TypeError);
    expect(() => b.get(undefined as never)).toThrow(TypeError);
    expect(() => b.set('poison-4', undefined as never)).toThrow(TypeError);
    expect(() => b.write(123 as never)).toThrow(TypeError);
    expect(() => b.write('poison-5\r\n', -1)).toThrow(TypeError);
    expect(() => b.write('poison-6\r\n', 1.5)).toThrow(TypeError);
    await expect(conn.execute({} as never)).rejects.toThrow(TypeError);
    for (const t of [0, -5, '100', NaN]) await expect(conn.execute(b, t as never)).rejects.toThrow(TypeError);
    await expect(b.execute({} as never)).rejects.toThrow(TypeError);
    const ex = lib.createExecutor();
    expect(() => ex.add(b as never, conn as never)).toThrow(TypeError);
    await expect(ex.execute(-1)).rejects.toThrow(TypeError);
    expect(b._pending()[0].toString('latin1')).toBe(expected);
    expect(b._pending()[1]).toBe(2);
    expect(okServer.received()).not.toContain('poison');

    const before = okServer.received().length;
    expect(await conn.execute(b, 2000)).toBe(true);
    expect(okServer.received().slice(before)).toBe(expected);
    expect(b.values()).toEqual(['OK', 'OK']);
    expect(b._pending()).toEqual([Buffer.alloc(0), 0]);
  });
});
