// Workload definitions. Every row has one factory per client; a factory runs
// once (setup) and returns `op`, an async function doing one unit of work and
// returning how many operations it did. Each op checks a reply cheaply and
// throws on a wrong one, so a broken client cannot post a fast number.
//
// Data layout (loaded by preload()):
//   server a: GET keyspace key:000000000000 .. key:000000009999, 100-byte values
//             (the same names redis-benchmark -r 10000 uses, so it reads the same keys)
//   servers a+b: user:0 .. user:9999 placed by our Ketama ring (workload 4)
//   server c: SET target (all SET workloads), so GET values never change size

import { prng } from '../test/helpers/shared.mjs';

export const GET_KEYSPACE = 10_000;
export const VALUE_SIZE = 100;
export const USER_KEYS = 10_000;
export const MGET_KEYS = 200;

const pad12 = (i) => String(i).padStart(12, '0');
/** The value stored under `key`: the key, '=', then filler to 100 bytes. */
export const valueFor = (key) => `${key}=`.padEnd(VALUE_SIZE, 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3));

export const GET_KEYS = Array.from({ length: GET_KEYSPACE }, (_, i) => `key:${pad12(i)}`);
export const GET_VALUES = GET_KEYS.map(valueFor);

const USER_KEY_LIST = Array.from({ length: USER_KEYS }, (_, i) => `user:${i}`);
/** 50 sets of 200 distinct user keys, in shuffled order (as an application would ask). */
const MGET_SETS = (() => {
  const rnd = prng(42);
  const keys = USER_KEY_LIST.slice();
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const sets = [];
  for (let i = 0; i + MGET_KEYS <= keys.length; i += MGET_KEYS) sets.push(keys.slice(i, i + MGET_KEYS));
  return sets;
})();

function fail(what, got, want) {
  const show = (v) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 40)}...` : String(v));
  throw new Error(`${what}: got ${show(got)}, expected ${show(want)}`);
}

/** Loads every key, through a plain ioredis pipeline (independent of the core under test). */
export async function preload(ctx) {
  const { io, ketama } = ctx;
  const p = io.a.pipeline();
  for (let i = 0; i < GET_KEYSPACE; i++) p.set(GET_KEYS[i], GET_VALUES[i]);
  await p.exec();
  const shards = [io.a.pipeline(), io.b.pipeline()];
  for (const key of USER_KEY_LIST) shards[ketama.getServerOrdinal(key)].set(key, valueFor(key));
  await Promise.all(shards.map((s) => s.exec()));
  for (const [name, c] of Object.entries({ a: io.a, b: io.b })) {
    const n = await c.dbsize();
    if (n === 0) throw new Error(`preload: server ${name} is empty`);
  }
  const probe = await io.a.get(GET_KEYS[1234]);
  if (probe !== GET_VALUES[1234]) fail('preload check', probe, GET_VALUES[1234]);
}

// ---------------------------------------------------------------------------
// 1. one batch of 1000 GETs, every reply read

/**
 * One round of workload 1 for libredis: `n` GETs in `batch` on server a,
 * every reply read, one value checked (which one moves with `round`).
 * Also drives the memory run, so both measure the same thing.
 */
export async function libredisGetRound(conn, batch, n, round) {
  const base = (round % (GET_KEYSPACE / n)) * n;
  const check = round % n;
  for (let i = 0; i < n; i++) batch.get(GET_KEYS[base + i]);
  if (!(await conn.a.execute(batch, 30_000))) throw new Error(`execute failed: ${batch.error}`);
  let read = 0;
  let seen;
  let r;
  while ((r = batch.nextReply()) !== null) {
    if (read === check) seen = r.value;
    read++;
  }
  if (read !== n) fail('reply count', read, n);
  if (seen !== GET_VALUES[base + check]) fail(`reply ${check}`, seen, GET_VALUES[base + check]);
}

function getBatchRow(n) {
  const rounds = GET_KEYSPACE / n;
  return {
    id: 'get-batch',
    target: 1,
    title: `GET batch of ${n}`,
    short: `${n} GETs, 1 batch`,
    chart: `${n}-GET batch`,
    unit: 'GET/s',
    clients: {
      libredis: ({ libredis, conn }) => {
        const batch = libredis.createBatch();
        let round = 0;
        return async () => {
          await libredisGetRound(conn, batch, n, round++);
          return n;
        };
      },
      ioredis: ({ io }) => {
        let round = 0;
        return async () => {
          const base = (round % rounds) * n;
          const check = round % n;
          round++;
          const p = io.a.pipeline();
          for (let i = 0; i < n; i++) p.get(GET_KEYS[base + i]);
          const res = await p.exec();
          if (res.length !== n) fail('reply count', res.length, n);
          if (res[check][1] !== GET_VALUES[base + check])
            fail(`reply ${check}`, res[check][1], GET_VALUES[base + check]);
          return n;
        };
      },
      'node-redis': ({ nr }) => {
        // multi().execAsPipeline(): a plain pipeline (no MULTI/EXEC). Measured
        // several times faster in node-redis 6 than issuing the 1000 gets in
        // one tick and awaiting Promise.all (its auto-pipelining).
        let round = 0;
        return async () => {
          const base = (round % rounds) * n;
          const check = round % n;
          round++;
          const m = nr.a.multi();
          for (let i = 0; i < n; i++) m.get(GET_KEYS[base + i]);
          const res = await m.execAsPipeline();
          if (res.length !== n) fail('reply count', res.length, n);
          if (res[check] !== GET_VALUES[base + check]) fail(`reply ${check}`, res[check], GET_VALUES[base + check]);
          return n;
        };
      },
    },
    rb: { server: 'a', test: 'get', pipeline: n, keyspace: GET_KEYSPACE, guess: 800_000 },
  };
}

// ---------------------------------------------------------------------------
// 2. a single awaited GET, sequentially

const singleGetRow = {
  id: 'get-single',
  target: 2,
  title: 'single awaited GET',
  short: '1 GET, awaited',
  chart: '1 awaited GET',
  unit: 'GET/s',
  clients: {
    libredis: ({ conn }) => {
      let i = 0;
      return async () => {
        const k = i++ % GET_KEYSPACE;
        const v = await conn.a.get(GET_KEYS[k]);
        if (v !== GET_VALUES[k]) fail('GET', v, GET_VALUES[k]);
        return 1;
      };
    },
    ioredis: ({ io }) => {
      let i = 0;
      return async () => {
        const k = i++ % GET_KEYSPACE;
        const v = await io.a.get(GET_KEYS[k]);
        if (v !== GET_VALUES[k]) fail('GET', v, GET_VALUES[k]);
        return 1;
      };
    },
    'node-redis': ({ nr }) => {
      let i = 0;
      return async () => {
        const k = i++ % GET_KEYSPACE;
        const v = await nr.a.get(GET_KEYS[k]);
        if (v !== GET_VALUES[k]) fail('GET', v, GET_VALUES[k]);
        return 1;
      };
    },
  },
  rb: { server: 'a', test: 'get', pipeline: 1, keyspace: GET_KEYSPACE, guess: 30_000 },
};

// ---------------------------------------------------------------------------
// 3. 50 concurrent GETs on one connection

/**
 * An op that issues `n` GETs at once (the next `n` of `keys`) and checks one
 * reply against `want(index)`; the concurrent rows of every client use it.
 */
function concurrentGets(n, keys, want, get) {
  const rounds = keys.length / n;
  let round = 0;
  const pending = new Array(n);
  return async () => {
    const base = (round % rounds) * n;
    const check = round % n;
    round++;
    for (let i = 0; i < n; i++) pending[i] = get(keys[base + i]);
    const res = await Promise.all(pending);
    if (res[check] !== want(base + check)) fail(`reply ${check}`, res[check], want(base + check));
    return n;
  };
}

function concurrentRow(n) {
  const make = (get) => concurrentGets(n, GET_KEYS, (i) => GET_VALUES[i], get);
  return {
    id: 'get-concurrent',
    target: 3,
    title: `${n} concurrent GETs`,
    short: `${n} concurrent GETs`,
    chart: `${n} concurrent GETs`,
    unit: 'GET/s',
    clients: {
      libredis: (ctx) => make((k) => ctx.conn.a.get(k)),
      ioredis: (ctx) => make((k) => ctx.io.a.get(k)),
      'node-redis': (ctx) => make((k) => ctx.nr.a.get(k)),
    },
    rb: { server: 'a', test: 'get', pipeline: n, keyspace: GET_KEYSPACE, guess: 300_000 },
  };
}

// ---------------------------------------------------------------------------
// 4. test.php: MGET of 200 keys sharded by Ketama over 2 servers

/**
 * Splits keys by our ring; every client uses this, so placement is
 * identical. With `at`, also records each key's position in `keys`.
 */
function split(ketama, keys, at) {
  const parts = [[], []];
  for (let i = 0; i < keys.length; i++) {
    const s = ketama.getServerOrdinal(keys[i]);
    parts[s].push(keys[i]);
    at?.[s].push(i);
  }
  return parts;
}

function checkMget(parts, values, round) {
  for (let s = 0; s < parts.length; s++) {
    const vals = values[s];
    if (parts[s].length === 0) continue;
    if (!Array.isArray(vals) || vals.length !== parts[s].length)
      fail(`MGET on shard ${s}: value count`, vals?.length, parts[s].length);
  }
  const s = parts[0].length > 0 ? 0 : 1;
  const j = round % parts[s].length;
  const want = valueFor(parts[s][j]);
  if (values[s][j] !== want) fail(`MGET value of ${parts[s][j]}`, values[s][j], want);
}

const shardedMgetRow = {
  id: 'mget-sharded',
  target: 4,
  title: `sharded MGET of ${MGET_KEYS} keys (2 servers)`,
  short: `MGET ${MGET_KEYS} keys, Ketama, 2 servers`,
  chart: `sharded MGET ${MGET_KEYS}`,
  unit: 'keys/s',
  clients: {
    libredis: ({ libredis, ketama, conn }) => {
      const connections = [conn.a, conn.b];
      let round = 0;
      return async () => {
        const parts = split(ketama, MGET_SETS[round % MGET_SETS.length]);
        const executor = libredis.createExecutor();
        const batches = [null, null];
        for (let s = 0; s < 2; s++) {
          if (parts[s].length === 0) continue;
          batches[s] = libredis.createBatch().cmd('MGET', ...parts[s]);
          executor.add(connections[s], batches[s]);
        }
        if (!(await executor.execute(5000)))
          throw new Error(`executor failed: ${batches.find((b) => b?.error)?.error}`);
        checkMget(
          parts,
          batches.map((b) => (b === null ? [] : b.values()[0])),
          round++,
        );
        return MGET_KEYS;
      };
    },
    ioredis: ({ ketama, io }) => {
      const clients = [io.a, io.b];
      let round = 0;
      return async () => {
        const parts = split(ketama, MGET_SETS[round % MGET_SETS.length]);
        const values = await Promise.all(parts.map((p, s) => (p.length === 0 ? [] : clients[s].mget(p))));
        checkMget(parts, values, round++);
        return MGET_KEYS;
      };
    },
    'node-redis': ({ ketama, nr }) => {
      const clients = [nr.a, nr.b];
      let round = 0;
      return async () => {
        const parts = split(ketama, MGET_SETS[round % MGET_SETS.length]);
        const values = await Promise.all(parts.map((p, s) => (p.length === 0 ? [] : clients[s].mGet(p))));
        checkMget(parts, values, round++);
        return MGET_KEYS;
      };
    },
  },
  rb: null,
};

// ---------------------------------------------------------------------------
// 7. ShardedClient, the command-level API, over the same two servers. The
// peers route with our ring (one client per server) and, for MGET, put the
// values back in key order, which is what ShardedClient returns.

function shardedGetRow(n) {
  const make = (get) => concurrentGets(n, USER_KEY_LIST, (i) => valueFor(USER_KEY_LIST[i]), get);
  return {
    id: 'sharded-get',
    target: 7,
    title: `ShardedClient: ${n} concurrent GETs over 2 servers`,
    short: `client.get x${n}, 2 servers`,
    chart: `sharded get x${n}`,
    unit: 'GET/s',
    clients: {
      libredis: ({ sharded }) => make((k) => sharded.get(k)),
      ioredis: ({ ketama, io }) => {
        const clients = [io.a, io.b];
        return make((k) => clients[ketama.getServerOrdinal(k)].get(k));
      },
      'node-redis': ({ ketama, nr }) => {
        const clients = [nr.a, nr.b];
        return make((k) => clients[ketama.getServerOrdinal(k)].get(k));
      },
    },
    rb: null,
  };
}

/** MGET through one client per server, values put back in key order. */
function peerMget(ketama, clients, mget) {
  let round = 0;
  return async () => {
    const keys = MGET_SETS[round % MGET_SETS.length];
    const at = [[], []];
    const parts = split(ketama, keys, at);
    const values = await Promise.all(parts.map((p, s) => (p.length === 0 ? [] : mget(clients[s], p))));
    const out = new Array(keys.length);
    for (let s = 0; s < 2; s++) for (let j = 0; j < at[s].length; j++) out[at[s][j]] = values[s][j];
    checkOrdered(keys, out, round++);
    return MGET_KEYS;
  };
}

function checkOrdered(keys, values, round) {
  if (values.length !== keys.length) fail('MGET value count', values.length, keys.length);
  const j = round % keys.length;
  if (values[j] !== valueFor(keys[j])) fail(`MGET value of ${keys[j]}`, values[j], valueFor(keys[j]));
}

const shardedMgetClientRow = {
  id: 'sharded-mget',
  target: 7,
  title: `ShardedClient: mget of ${MGET_KEYS} keys over 2 servers, in key order`,
  short: `client.mget ${MGET_KEYS} keys`,
  chart: `sharded mget ${MGET_KEYS}`,
  unit: 'keys/s',
  clients: {
    libredis: ({ sharded }) => {
      let round = 0;
      return async () => {
        const keys = MGET_SETS[round % MGET_SETS.length];
        checkOrdered(keys, await sharded.mget(keys), round++);
        return MGET_KEYS;
      };
    },
    ioredis: ({ ketama, io }) => peerMget(ketama, [io.a, io.b], (c, p) => c.mget(p)),
    'node-redis': ({ ketama, nr }) => peerMget(ketama, [nr.a, nr.b], (c, p) => c.mGet(p)),
  },
  rb: null,
};

// ---------------------------------------------------------------------------
// 5. SET of 100 B, 4 KB and 1 MB values, pipelined alike for every client

function setRow(size, label, depth, keyspace, guess) {
  const keys = Array.from({ length: keyspace }, (_, i) => `key:${pad12(i)}`);
  const value = Buffer.alloc(size);
  for (let i = 0; i < size; i++) value[i] = 97 + (i % 26);
  const rounds = Math.floor(keyspace / depth);
  return {
    id: `set-${label.replace(' ', '').toLowerCase()}`,
    target: 5,
    title: `SET ${label} values, pipeline ${depth}`,
    short: `SET ${label} (P${depth})`,
    chart: `SET ${label}, P${depth}`,
    unit: 'SET/s',
    bytes: size,
    clients: {
      libredis: ({ libredis, conn }) => {
        const batch = libredis.createBatch();
        let round = 0;
        return async () => {
          const base = (round++ % rounds) * depth;
          for (let i = 0; i < depth; i++) batch.set(keys[base + i], value);
          if (!(await conn.c.execute(batch, 30_000))) throw new Error(`execute failed: ${batch.error}`);
          let read = 0;
          let r;
          while ((r = batch.nextReply()) !== null) {
            if (r.type !== 1 /* OK */) fail(`SET reply ${read}`, r.value, 'OK');
            read++;
          }
          if (read !== depth) fail('reply count', read, depth);
          return depth;
        };
      },
      ioredis: ({ io }) => {
        let round = 0;
        return async () => {
          const base = (round++ % rounds) * depth;
          const p = io.c.pipeline();
          for (let i = 0; i < depth; i++) p.set(keys[base + i], value);
          const res = await p.exec();
          if (res.length !== depth) fail('reply count', res.length, depth);
          if (res[depth - 1][1] !== 'OK') fail('SET reply', res[depth - 1][1], 'OK');
          return depth;
        };
      },
      'node-redis': ({ nr }) => {
        let round = 0;
        return async () => {
          const base = (round++ % rounds) * depth;
          const m = nr.c.multi();
          for (let i = 0; i < depth; i++) m.set(keys[base + i], value);
          const res = await m.execAsPipeline();
          if (res.length !== depth) fail('reply count', res.length, depth);
          if (res[depth - 1] !== 'OK') fail('SET reply', res[depth - 1], 'OK');
          return depth;
        };
      },
    },
    rb: { server: 'c', test: 'set', pipeline: depth, keyspace, dataSize: size, guess },
  };
}

// ---------------------------------------------------------------------------
// 6. Ketama lookups from JS (ours only)

const LOOKUP_KEYS = (() => {
  const rnd = prng(7);
  return Array.from({ length: 100_000 }, () => `user:${100000 + Math.floor(rnd() * 900000)}`);
})();

/** The ring the lookup rows use: test.php's for 8 servers, two equal servers otherwise. */
function lookupRing(libredis, servers) {
  const ring = libredis.createKetama();
  const weights = servers === 8 ? [600, 300, 200, 350, 1000, 800, 950, 100] : [100, 100];
  weights.forEach((w, i) => {
    ring.addServer(`10.0.1.${i + 1}`, 11211, w);
  });
  return ring.createContinuum();
}

const LOOP_SOURCE = 'let sum = 0; for (let i = from; i < to; i++) sum += ring.getServerOrdinal(keys[i]); return sum;';

/**
 * The lookup loop, compiled apart for each row (the source differs by its
 * first line, so V8's cache for `new Function` does not hand back a shared
 * one). As in an application, where a call site looks keys up on its one
 * ring; a call site that sees several rings calls through V8's generic path,
 * which the "one call site, two rings" row measures.
 */
function lookupLoop(label) {
  return new Function('ring', 'keys', 'from', 'to', `// ${label}\n${LOOP_SOURCE}`);
}

function ketamaRow(servers) {
  const CHUNK = 20_000;
  return {
    id: `ketama-${servers}`,
    target: 6,
    title: `Ketama getServerOrdinal, ${servers}-server ring`,
    short: `Ketama lookup, ${servers} servers`,
    unit: 'lookups/s',
    clients: {
      libredis: ({ libredis }) => {
        const ring = lookupRing(libredis, servers);
        // expected per-chunk ordinal sums, computed once; also checks every ordinal is in range
        const chunks = LOOKUP_KEYS.length / CHUNK;
        const expected = [];
        const hit = new Array(servers).fill(0);
        for (let c = 0; c < chunks; c++) {
          let sum = 0;
          for (let i = c * CHUNK; i < (c + 1) * CHUNK; i++) {
            const o = ring.getServerOrdinal(LOOKUP_KEYS[i]);
            if (!(o >= 0 && o < servers)) fail(`ordinal of ${LOOKUP_KEYS[i]}`, o, `0..${servers - 1}`);
            hit[o]++;
            sum += o;
          }
          expected.push(sum);
        }
        if (hit.some((h) => h === 0)) fail('ring spread', hit.join('/'), 'every server used');
        const sumOrdinals = lookupLoop(`ketama-${servers}`);
        let c = 0;
        return () => {
          const from = (c % chunks) * CHUNK;
          const sum = sumOrdinals(ring, LOOKUP_KEYS, from, from + CHUNK);
          if (sum !== expected[c % chunks]) fail('ordinal sum', sum, expected[c % chunks]);
          c++;
          return CHUNK;
        };
      },
    },
    rb: null,
  };
}

/**
 * The cost of a call site shared by rings (reported, not a target check):
 * one loop looks keys up on the 2-server ring, then on the 8-server one.
 */
const ketamaSharedSiteRow = {
  id: 'ketama-shared-site',
  target: 6,
  check: false,
  title: 'Ketama getServerOrdinal, one call site for a 2- and an 8-server ring',
  short: 'Ketama lookup, 2 rings at 1 site',
  unit: 'lookups/s',
  clients: {
    libredis: ({ libredis }) => {
      const rings = [lookupRing(libredis, 2), lookupRing(libredis, 8)];
      const sumOrdinals = lookupLoop('ketama-shared-site');
      const HALF = 10_000;
      const expected = rings.map((ring) => {
        let sum = 0;
        for (let i = 0; i < HALF; i++) sum += ring.getServerOrdinal(LOOKUP_KEYS[i]);
        return sum;
      });
      return () => {
        for (let r = 0; r < 2; r++) {
          const sum = sumOrdinals(rings[r], LOOKUP_KEYS, 0, HALF);
          if (sum !== expected[r]) fail(`ordinal sum, ring ${r}`, sum, expected[r]);
        }
        return 2 * HALF;
      };
    },
  },
  rb: null,
};

/** getServerOrdinals: the same lookups, 200 keys a call (reported, not a target check). */
function ketamaManyRow(servers) {
  const PER_CALL = MGET_KEYS;
  return {
    id: `ketama-many-${servers}`,
    target: 6,
    check: false,
    title: `Ketama getServerOrdinals, ${PER_CALL} keys a call, ${servers}-server ring`,
    short: `Ketama ${PER_CALL} keys a call, ${servers} servers`,
    unit: 'lookups/s',
    clients: {
      libredis: ({ libredis }) => {
        const ring = lookupRing(libredis, servers);
        const calls = LOOKUP_KEYS.length / PER_CALL;
        const sets = Array.from({ length: calls }, (_, c) => LOOKUP_KEYS.slice(c * PER_CALL, (c + 1) * PER_CALL));
        // each call's result must equal the single lookups; checked in full once, then by sum
        const expected = sets.map((keys) => {
          const many = ring.getServerOrdinals(keys);
          let sum = 0;
          keys.forEach((k, i) => {
            if (many[i] !== ring.getServerOrdinal(k))
              fail(`getServerOrdinals of ${k}`, many[i], ring.getServerOrdinal(k));
            sum += many[i];
          });
          return sum;
        });
        const out = new Int32Array(PER_CALL);
        let c = 0;
        return () => {
          const CALLS = 100;
          for (let k = 0; k < CALLS; k++, c++) {
            ring.getServerOrdinals(sets[c % calls], out);
            if (k === 0) {
              let sum = 0;
              for (let i = 0; i < PER_CALL; i++) sum += out[i];
              if (sum !== expected[c % calls]) fail('ordinal sum', sum, expected[c % calls]);
            }
          }
          return CALLS * PER_CALL;
        };
      },
    },
    rb: null,
  };
}

/** Every row, in report order. */
export const ROWS = [
  getBatchRow(1000),
  singleGetRow,
  concurrentRow(50),
  shardedMgetRow,
  setRow(100, '100 B', 100, 10_000, 400_000),
  setRow(4096, '4 KB', 100, 10_000, 120_000),
  setRow(1 << 20, '1 MB', 4, 16, 800),
  ketamaRow(2),
  ketamaRow(8),
  ketamaSharedSiteRow,
  ketamaManyRow(8),
  shardedGetRow(50),
  shardedMgetClientRow,
];

export const CLIENTS = ['libredis', 'ioredis', 'node-redis', 'redis-benchmark'];
