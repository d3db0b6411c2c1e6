// Memory measurements, through libredis only.
import { GET_KEYS, GET_KEYSPACE, GET_VALUES, libredisGetRound, VALUE_SIZE } from './workloads.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Full GCs until RSS stops moving: V8 hands freed pages back some tens of
 * ms after a gc, so one gc() right before a snapshot overstates RSS.
 */
async function settle(gc) {
  let last = Infinity;
  for (let i = 0; i < 8; i++) {
    gc();
    await sleep(40);
    const rss = process.memoryUsage.rss();
    if (Math.abs(last - rss) < 256 * 1024) return;
    last = rss;
  }
}

const snap = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
};

/**
 * RSS before and after `commands` GETs in batches of 1000 on one connection
 * (every reply read, one value checked per batch), after 100 warm-up batches. Time-boxed: stops early
 * after `maxSeconds` and reports how many commands actually ran.
 */
export async function rssOverCommands({ libredis, conn }, { commands, maxSeconds, gc }) {
  const n = 1000;
  const batch = libredis.createBatch();
  // warm-up (not counted): first-use allocations are not growth over commands
  for (let w = 0; w < 100; w++) {
    for (let i = 0; i < n; i++) batch.get(GET_KEYS[i]);
    if (!(await conn.a.execute(batch, 30_000))) throw new Error(`execute failed: ${batch.error}`);
    while (batch.nextReply() !== null);
  }
  await settle(gc);
  const before = snap();
  let peakRss = before.rss;
  const t0 = performance.now();
  let done = 0;
  let round = 0;
  let timedOut = false;
  while (done < commands) {
    await libredisGetRound(conn, batch, n, round++);
    done += n;
    if ((round & 255) === 0) {
      const rss = process.memoryUsage.rss();
      if (rss > peakRss) peakRss = rss;
      if (performance.now() - t0 > maxSeconds * 1000) {
        timedOut = true;
        break;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await settle(gc);
  const after = snap();
  peakRss = Math.max(peakRss, after.rss);
  return { commands: done, requested: commands, timedOut, seconds, rate: done / seconds, before, after, peakRss };
}

/**
 * Native memory per pending reply: one batch of `count` GETs (100-byte
 * values) executed, its replies held but not read. Snapshots: before
 * building, after building (encoded commands), after execute (replies held),
 * and after dropping the batch.
 */
export async function pendingReplyCost({ libredis, conn }, { count, gc }) {
  await settle(gc);
  const empty = snap();
  let batch = libredis.createBatch();
  for (let i = 0; i < count; i++) batch.get(GET_KEYS[i % GET_KEYSPACE]);
  await settle(gc);
  const built = snap();
  const t0 = performance.now();
  if (!(await conn.a.execute(batch, 120_000))) throw new Error(`execute of ${count} GETs failed: ${batch.error}`);
  const seconds = (performance.now() - t0) / 1000;
  await settle(gc);
  const held = snap();
  const first = batch.nextReply();
  if (first?.value !== GET_VALUES[0]) throw new Error('pending-reply batch: wrong first reply');
  batch = null;
  await settle(gc); // also lets finalizers of the native result run
  const released = snap();
  const per = (a, b, k) => (b[k] - a[k]) / count;
  return {
    count,
    valueBytes: VALUE_SIZE,
    executeSeconds: seconds,
    snapshots: { empty, built, held, released },
    perReply: {
      // held vs. before the batch existed: replies (+ anything kept of the commands)
      rss: per(empty, held, 'rss'),
      arrayBuffers: per(empty, held, 'arrayBuffers'),
      external: per(empty, held, 'external'),
      // held vs. built: what executing added on top of the encoded commands
      rssSinceBuilt: per(built, held, 'rss'),
      arrayBuffersSinceBuilt: per(built, held, 'arrayBuffers'),
    },
    // one 16-byte record (type, level, length, offset as int32) + the value bytes
    structuralPerReply: 16 + VALUE_SIZE,
  };
}
