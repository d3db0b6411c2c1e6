// Data round-trips against a real redis-server: large and binary values,
// UTF-8, empty strings, big and nested multibulk replies, integers, and error
// replies from the server.
import { constants } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Libredis, ReplyError, ReplyType } from '../src/index';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { nodes } from './helpers/util';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(stopAll);

/** The raw reply bytes of GET key from the server, over a plain socket. */
async function rawGet(key: string): Promise<Buffer> {
  return Buffer.from(await redis.command('GET', key), 'latin1');
}

describe('large values', () => {
  it('a 10 MB random binary value set with cmd() comes back byte-exact', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const value = randomBytes(10 * 1024 * 1024);
    const set = libredis.createBatch().cmd('SET', 'big_bin', value);
    expect(await conn.execute(set, 15_000)).toBe(true);
    expect(set.values()).toEqual(['OK']);
    expect(await redis.command('STRLEN', 'big_bin')).toBe(`:${value.length}\r\n`);

    const get = libredis.createBatch().get('big_bin').cmd('STRLEN', 'big_bin').get('big_bin');
    expect(await conn.execute(get, 15_000)).toBe(true);
    const values = get.values({ buffers: true });
    expect(values).toHaveLength(3);
    expect(Buffer.isBuffer(values[0])).toBe(true);
    expect((values[0] as Buffer).equals(value)).toBe(true);
    expect(values[1]).toBe(value.length);
    expect((values[2] as Buffer).equals(value)).toBe(true);

    const first = get.nextReplyBuffer();
    expect(first?.type).toBe(ReplyType.BULK);
    expect(first?.length).toBe(value.length);
    expect(first?.level).toBe(1);
    expect(Buffer.isBuffer(first!.value)).toBe(true);
    expect((first!.value as Buffer).equals(value)).toBe(true);
    expect(get.nextReplyBuffer()).toEqual({ type: ReplyType.INTEGER, value: value.length, length: 8, level: 1 });
    expect((get.nextReplyBuffer()!.value as Buffer).equals(value)).toBe(true);
    expect(get.nextReplyBuffer()).toBeNull();
  });

  it('results just under and just over 32 KB (packed into one buffer or handed over in parts) read the same', async () => {
    // The batch's result is three 16-byte records, the value and the
    // integer's one digit: up to 32 KB in all it crosses packed, above in parts.
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const edge = 32 * 1024 - 3 * 16 - 1;
    for (let len = edge - 3; len <= edge + 3; len++) {
      const value = Buffer.alloc(len, len % 251);
      value.write(`len=${len};é`, 0, 'utf8');
      expect(await conn.execute(libredis.createBatch().set(`edge:${len}`, value))).toBe(true);
      const batch = libredis.createBatch().get(`edge:${len}`).get('edge:none').cmd('INCRBY', `edge:n:${len}`, 7);
      expect(await conn.execute(batch)).toBe(true);
      expect(batch.values({ buffers: true })).toEqual([value, null, 7]);
      expect(batch.values()[0]).toBe(value.toString('utf8'));
      expect(nodes(batch).map((n) => n.type)).toEqual([ReplyType.BULK, ReplyType.BULK_NIL, ReplyType.INTEGER]);
      expect(batch.error).toBeNull();
    }
  });

  it('a 10 MB value set with Batch.set (Buffer) and a Uint8Array round-trips', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const value = randomBytes(10 * 1024 * 1024);
    const u8 = new Uint8Array(value.buffer, value.byteOffset, value.length);
    const b = libredis.createBatch().set('big_set', value).cmd('SET', 'big_u8', u8).get('big_set').get('big_u8');
    expect(await conn.execute(b, 15_000)).toBe(true);
    const [ok1, ok2, v1, v2] = b.values({ buffers: true });
    expect([ok1, ok2].map(String)).toEqual(['OK', 'OK']);
    expect((v1 as Buffer).equals(value)).toBe(true);
    expect((v2 as Buffer).equals(value)).toBe(true);
  });

  it('a 10 MB UTF-8 string round-trips through connection.set/get', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const unit = 'héllo wörld · Привет · 日本語テキスト · 🎉🚀 · ';
    const text = unit.repeat(Math.ceil((10 * 1024 * 1024) / Buffer.byteLength(unit)));
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(await conn.set('big_utf8', text, 15_000)).toBe(true);
    expect(await redis.command('STRLEN', 'big_utf8')).toBe(`:${Buffer.byteLength(text)}\r\n`);
    const back = await conn.get('big_utf8', 15_000);
    expect(back?.length).toBe(text.length);
    expect(back === text).toBe(true);
  });
  it('a value longer than a JS string can hold rejects (ERR_STRING_TOO_LONG) as a string and reads as a Buffer', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    // One byte past V8's limit; SETRANGE pads with zero bytes, so nothing
    // this size crosses from the test to the server.
    const size = constants.MAX_STRING_LENGTH + 1;
    expect(await conn.call('SETRANGE', 'too_long', String(size - 1), 'z')).toBe(size);
    await conn.set('after_too_long', 'fine');
    try {
      const asString = conn.get('too_long', 60_000);
      await expect(asString).rejects.toMatchObject({ code: 'ERR_STRING_TOO_LONG' });
      await expect(asString).rejects.toThrow(`the reply (${size} bytes) cannot be made into a JS value`);
      // Inside a multibulk too: the whole reply rejects, nothing half-built.
      await expect(conn.call('MGET', 'after_too_long', 'too_long')).rejects.toMatchObject({
        code: 'ERR_STRING_TOO_LONG',
      });
      // The connection stays in step: the next reply is the next command's.
      expect(await conn.get('after_too_long')).toBe('fine');

      const asBuffer = await conn.getBuffer('too_long', 60_000);
      expect(asBuffer?.length).toBe(size);
      expect(asBuffer?.[size - 1]).toBe('z'.charCodeAt(0));
      expect(asBuffer?.[0]).toBe(0);
    } finally {
      await conn.call('DEL', 'too_long');
    }
  }, 120_000);
});

describe('UTF-8', () => {
  const pairs: Array<[string, string]> = [
    ['ключ', 'значение'],
    ['键', '值 — 中文'],
    ['キー', 'バリュー'],
    ['🔑', '🎉🚀👍🏽 emoji with a modifier'],
    ['mixed-ünïcödé-键-🔑', 'Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich'],
    ['combining', 'e\u0301 a\u030a'],
  ];

  it('keys and values round-trip through connection.set/get, stored as UTF-8 on the server', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    for (const [k, v] of pairs) {
      expect(await conn.set(k, v)).toBe(true);
      expect(await conn.get(k)).toBe(v);
      const utf8 = Buffer.from(v, 'utf8');
      // The server holds the UTF-8 bytes (not UTF-16, not double-encoded).
      expect(
        (await rawGet(k)).equals(Buffer.concat([Buffer.from(`$${utf8.length}\r\n`), utf8, Buffer.from('\r\n')])),
      ).toBe(true);
    }
  });

  it('keys and values round-trip through Batch.set/Batch.get and cmd(), with byte lengths in replies', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const set = libredis.createBatch();
    for (const [k, v] of pairs) set.set(`b:${k}`, v);
    expect(await conn.execute(set)).toBe(true);
    const get = libredis.createBatch();
    for (const [k] of pairs) get.get(`b:${k}`);
    get.cmd('MGET', ...pairs.map(([k]) => `b:${k}`));
    expect(await conn.execute(get)).toBe(true);
    expect(get.values()).toEqual([...pairs.map(([, v]) => v), pairs.map(([, v]) => v)]);
    const replies = nodes(get);
    pairs.forEach(([, v], i) => {
      expect(replies[i]).toEqual({ type: ReplyType.BULK, value: v, length: Buffer.byteLength(v), level: 1 });
    });
    expect(get.values({ buffers: true })[0]).toEqual(Buffer.from(pairs[0][1], 'utf8'));
  });

  it('status and error replies with UTF-8 text decode correctly', async () => {
    const libredis = new Libredis();
    const b = libredis.createBatch().cmd('ECHO', 'ответ 🙂').cmd('EVAL', "return redis.error_reply('ошибка 🙁')", '0');
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    const [echo, err] = b.values();
    expect(echo).toBe('ответ 🙂');
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).message).toContain('ошибка 🙁');
  });
});

describe('binary keys and values', () => {
  const keys = [
    Buffer.from([0x00]),
    Buffer.from([0x61, 0x00, 0x62]),
    Buffer.from([0xff, 0xfe, 0xfd]),
    Buffer.from('a\r\nb\r\n', 'latin1'),
    Buffer.from('*1\r\n$4\r\nPING\r\n', 'latin1'),
    Buffer.from([0xc3, 0x28]), // invalid UTF-8
  ];

  it('Buffer keys with NUL, 0xff and CRLF set and get back exactly', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const set = libredis.createBatch();
    keys.forEach((k, i) => {
      set.set(k, Buffer.concat([Buffer.from([i]), k, Buffer.from([0, 0xff, 13, 10])]));
    });
    expect(await conn.execute(set)).toBe(true);
    expect(set.values()).toEqual(new Array(keys.length).fill('OK'));

    const get = libredis.createBatch();
    for (const k of keys) get.get(k);
    for (const k of keys) get.cmd('EXISTS', k);
    expect(await conn.execute(get)).toBe(true);
    const values = get.values({ buffers: true });
    keys.forEach((k, i) => {
      const expected = Buffer.concat([Buffer.from([i]), k, Buffer.from([0, 0xff, 13, 10])]);
      expect((values[i] as Buffer).equals(expected)).toBe(true);
    });
    expect(values.slice(keys.length)).toEqual(new Array(keys.length).fill(1));
    // Distinct keys on the server: a mangled key would collide or be missing.
    const list = libredis.createBatch().cmd('KEYS', '*');
    expect(await conn.execute(list)).toBe(true);
    const serverKeys = (list.values({ buffers: true })[0] as Buffer[]).map((b) => b.toString('hex'));
    for (const k of keys) expect(serverKeys).toContain(k.toString('hex'));
  });

  it('connection.get and set take Buffer keys', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const key = Buffer.from([0x00, 0x0d, 0x0a, 0xff]);
    expect(await conn.set(key, 'binary-key-value')).toBe(true);
    expect(await conn.get(key)).toBe('binary-key-value');
    expect(await conn.get(Buffer.from([0x00, 0x0d, 0x0a]))).toBeNull();
  });

  it('a value of all 256 byte values, many times over, round-trips', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const all = Buffer.alloc(256 * 300);
    for (let i = 0; i < all.length; i++) all[i] = i & 0xff;
    const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const b = libredis
      .createBatch()
      .set('all_bytes', all)
      .set('all_bytes_small', small)
      .get('all_bytes')
      .get('all_bytes_small');
    expect(await conn.execute(b)).toBe(true);
    const v = b.values({ buffers: true });
    expect((v[2] as Buffer).equals(all)).toBe(true);
    expect((v[3] as Buffer).equals(small)).toBe(true);
    b.rewind();
    b.nextReplyBuffer();
    b.nextReplyBuffer();
    const r = b.nextReplyBuffer();
    expect(r?.length).toBe(all.length);
    expect((r!.value as Buffer).equals(all)).toBe(true);
  });

  it('numbers and bigints are sent as decimal text', async () => {
    const libredis = new Libredis();
    const b = libredis
      .createBatch()
      .set('num_k', 42.5)
      .cmd('INCRBY', 'num_i', 10n ** 15n)
      .get('num_k');
    await redis.command('DEL', 'num_i');
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    expect(b.values()).toEqual(['OK', 1e15, '42.5']);
  });
});

describe('empty values and nils', () => {
  it('an empty string value is a BULK of length 0, not a nil', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await conn.set('empty_v', '')).toBe(true);
    expect(await conn.get('empty_v')).toBe('');
    expect(await redis.command('EXISTS', 'empty_v')).toBe(':1\r\n');
    const b = libredis
      .createBatch()
      .get('empty_v')
      .set('empty_buf', Buffer.alloc(0))
      .get('empty_buf')
      .get('no_such_key');
    expect(await conn.execute(b)).toBe(true);
    expect(nodes(b)).toEqual([
      { type: ReplyType.BULK, value: '', length: 0, level: 1 },
      { type: ReplyType.OK, value: 'OK', length: 2, level: 1 },
      { type: ReplyType.BULK, value: '', length: 0, level: 1 },
      { type: ReplyType.BULK_NIL, value: null, length: 0, level: 1 },
    ]);
    expect(b.values()).toEqual(['', 'OK', '', null]);
    expect(b.values({ buffers: true })[0]).toEqual(Buffer.alloc(0));
  });

  it('an empty key works', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await conn.set('', 'value of the empty key')).toBe(true);
    expect(await conn.get('')).toBe('value of the empty key');
  });

  it('empty and nil multibulks', async () => {
    await redis.command('DEL', 'empty_list');
    const libredis = new Libredis();
    const b = libredis
      .createBatch()
      .cmd('LRANGE', 'empty_list', '0', '-1')
      .cmd('EVAL', 'return {}', '0')
      .cmd('BLPOP', 'empty_list', '0.01');
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    expect(nodes(b)).toEqual([
      { type: ReplyType.MULTIBULK, value: null, length: 0, level: 1 },
      { type: ReplyType.MULTIBULK, value: null, length: 0, level: 1 },
      { type: ReplyType.MULTIBULK_NIL, value: null, length: 0, level: 1 },
    ]);
    expect(b.values()).toEqual([[], [], null]);
  });
});

describe('multibulk replies', () => {
  it('LRANGE of 100k elements decodes through nextReply() and values()', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const N = 100_000;
    const fill = libredis.createBatch().cmd('DEL', 'big_list');
    for (let start = 0; start < N; start += 1000) {
      fill.cmd('RPUSH', 'big_list', ...Array.from({ length: 1000 }, (_, i) => `element-${start + i}`));
    }
    expect(await conn.execute(fill, 15_000)).toBe(true);
    expect(fill.values().at(-1)).toBe(N);

    const b = libredis.createBatch().cmd('LRANGE', 'big_list', '0', '-1').cmd('LLEN', 'big_list');
    expect(await conn.execute(b, 15_000)).toBe(true);

    const head = b.nextReply();
    expect(head).toEqual({ type: ReplyType.MULTIBULK, value: null, length: N, level: 1 });
    for (let i = 0; i < N; i++) {
      const r = b.nextReply();
      const want = `element-${i}`;
      if (r === null || r.type !== ReplyType.BULK || r.level !== 2 || r.value !== want || r.length !== want.length) {
        expect.fail(`element ${i}: ${JSON.stringify(r)}`);
      }
    }
    expect(b.nextReply()).toEqual({ type: ReplyType.INTEGER, value: N, length: String(N).length, level: 1 });
    expect(b.nextReply()).toBeNull();

    const values = b.values();
    expect(values).toHaveLength(2);
    const list = values[0] as string[];
    expect(list).toHaveLength(N);
    for (let i = 0; i < N; i++) if (list[i] !== `element-${i}`) expect.fail(`values()[0][${i}] is ${list[i]}`);
    expect(values[1]).toBe(N);
  });

  it('nested multibulk from EVAL: levels in nextReply() and nesting in values()', async () => {
    const libredis = new Libredis();
    const b = libredis.createBatch().cmd('EVAL', "return {1, {2, {3, 'x'}}, 'y'}", '0').cmd('ECHO', 'after');
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    expect(nodes(b)).toEqual([
      { type: ReplyType.MULTIBULK, value: null, length: 3, level: 1 },
      { type: ReplyType.INTEGER, value: 1, length: 1, level: 2 },
      { type: ReplyType.MULTIBULK, value: null, length: 2, level: 2 },
      { type: ReplyType.INTEGER, value: 2, length: 1, level: 3 },
      { type: ReplyType.MULTIBULK, value: null, length: 2, level: 3 },
      { type: ReplyType.INTEGER, value: 3, length: 1, level: 4 },
      { type: ReplyType.BULK, value: 'x', length: 1, level: 4 },
      { type: ReplyType.BULK, value: 'y', length: 1, level: 2 },
      { type: ReplyType.BULK, value: 'after', length: 5, level: 1 },
    ]);
    expect(b.values()).toEqual([[1, [2, [3, 'x']], 'y'], 'after']);
  });

  it('mixed element types inside a multibulk (status, error, nil, integer) from EVAL', async () => {
    const libredis = new Libredis();
    const script = "return {redis.status_reply('FINE'), redis.error_reply('BAD thing'), false, -7, 'bulk'}";
    const b = libredis.createBatch().cmd('EVAL', script, '0');
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    expect(b.error).toBeNull();
    const [arr] = b.values() as unknown[][];
    expect(arr).toHaveLength(5);
    expect(arr[0]).toBe('FINE');
    expect(arr[1]).toBeInstanceOf(ReplyError);
    expect((arr[1] as ReplyError).message).toBe('BAD thing');
    expect(arr.slice(2)).toEqual([null, -7, 'bulk']);
    expect(nodes(b).map((r) => [r.type, r.level])).toEqual([
      [ReplyType.MULTIBULK, 1],
      [ReplyType.OK, 2],
      [ReplyType.ERROR, 2],
      [ReplyType.BULK_NIL, 2],
      [ReplyType.INTEGER, 2],
      [ReplyType.BULK, 2],
    ]);
  });

  it('HGETALL with binary fields and values', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const field = Buffer.from([0, 1, 0xff]);
    const value = Buffer.from([0xfe, 0x0d, 0x0a, 0x00]);
    const b = libredis
      .createBatch()
      .cmd('DEL', 'bin_hash')
      .cmd('HSET', 'bin_hash', field, value)
      .cmd('HGETALL', 'bin_hash');
    expect(await conn.execute(b)).toBe(true);
    expect(b.values({ buffers: true })).toEqual([expect.any(Number), 1, [field, value]]);
  });
});

describe('integer replies', () => {
  it('positive, zero, negative and large integers', async () => {
    await redis.command('DEL', 'int_a', 'int_b', 'int_c');
    const libredis = new Libredis();
    const b = libredis
      .createBatch()
      .cmd('INCRBY', 'int_a', '-42')
      .cmd('DECRBY', 'int_a', '-42')
      .cmd('DECR', 'int_b')
      .cmd('INCRBY', 'int_c', String(Number.MAX_SAFE_INTEGER))
      .cmd('DECRBY', 'int_b', String(Number.MAX_SAFE_INTEGER - 1));
    expect(await libredis.getConnection(redis.address).execute(b)).toBe(true);
    expect(b.values()).toEqual([-42, 0, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
    expect(nodes(b)).toEqual([
      { type: ReplyType.INTEGER, value: -42, length: 3, level: 1 },
      { type: ReplyType.INTEGER, value: 0, length: 1, level: 1 },
      { type: ReplyType.INTEGER, value: -1, length: 2, level: 1 },
      { type: ReplyType.INTEGER, value: Number.MAX_SAFE_INTEGER, length: 16, level: 1 },
      { type: ReplyType.INTEGER, value: -Number.MAX_SAFE_INTEGER, length: 17, level: 1 },
    ]);
  });
});

describe('error replies from the server', () => {
  it('WRONGTYPE is an ERROR reply and a ReplyError value; execute resolves true, batch.error stays null', async () => {
    await redis.command('DEL', 'a_list');
    await redis.command('RPUSH', 'a_list', 'x');
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const b = libredis.createBatch().get('a_list').cmd('LLEN', 'a_list').cmd('INCR', 'a_list').cmd('NOSUCHCOMMAND');
    expect(await conn.execute(b)).toBe(true);
    expect(b.error).toBeNull();
    expect(b.failure()).toBeNull();
    expect(libredis.lastError()).toBe('');
    const r = nodes(b);
    expect(r[0].type).toBe(ReplyType.ERROR);
    expect(r[0].level).toBe(1);
    expect(String(r[0].value)).toMatch(/^WRONGTYPE Operation against a key holding the wrong kind of value/);
    expect(r[0].length).toBe(Buffer.byteLength(String(r[0].value)));
    expect(r[1]).toEqual({ type: ReplyType.INTEGER, value: 1, length: 1, level: 1 });
    expect(r[2].type).toBe(ReplyType.ERROR);
    expect(r[3].type).toBe(ReplyType.ERROR);
    expect(String(r[3].value)).toMatch(/^ERR unknown command/);

    const values = b.values();
    expect(values[0]).toBeInstanceOf(ReplyError);
    expect((values[0] as ReplyError).message).toMatch(/^WRONGTYPE/);
    expect((values[0] as ReplyError).address).toBe(redis.address);
    expect(values[1]).toBe(1);
    expect(values[2]).toBeInstanceOf(ReplyError);
    expect(values[3]).toBeInstanceOf(ReplyError);
    // The connection is fine afterwards.
    expect(await conn.get('a_list_missing')).toBeNull();
  });

  it('connection.get rejects with a ReplyError on WRONGTYPE, and resolves null for a missing key', async () => {
    await redis.command('DEL', 'a_set');
    await redis.command('SADD', 'a_set', 'm');
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    const err = await conn.get('a_set').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReplyError);
    expect((err as ReplyError).message).toMatch(/^WRONGTYPE/);
    expect((err as ReplyError).address).toBe(redis.address);
    expect(await conn.get('definitely_missing_key')).toBeNull();
  });

  it('connection.set resolves false with the server error in lastError() (OOM under maxmemory)', async () => {
    const libredis = new Libredis();
    const conn = libredis.getConnection(redis.address);
    expect(await redis.command('CONFIG', 'SET', 'maxmemory', '1')).toBe('+OK\r\n');
    try {
      expect(await conn.set('oom_key', 'v')).toBe(false);
      expect(libredis.lastError()).toMatch(/^OOM /);
      expect(libredis.lastError()).toBe('');
      const b = libredis.createBatch().set('oom_key', 'v').cmd('ECHO', 'still fine');
      expect(await conn.execute(b)).toBe(true);
      expect(b.error).toBeNull();
      expect(b.values()).toEqual([expect.any(ReplyError), 'still fine']);
    } finally {
      await redis.command('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(await conn.set('oom_key', 'v')).toBe(true);
    expect(libredis.lastError()).toBe('');
  });
});
