// ShardedClient over three real redis-servers: placement identical to the
// Ketama ring (so to the PHP extension), routing by key positions, split
// multi-key commands, whole-ring commands, pipelines, and a dead server.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConnectionError,
  Libredis,
  ReplyError,
  type ServerSpec,
  ShardedClient,
  type ShardedTransaction,
  TimeoutError,
} from '../src/index';
import { native } from '../src/native';
import { closeFakeServers, countRequests, fakeServer } from './helpers/fake-server';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';
import { loopbackRing } from './helpers/util';

let servers: RedisServer[];
let client: ShardedClient;
beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
  client = new ShardedClient({ servers: servers.map((s) => s.address) });
});
afterAll(async () => {
  client.close();
  await closeFakeServers();
  await stopAll();
});

const byAddress = (address: string) => servers.find((s) => s.address === address)!;

/** Whether this machine has IPv6 loopback to test with. */
const ipv6Loopback = () =>
  new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });

describe('placement', () => {
  it('every key goes where a Ketama ring of the same list puts it (10,000 keys)', () => {
    const ring = loopbackRing(
      new Libredis(),
      servers.map((s) => s.port),
    );
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `place:${i}`;
      const expected = ring.getServerAddress(ring.getServerOrdinal(key));
      const actual = client.serverFor(key);
      if (actual !== expected) expect(actual).toBe(expected);
      counts.set(actual, (counts.get(actual) ?? 0) + 1);
    }
    expect(counts.size).toBe(3);
  });

  it('weights given as objects shape the ring as in PHP', () => {
    const weighted = new ShardedClient({
      servers: servers.map((s, i) => ({ host: '127.0.0.1', port: s.port, weight: [600, 300, 100][i] })),
    });
    const ring = loopbackRing(
      new Libredis(),
      servers.map((s) => s.port),
      [600, 300, 100],
    );
    for (let i = 0; i < 2000; i++)
      expect(weighted.serverFor(`w${i}`)).toBe(ring.getServerAddress(ring.getServerOrdinal(`w${i}`)));
    weighted.close();
  });

  it('an IPv6 host is named on the ring as written, and connected to bracketed', async (ctx) => {
    if (!(await ipv6Loopback())) ctx.skip();
    const six = await Promise.all([0, 1].map(() => startRedis({ extraArgs: ['--bind', '127.0.0.1', '::1'] })));
    const [p0, p1] = six.map((s) => s.port);
    // Each spelling, and the hosts PHP's add_server must be given for the same ring.
    const forms: Array<[ServerSpec[], string]> = [
      [
        [
          { host: '::1', port: p0 },
          { host: '::1', port: p1 },
        ],
        '::1',
      ],
      [[`::1:${p0}`, `::1:${p1}`], '::1'],
      [[`[::1]:${p0}`, { host: '[::1]', port: p1 }], '[::1]'],
    ];
    for (const [list, phpHost] of forms) {
      const ring = new Libredis().createKetama();
      ring.addServer(phpHost, p0, 100).addServer(phpHost, p1, 100).createContinuum();
      const v6 = new ShardedClient({ servers: list });
      expect(v6.servers).toEqual([`[::1]:${p0}`, `[::1]:${p1}`]);
      const keys = Array.from({ length: 40 }, (_, i) => `six:${i}`);
      await Promise.all(keys.map((k) => v6.set(k, `v-${k}`)));
      // Each key is on the server the PHP ring names, read back over IPv4.
      for (const k of keys) {
        const at = ring.getServerOrdinal(k);
        expect(await six[at].command('GET', k)).toBe(`$${`v-${k}`.length}\r\nv-${k}\r\n`);
        expect(await six[1 - at].command('EXISTS', k)).toBe(':0\r\n');
      }
      await v6.flushdb();
      v6.close();
    }
    await Promise.all(six.map((s) => s.stop()));
  });

  it('a host name longer than the 254-byte ring name keeps its whole port', () => {
    const host = `${'a'.repeat(60)}.`.repeat(5).slice(0, 249) + 'x'; // 250 bytes
    const long = new ShardedClient({ servers: [{ host, port: 6380 }], timeoutMs: 300 });
    expect(long.servers).toEqual([`${host}:6380`]);
    long.close();
  });

  it('a bad server in the list is a TypeError naming it, and nothing is opened', () => {
    const good = servers[0].address;
    const bad: Array<[unknown, RegExp]> = [
      ['127.0.0.1', /server 2 must be 'host:port'/],
      [':6379', /server 2 must be 'host:port'/],
      ['127.0.0.1: 6379', /port of 1-65535, got "127.0.0.1: 6379"/],
      ['127.0.0.1:0x50', /port of 1-65535/],
      ['127.0.0.1:6379.0', /port of 1-65535/],
      ['127.0.0.1:1e3', /port of 1-65535/],
      ['127.0.0.1:65536', /port of 1-65535/],
      ['127.0.0.1:0', /port of 1-65535/],
      [{ host: '127.0.0.1' }, /server 2: port must be an integer 1-65535, got undefined/],
      [{ host: '127.0.0.1', port: '6379' }, /port must be an integer/],
      [{ host: '127.0.0.1', port: 6379.5 }, /port must be an integer/],
      [{ host: '127.0.0.1', port: 6379, weight: -1 }, /server 2: weight must be a non-negative integer/],
      [{ host: '127.0.0.1', port: 6379, weight: 1.5 }, /weight must be/],
      [{ host: '', port: 6379 }, /server 2 must be 'host:port' or/],
      [{ host: '/tmp/redis.sock', port: 6379 }, /server 2: host "\/tmp\/redis.sock" cannot be used as a TCP host/],
      [{ host: 'a:b', port: 6379 }, /server 2: host "a:b" cannot be used/],
      ['[nothost]:6379', /server 2: host "\[nothost\]" cannot be used/],
      [null, /server 2 must be/],
      [42, /server 2 must be/],
    ];
    const before = native.stats().liveConnections;
    for (const [spec, message] of bad) {
      expect(() => new ShardedClient({ servers: [good, spec as never] }), String(spec)).toThrow(TypeError);
      expect(() => new ShardedClient({ servers: [good, spec as never] }), String(spec)).toThrow(message);
    }
    // A hole is a missing server, not one to skip (the ring would shift).
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(() => new ShardedClient({ servers: [good, , good] as never })).toThrow(/server 2 must be .* got undefined/);
    // Every weight 0: a ring with no points, where no key has a server.
    const zero = (port: number) => ({ host: '127.0.0.1', port, weight: 0 });
    expect(() => new ShardedClient({ servers: [zero(servers[0].port), zero(servers[1].port)] })).toThrow(
      /every server has weight 0/,
    );
    // The good first server got no connection: arguments are checked first.
    expect(native.stats().liveConnections).toBe(before);
    // The accepted forms, for contrast.
    const ok = new ShardedClient({ servers: [good, { host: '127.0.0.1', port: servers[1].port, weight: 0 }] });
    expect(ok.serverFor('x')).toMatch(/^127\.0\.0\.1:\d+$/);
    ok.close();
  });

  it('a key written through the client exists on its server only', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `only:${i}`);
    await Promise.all(keys.map((k) => client.set(k, 'v')));
    for (const key of keys) {
      const home = client.serverFor(key);
      for (const s of servers) expect(await s.command('EXISTS', key)).toBe(s.address === home ? ':1\r\n' : ':0\r\n');
    }
  });
});

describe('routing', () => {
  it('call() routes by the key positions of the command table', async () => {
    expect(await client.call('HSET', 'route:h', 'f', 'v')).toBe(1);
    expect(await byAddress(client.serverFor('route:h')).command('HGET', 'route:h', 'f')).toBe('$1\r\nv\r\n');
    expect(await client.call('ZADD', 'route:z', 1, 'a')).toBe(1);
    expect(await client.call('ZSCORE', 'route:z', 'a')).toBe('1');
  });

  it('refuses what it cannot route to one server, sending nothing', async () => {
    const [a, b] = findKeysOnDifferentServers();
    await expect(client.call('MGET', a, b)).rejects.toThrow(/live on different servers/);
    await expect(client.call('PING')).rejects.toThrow(/has no key/);
    await expect(client.call('NOSUCHCOMMAND', 'k')).rejects.toThrow(/unknown command/);
    await expect(client.get(undefined as never)).rejects.toThrow(TypeError);
  });

  it('SORT routes by its key and STORE destination, not by its BY and GET patterns', async () => {
    // A list on another server than the words used as patterns.
    const away = (word: string) => {
      for (let i = 0; ; i++) if (client.serverFor(`sort:${i}`) !== client.serverFor(word)) return `sort:${i}`;
    };
    const list = away('nosort');
    await client.call('RPUSH', list, '3', '1', '2');
    expect(await client.call('SORT', list, 'BY', 'nosort')).toEqual(['3', '1', '2']);
    expect(await client.call('SORT_RO', list, 'by', 'nosort', 'LIMIT', 0, 2)).toEqual(['3', '1']);
    // A GET pattern whose text lives on another server is a pattern too.
    let pattern = '';
    for (let i = 0; pattern === ''; i++)
      if (client.serverFor(`o${i}_*->f`) !== client.serverFor(list)) pattern = `o${i}_*->f`;
    expect(await client.call('SORT', list, 'BY', 'nosort', 'GET', '#', 'GET', pattern)).toEqual([
      '3',
      null,
      '1',
      null,
      '2',
      null,
    ]);
    // STORE's destination is a key: on the list's server it works, elsewhere it is refused.
    const [here, there] = [0, 1].map((same) => {
      for (let i = 0; ; i++) {
        const d = `sorted:${i}`;
        if ((client.serverFor(d) === client.serverFor(list)) === (same === 0)) return d;
      }
    });
    expect(await client.call('SORT', list, 'STORE', here)).toBe(3);
    expect(await client.call('LRANGE', here, 0, -1)).toEqual(['1', '2', '3']);
    // STORE in any case and as bytes (a Buffer, or a plain Uint8Array) is the same keyword.
    for (const store of ['STORE', 'store', Buffer.from('sToRe'), new Uint8Array(Buffer.from('STORE'))]) {
      await expect(client.call('SORT', list, store, there)).rejects.toThrow(/live on different servers/);
    }
    // Only ASCII letters fold, as in Redis: 'ſtore' is no keyword, so the
    // command goes to the list's server, which finds it a syntax error.
    await expect(client.call('SORT', list, '\u017ftore', there)).rejects.toThrow(ReplyError);
  });

  it('refuses commands that would change the state of the shared connection, and goes on working', async () => {
    const key = 'state:k';
    const refusals: Array<[Promise<unknown>, RegExp]> = [
      [client.call('SSUBSCRIBE', key), /SSUBSCRIBE would change the state .* no subscriber mode/],
      [client.call('WATCH', key), /WATCH would change the state .* client.watch\(key\)/],
      [client.callBuffer('sunsubscribe', key), /sunsubscribe would change/],
      [client.multi(key).read('WATCH', key), /WATCH would change/],
    ];
    for (const [refused, message] of refusals) await expect(refused).rejects.toThrow(message);
    expect(() => client.pipeline().call('WATCH', key)).toThrow(TypeError);
    expect(() => client.multi(key).call('SSUBSCRIBE', key)).toThrow(/SSUBSCRIBE would change/);
    // The connection is as it was: a plain command, and a MULTI that nobody's WATCH aborts.
    await client.set(key, 'v');
    expect(await client.get(key)).toBe('v');
    expect(await client.multi(key).call('SET', key, 'w').exec()).toEqual(['OK']);
    // A WATCH transaction's connection is its own: it may watch more there.
    const other = (() => {
      for (let i = 0; ; i++) if (client.serverFor(`state:${i}`) === client.serverFor(key)) return `state:${i}`;
    })();
    const tx = await client.watch(key);
    expect(await tx.read('WATCH', other)).toBe('OK');
    // Anything else there would spoil its EXEC.
    await expect(tx.read('SSUBSCRIBE', key)).rejects.toThrow(/SSUBSCRIBE would change the state/);
    tx.discard();
    expect(() => tx.call('SET', key, 'x')).toThrow(/already executed or discarded/);
  });

  it('transaction reads reject, rather than throw, what they cannot route', async () => {
    const tx = client.multi('tx:k');
    const refused = tx.read('PING');
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toThrow(/has no key/);
  });

  it('a missing key is named as undefined', async () => {
    await expect(client.call('GET')).rejects.toThrow(/a key must be a string, Buffer or finite number, got undefined$/);
  });

  it('get takes string, number and Buffer keys, each read from the server its key maps to', async () => {
    for (const key of ['get:s', 4242, Buffer.from('get:b')]) {
      const text = typeof key === 'number' ? String(key) : key.toString();
      await byAddress(client.serverFor(key)).command('SET', text, `v-${text}`);
      expect(await client.get(key)).toBe(`v-${text}`);
      expect(await client.getBuffer(key)).toEqual(Buffer.from(`v-${text}`));
    }
    await expect(client.get({} as never)).rejects.toThrow(TypeError);
    await expect(client.getBuffer(null as never)).rejects.toThrow(TypeError);
  });

  it('serverFor and forServer', async () => {
    const address = client.serverFor('fs:key');
    await client.set('fs:key', 'x');
    expect(await client.forServer(address).get('fs:key')).toBe('x');
    expect(() => client.forServer('127.0.0.1:1')).toThrow(TypeError);
    expect(() => client.forServer(42 as never)).toThrow(/forServer: number 42 is not one/);
    expect(client.servers).toEqual(servers.map((s) => s.address));
    // Other spellings of a server name it as they do in the constructor.
    // Nothing is sent, so these servers need not exist.
    const spelled = new ShardedClient({ servers: ['127.0.0.1:7', '::1:8', { host: 'localhost', port: 9 }] });
    try {
      expect(spelled.servers).toEqual(['127.0.0.1:7', '[::1]:8', 'localhost:9']);
      expect(spelled.forServer('127.0.0.1:07')).toBe(spelled.forServer('127.0.0.1:7'));
      expect(spelled.forServer('::1:8')).toBe(spelled.forServer('[::1]:8'));
      expect(spelled.forServer('localhost:0009')).toBe(spelled.forServer('localhost:9'));
      expect(spelled.forServer('127.0.0.1:7')).not.toBe(spelled.forServer('localhost:9'));
      expect(() => spelled.forServer('127.0.0.1:9')).toThrow(TypeError);
      expect(() => spelled.forServer('127.0.0.1:070000')).toThrow(TypeError);
    } finally {
      spelled.close();
    }
  });

  it('hash tags keep related keys together when enabled', async () => {
    const tagged = new ShardedClient({ servers: servers.map((s) => s.address), hashTag: true });
    const keys = Array.from({ length: 50 }, (_, i) => `{user:7}:field${i}`);
    expect(new Set(keys.map((k) => tagged.serverFor(k))).size).toBe(1);
    expect(tagged.serverFor('{user:7}:x')).toBe(client.serverFor('user:7'));
    // Off by default: placement of the whole key, as the PHP extension does.
    expect(new Set(keys.map((k) => client.serverFor(k))).size).toBeGreaterThan(1);
    await tagged.call('MSET', '{t}:a', '1', '{t}:b', '2');
    expect(await tagged.call('MGET', '{t}:a', '{t}:b')).toEqual(['1', '2']);
    tagged.close();
  });
});

describe('typed commands', () => {
  it('strings, expiry, hashes, lists, sets, sorted sets', async () => {
    expect(await client.set('t:s', 'v1')).toBe('OK');
    expect(await client.set('t:s', 'v2', { NX: true })).toBeNull();
    expect(await client.set('t:s', 'v3', { XX: true, EX: 100 })).toBe('OK');
    expect(await client.get('t:s')).toBe('v3');
    expect(await client.ttl('t:s')).toBeGreaterThan(90);
    expect(await client.persist('t:s')).toBe(1);
    expect(await client.ttl('t:s')).toBe(-1);
    expect(await client.incr('t:n')).toBe(1);
    expect(await client.incrby('t:n', 41)).toBe(42);
    expect(await client.decrby('t:n', 2)).toBe(40);
    expect(await client.hset('t:h', { a: '1', b: 'two' })).toBe(2);
    expect(await client.hgetall('t:h')).toEqual({ a: '1', b: 'two' });
    expect(await client.hincrby('t:h', 'a', 5)).toBe(6);
    expect(await client.hgetall('t:nothing')).toEqual({});
    // A field named __proto__ is a field, not the object's prototype.
    await client.call('HSET', 't:proto', '__proto__', 'P', 'a', '1');
    for (const [got, p] of [
      [await client.hgetall('t:proto'), 'P'],
      [await client.hgetallBuffer('t:proto'), Buffer.from('P')],
    ] as const) {
      expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      expect(Object.keys(got).sort()).toEqual(['__proto__', 'a']);
      expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual(p);
    }
    expect(await client.rpush('t:l', 'a', 'b', 'c')).toBe(3);
    expect(await client.lrange('t:l', 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await client.lpop('t:l')).toBe('a');
    expect(await client.sadd('t:set', 'x', 'y', 'x')).toBe(2);
    expect((await client.smembers('t:set')).sort()).toEqual(['x', 'y']);
    expect(
      await client.zadd('t:z', [
        [2, 'b'],
        [1, 'a'],
      ]),
    ).toBe(2);
    expect(await client.zrange('t:z', 0, -1, { withScores: true })).toEqual(['a', '1', 'b', '2']);
    expect(await client.type('t:z')).toBe('zset');
  });

  it('an error reply rejects with ReplyError naming the server', async () => {
    await client.set('t:str', 'x');
    const err = await client.lpush('t:str', 'y').catch((e) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect(err.message).toMatch(/^WRONGTYPE/);
    expect(err.address).toBe(client.serverFor('t:str'));
  });
});

describe('multi-key commands across servers', () => {
  it('mget returns values in key order, nils included, from every server', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `mg:${i}`);
    expect(new Set(keys.map((k) => client.serverFor(k))).size).toBe(3);
    await client.mset(Object.fromEntries(keys.filter((_, i) => i % 4 !== 0).map((k) => [k, `v-${k}`])));
    expect(await client.mget(keys)).toEqual(keys.map((k, i) => (i % 4 === 0 ? null : `v-${k}`)));
    for (const k of keys.slice(1, 4)) {
      expect(await byAddress(client.serverFor(k)).command('GET', k)).toBe(`$${`v-${k}`.length}\r\nv-${k}\r\n`);
    }
  });

  it('mget routes numbers, Buffers and long keys like single commands; a missing key (a hole) is a TypeError', async () => {
    const long = 'L'.repeat(70_000); // past the length at which keys are routed one by one
    const keys: Array<string | number | Buffer> = ['mk:a', 17, Buffer.from('mk:b'), long, 'mk:ж'];
    await Promise.all(keys.map((k) => client.set(k, `v${String(k).length}`)));
    expect(await client.mget(keys)).toEqual(keys.map((k) => `v${String(k).length}`));
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    await expect(client.mget(['mk:a', , 'mk:b'] as never)).rejects.toThrow(/a key must be .* got undefined/);
    await expect(client.del('mk:a', null as never)).rejects.toThrow(TypeError);
    // A number that has no decimal text to hash is not a key.
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(client.mget(['mk:a', bad])).rejects.toThrow(/finite number, got number (NaN|Infinity)/);
      await expect(client.get(bad)).rejects.toThrow(/finite number/);
    }
  });

  it('mset names a bad pair or value by its key, and sends nothing', async () => {
    const refusals: Array<[unknown, RegExp]> = [
      [[['ms:a', '1'], ['ms:b']], /mset: pair 1 must be \[key, value\], got an array/],
      [[['ms:a', '1'], 'ms:b'], /mset: pair 1 must be \[key, value\], got "ms:b"/],
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [[['ms:a', '1'], , ['ms:b', '2']], /mset: pair 1 must be \[key, value\], got undefined/],
      [[[Buffer.from('ms:c'), null]], /the value for key a Buffer of 4 bytes is null/],
      [[['ms:a', undefined]], /mset: the value for key "ms:a" is undefined; expected a string/],
      [{ 'ms:a': '1', 'ms:b': {} }, /the value for key "ms:b" is an object \(Object\)/],
    ];
    for (const [pairs, message] of refusals) await expect(client.mset(pairs as never)).rejects.toThrow(message);
    expect(await client.exists('ms:a', 'ms:b')).toBe(0);
  });

  it('mset with pairs, then exists / touch / unlink / del with summed counts', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `md:${i}`);
    expect(await client.mset(keys.map((k) => [k, k] as [string, string]))).toBe('OK');
    expect(await client.exists(...keys, 'md:none')).toBe(30);
    expect(await client.touch(...keys.slice(0, 10))).toBe(10);
    expect(await client.unlink(...keys.slice(0, 10))).toBe(10);
    expect(await client.del(...keys, 'md:none')).toBe(20);
    expect(await client.exists(...keys)).toBe(0);
    await expect(client.del()).rejects.toThrow(TypeError);
  });
});

describe('whole-ring commands', () => {
  it('ping, dbsize, keys, scanIterator and flushdb cover every server', async () => {
    const ring = new ShardedClient({ servers: servers.map((s) => s.address) });
    await ring.flushdb();
    expect(await ring.dbsize()).toBe(0);
    expect(await ring.ping()).toEqual(['PONG', 'PONG', 'PONG']);
    const keys = Array.from({ length: 500 }, (_, i) => `scan:${i}`);
    await ring.mset(keys.map((k) => [k, '1'] as [string, string]));
    await ring.set('other', '1');
    expect(await ring.dbsize()).toBe(501);
    expect((await ring.keys('scan:*')).sort()).toEqual([...keys].sort());
    const seen: string[] = [];
    for await (const key of ring.scanIterator({ match: 'scan:*', count: 50 })) seen.push(key);
    expect(new Set(seen)).toEqual(new Set(keys));
    await ring.flushdb();
    expect(await ring.dbsize()).toBe(0);
    ring.close();
  });

  it('scanIteratorBuffer gives binary keys back byte for byte', async () => {
    const ring = new ShardedClient({ servers: servers.map((s) => s.address) });
    const binary = [Buffer.from([0xff, 0xfe, 0x41]), Buffer.from([0x62, 0x00, 0xc3]), Buffer.from('bin:text')];
    const keys = binary.map((b) => Buffer.concat([Buffer.from('bin:'), b]));
    for (const k of keys) await ring.set(k, 'v');
    const seen: Buffer[] = [];
    for await (const key of ring.scanIteratorBuffer({ match: Buffer.from('bin:*'), count: 2 })) seen.push(key);
    const hex = (list: Buffer[]) => list.map((b) => b.toString('hex')).sort();
    expect(hex(seen)).toEqual(hex(keys));
    // Each can be used as the key it is.
    for (const k of seen) expect(await ring.del(k)).toBe(1);
    ring.close();
  });

  it('a server listed twice (weighing it double) is counted, listed and scanned once', async () => {
    const twice = servers[0].address;
    const ring = new ShardedClient({ servers: [twice, servers[1].address, twice] });
    await ring.flushdb();
    const keys = Array.from({ length: 200 }, (_, i) => `dup:${i}`);
    await ring.mset(keys.map((k) => [k, '1'] as [string, string]));
    expect(await ring.dbsize()).toBe(200);
    expect((await ring.keys('dup:*')).sort()).toEqual([...keys].sort());
    const seen: string[] = [];
    for await (const key of ring.scanIterator({ match: 'dup:*' })) seen.push(key);
    expect(seen.sort()).toEqual([...keys].sort());
    expect(await ring.ping()).toEqual(['PONG', 'PONG', 'PONG']); // one reply per listed server
    await ring.flushdb();
    ring.close();
  });
});

describe('pipelines', () => {
  it('mix servers, keep the queued order, and put an Error where one command failed', async () => {
    await client.set('p:str', 'text');
    const pipe = client.pipeline();
    const keys = Array.from({ length: 30 }, (_, i) => `p:${i}`);
    for (const k of keys) pipe.set(k, k);
    pipe.call('LPUSH', 'p:str', 'x');
    for (const k of keys) pipe.get(k);
    pipe.incr('p:ctr').incr('p:ctr');
    expect(pipe.length).toBe(63);
    const results = await pipe.exec();
    expect(results.slice(0, 30)).toEqual(new Array(30).fill('OK'));
    expect(results[30]).toBeInstanceOf(ReplyError);
    expect(results.slice(31, 61)).toEqual(keys);
    expect(results.slice(61)).toEqual([1, 2]);
    expect(pipe.length).toBe(0);
    expect(await client.pipeline().exec()).toEqual([]);
  });
});

describe('a server that is down', () => {
  it('fails only the commands for its keys, with a ConnectionError naming it', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const partial = new ShardedClient({ servers: [servers[0].address, dead], timeoutMs: 2000 });
    const keys = Array.from({ length: 40 }, (_, i) => `down:${i}`);
    const live = keys.filter((k) => partial.serverFor(k) !== dead);
    const gone = keys.filter((k) => partial.serverFor(k) === dead);
    expect(live.length).toBeGreaterThan(0);
    expect(gone.length).toBeGreaterThan(0);
    const results = await Promise.allSettled(keys.map((k) => partial.set(k, 'v')));
    results.forEach((r, i) => {
      if (partial.serverFor(keys[i]) === dead) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConnectionError);
        expect((r as PromiseRejectedResult).reason.address).toBe(dead);
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: 'OK' });
      }
    });
    const pipe = partial.pipeline();
    for (const k of keys) pipe.get(k);
    const got = await pipe.exec();
    keys.forEach((k, i) => {
      if (partial.serverFor(k) === dead) expect(got[i]).toBeInstanceOf(ConnectionError);
      else expect(got[i]).toBe('v');
    });
    await expect(partial.mget(keys)).rejects.toThrow(ConnectionError);
    expect(await partial.mget(live)).toEqual(live.map(() => 'v'));
    partial.close();
  });
});

describe('timeouts', () => {
  it("watch rejects by the client's timeoutMs on a stalled server, and closes the connection it opened when WATCH fails", async () => {
    const stalled = await fakeServer(() => {}); // accepts, reads, never answers
    const slow = new ShardedClient({ servers: [stalled.address], timeoutMs: 300 });
    const started = performance.now();
    await expect(slow.watch('watch:stalled')).rejects.toBeInstanceOf(TimeoutError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000); // not the 5 s default of connection.call
    slow.close();

    // An error reply leaves the socket healthy: only closing it frees it.
    const refusing = await fakeServer((_chunk, socket) => socket.write('-ERR no watching here\r\n'));
    const sharded = new ShardedClient({ servers: [refusing.address], timeoutMs: 2000 });
    const sockets = () => native.stats().openSockets;
    const before = sockets();
    await expect(sharded.watch('watch:refused')).rejects.toThrow('no watching here');
    // The poll thread closes it; wait for that, bounded.
    for (let i = 0; i < 100 && sockets() > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets()).toBe(before);
    sharded.close();
  });

  it('each command settles within timeoutMs when its server stalls; the other server is unaffected', async () => {
    const stalled = await fakeServer(() => {}); // accepts, reads, never answers
    const sharded = new ShardedClient({ servers: [servers[0].address, stalled.address], timeoutMs: 300 });
    const keys = Array.from({ length: 30 }, (_, i) => `stall:${i}`);
    const slow = keys.filter((k) => sharded.serverFor(k) === stalled.address);
    const fast = keys.filter((k) => sharded.serverFor(k) !== stalled.address);
    expect(slow.length).toBeGreaterThan(0);
    expect(fast.length).toBeGreaterThan(0);
    const started = performance.now();
    const results = await Promise.allSettled([
      ...keys.map((k) => sharded.get(k)),
      sharded.mget(keys),
      sharded.pipeline().get(slow[0]).get(fast[0]).exec(),
    ]);
    const elapsed = performance.now() - started;
    keys.forEach((k, i) => {
      const r = results[i];
      if (slow.includes(k)) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(TimeoutError);
        expect(reason.address).toBe(stalled.address);
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: null });
      }
    });
    expect((results[keys.length] as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
    const piped = (results[keys.length + 1] as PromiseFulfilledResult<unknown[]>).value;
    expect(piped[0]).toBeInstanceOf(TimeoutError);
    expect(piped[1]).toBeNull();
    // Settled by the deadline, not by some later event (generous bound for a loaded CI machine).
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
    sharded.close();
  });
});

describe('Buffer variants', () => {
  it('getBuffer, mgetBuffer, hgetBuffer, hgetallBuffer, lrangeBuffer, callBuffer and pipeline buffers keep bytes', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3]); // not valid UTF-8
    const keys = Array.from({ length: 12 }, (_, i) => `buf:${i}`);
    await client.mset(keys.map((k, i) => [k, Buffer.concat([bytes, Buffer.from([i])])] as [string, Buffer]));
    const one = await client.getBuffer(keys[3]);
    expect(Buffer.isBuffer(one)).toBe(true);
    expect(one).toEqual(Buffer.concat([bytes, Buffer.from([3])]));
    expect(await client.getBuffer('buf:missing')).toBeNull();
    // The string variant cannot keep these bytes.
    expect(Buffer.from((await client.get(keys[3])) as string)).not.toEqual(one);

    const many = await client.mgetBuffer([...keys, 'buf:missing']);
    expect(new Set(keys.map((k) => client.serverFor(k))).size).toBeGreaterThan(1);
    expect(many.slice(0, keys.length)).toEqual(keys.map((_, i) => Buffer.concat([bytes, Buffer.from([i])])));
    expect(many[keys.length]).toBeNull();

    await client.hset('buf:h', { a: bytes, b: 'text' });
    expect(await client.hgetBuffer('buf:h', 'a')).toEqual(bytes);
    expect(await client.hgetallBuffer('buf:h')).toEqual({ a: bytes, b: Buffer.from('text') });
    await client.rpush('buf:l', bytes, 'x');
    expect(await client.lrangeBuffer('buf:l', 0, -1)).toEqual([bytes, Buffer.from('x')]);
    expect(await client.callBuffer('GETRANGE', keys[0], 0, 1)).toEqual(bytes.subarray(0, 2));
    expect(await client.callBuffer('SET', 'buf:s', bytes)).toEqual(Buffer.from('OK'));
    expect(await client.callBuffer('STRLEN', 'buf:s')).toBe(bytes.length);
    await expect(client.callBuffer('INCR', 'buf:s')).rejects.toThrow(ReplyError);

    const piped = await client.pipeline().get(keys[0]).get(keys[1]).incr('buf:n').exec({ buffers: true });
    expect(piped).toEqual([Buffer.concat([bytes, Buffer.from([0])]), Buffer.concat([bytes, Buffer.from([1])]), 1]);
    await client.del(...keys, 'buf:h', 'buf:l', 'buf:s', 'buf:n');
  });

  it('Connection.getBuffer and callBuffer', async () => {
    const connection = new Libredis().getConnection(servers[0].address);
    const bytes = Buffer.from([0xff, 0x00, 0x81]);
    expect(await connection.call('SET', 'cbuf', bytes)).toBe('OK');
    expect(await connection.getBuffer('cbuf')).toEqual(bytes);
    expect(await connection.callBuffer('MGET', 'cbuf', 'cbuf:none')).toEqual([bytes, null]);
    await expect(connection.getBuffer('cbuf', -1)).rejects.toThrow(TypeError);
    connection.close();
  });
});

describe('auto-pipelining', () => {
  it('commands issued in one tick to one server go out together', async () => {
    // Each fake server answers only once it holds every request meant for it:
    // a client that sent them one at a time, waiting for each reply, would
    // time out instead.
    const expected = new Map<number, number>();
    const fakes = await Promise.all(
      [0, 1].map(() =>
        fakeServer((_chunk, socket, state) => {
          const want = expected.get(socket.localPort ?? 0) ?? -1;
          if (countRequests(state.received) === want) for (let i = 0; i < want; i++) socket.write('$2\r\nok\r\n');
        }),
      ),
    );
    const sharded = new ShardedClient({ servers: fakes.map((f) => f.address), timeoutMs: 3000 });
    const keys = Array.from({ length: 40 }, (_, i) => `ap:${i}`);
    for (const f of fakes) expected.set(f.port, keys.filter((k) => sharded.serverFor(k) === f.address).length);
    expect([...expected.values()].every((n) => n > 0)).toBe(true);
    expect(await Promise.all(keys.map((k) => sharded.get(k)))).toEqual(keys.map(() => 'ok'));
    sharded.close();
  });
});

function findKeysOnDifferentServers(): [string, string] {
  const first = 'diff:0';
  for (let i = 1; i < 100; i++)
    if (client.serverFor(`diff:${i}`) !== client.serverFor(first)) return [first, `diff:${i}`];
  throw new Error('no two keys on different servers');
}

describe('scripts', () => {
  it('eval and evalsha run on the server of their keys; keys on two servers are refused', async () => {
    const tagged = new ShardedClient({ servers: servers.map((s) => s.address), hashTag: true });
    await tagged.set('{s}:a', '5');
    expect(await tagged.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ['{s}:a'], [3])).toBe(8);
    expect(await tagged.eval('return {KEYS[1], KEYS[2]}', ['{s}:a', '{s}:b'])).toEqual(['{s}:a', '{s}:b']);
    const [a, b] = findKeysOnDifferentServers();
    await expect(client.eval('return 1', [a, b])).rejects.toThrow(/live on different servers/);
    tagged.close();
  });

  it('defineScript uses EVALSHA and falls back to EVAL on NOSCRIPT', async () => {
    const lua = "return redis.call('GET', KEYS[1]) .. ARGV[1]";
    const sha1 = (await import('node:crypto')).createHash('sha1').update(lua).digest('hex');
    const script = client.defineScript(lua);
    await client.set('sc:k', 'value-');
    const home = client.forServer(client.serverFor('sc:k'));
    await home.call('SCRIPT', 'FLUSH');
    expect(await home.call('SCRIPT', 'EXISTS', sha1)).toEqual([0]);
    expect(await script(['sc:k'], ['1'])).toBe('value-1'); // NOSCRIPT, then EVAL loads it
    expect(await home.call('SCRIPT', 'EXISTS', sha1)).toEqual([1]);
    expect(await script(['sc:k'], ['2'])).toBe('value-2'); // EVALSHA
    await expect(client.evalsha('0'.repeat(40), ['sc:k'])).rejects.toThrow(/NOSCRIPT/);
  });
});

describe('transactions', () => {
  it('multi(key) runs MULTI/EXEC on the key server and refuses keys from elsewhere', async () => {
    const key = 'tx:counter';
    await client.del(key);
    const tx = client.multi(key);
    expect(tx.address).toBe(client.serverFor(key));
    tx.call('INCR', key).call('INCRBY', key, 10).call('GET', key);
    const elsewhere = Array.from({ length: 100 }, (_, i) => `tx:other:${i}`).find(
      (k) => client.serverFor(k) !== tx.address,
    )!;
    expect(() => tx.call('SET', elsewhere, 'x')).toThrow(/not on .* where this transaction runs/);
    // A multi() watches nothing, so its exec() is typed never to be null (checked by tsc).
    expectTypeOf<Awaited<ReturnType<typeof tx.exec>>>().not.toBeNullable();
    const [incr, incrBy, get] = await tx.exec();
    expect([incr, incrBy, get]).toEqual([1, 11, '11']);
    await expect(tx.exec()).rejects.toThrow(/already executed/);
  });

  it('a command refused at run time is an Error in the results; one refused when queued aborts it all', async () => {
    const key = 'tx:str';
    await client.set(key, 'text');
    const results = await client.multi(key).call('LPUSH', key, 'x').call('GET', key).exec();
    expect(results[0]).toBeInstanceOf(ReplyError);
    expect((results[0] as Error).message).toMatch(/^WRONGTYPE/);
    expect(results[1]).toBe('text');
    const aborted = client.multi(key).call('SET', key, 'a').call('SET', key);
    await expect(aborted.exec()).rejects.toThrow(/EXECABORT.*wrong number of arguments/);
    expect(await client.get(key)).toBe('text');
  });

  it('watch: the transaction is aborted (null) when a watched key changes, and runs when it does not', async () => {
    const key = 'tx:watched';
    await client.set(key, '1');
    const tx = await client.watch(key);
    expectTypeOf<Awaited<ReturnType<typeof tx.exec>>>().toBeNullable();
    expectTypeOf(tx).toEqualTypeOf<ShardedTransaction>(); // the plain name still fits a watch() one
    expect(await tx.read('GET', key)).toBe('1');
    await client.set(key, 'changed by someone else');
    tx.call('SET', key, '2');
    expect(await tx.exec()).toBeNull();
    expect(await client.get(key)).toBe('changed by someone else');

    const calm = await client.watch(key);
    const current = (await calm.read('GET', key)) as string;
    calm.call('SET', key, `${current}!`);
    expect(await calm.exec()).toEqual(['OK']);
    expect(await client.get(key)).toBe('changed by someone else!');
  });

  it('watch connections are closed by exec, discard and close(), and a finished one is not reopened', async () => {
    const live = () => native.stats().openSockets;
    const pause = () => new Promise((r) => setTimeout(r, 10));
    // The poll thread closes sockets in its own time: wait (up to 1 s) for
    // the count wanted, or for one that holds still, before reading it.
    const settled = async (want?: number) => {
      let last = -1;
      for (let i = 0; i < 100 && (want === undefined ? live() !== last : live() !== want); i++) {
        last = live();
        await pause();
      }
      return live();
    };
    const before = await settled();
    const own = new ShardedClient({ servers: servers.map((s) => s.address) });
    await own.set('tx:w', '1'); // its shared connection to that server is up
    const base = await settled();
    const done = await own.watch('tx:w');
    expect(live()).toBe(base + 1);
    done.discard();
    await expect(done.read('GET', 'tx:w')).rejects.toThrow(/already executed or discarded/);
    const ran = await own.watch('tx:w');
    ran.call('SET', 'tx:w', '2');
    expect(await ran.exec()).toEqual(['OK']);
    await expect(ran.read('GET', 'tx:w')).rejects.toThrow(/already executed or discarded/);
    expect(await settled(base)).toBe(base);
    // close() takes unfinished ones with it: one handed out, and one still sending its WATCH.
    const open = await own.watch('tx:w');
    const sending = own.watch('tx:w');
    own.close();
    await expect(sending).rejects.toThrow(ConnectionError);
    open.call('SET', 'tx:w', '3');
    await expect(open.exec()).rejects.toThrow(ConnectionError);
    expect(await settled(before)).toBe(before);
    expect(await client.get('tx:w')).toBe('2');
  });
});
