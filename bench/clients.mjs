// The clients under test: libredis (ours), ioredis, node-redis, and
// redis-benchmark spawned as the physical reference.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Loads libredis by package self-reference. The addon may be rebuilt under us
 * by someone else; a failed load is retried a few times (through require:
 * an ES module that failed to evaluate stays failed, a CommonJS one does not).
 */
export async function loadLibredis() {
  try {
    return await import('libredis');
  } catch (first) {
    let last = first;
    for (let attempt = 1; attempt <= 5; attempt++) {
      await new Promise((r) => setTimeout(r, 2000));
      try {
        for (const k of Object.keys(require.cache)) if (k.includes('/dist/')) delete require.cache[k];
        return require('libredis');
      } catch (e) {
        last = e;
      }
    }
    throw new Error(
      `could not load libredis (is the addon being rebuilt? run \`node scripts/ensure-built.js\`): ${last.message}`,
    );
  }
}

/** ioredis on one server, connected. */
export async function connectIoredis(server) {
  const { Redis } = await import('ioredis');
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableReadyCheck: true,
  });
  client.on('error', () => {}); // errors surface through the commands
  await client.connect();
  return { client, close: () => client.disconnect() };
}

/** node-redis (v6) on one server, connected. */
export async function connectNodeRedis(server) {
  const { createClient } = await import('redis');
  const client = createClient({ socket: { host: server.host, port: server.port, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  return {
    client,
    close: async () => {
      try {
        await client.quit();
      } catch {
        client.destroy?.();
      }
    },
  };
}

export function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return 'unknown';
  }
}

export function redisBenchmarkVersion() {
  try {
    return execFileSync('redis-benchmark', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^redis-benchmark\s*/, '');
  } catch {
    return 'unavailable';
  }
}

const running = new Set();

/** Kills a redis-benchmark that is still running (SIGINT / error paths). */
export function killBenchmarks() {
  for (const c of running) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}

/**
 * Runs `redis-benchmark -c 1` once and returns its requests/s.
 * @param {{port:number, test:'get'|'set', pipeline:number, requests:number, dataSize?:number, keyspace:number}} o
 */
export function runRedisBenchmark(o) {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(o.port),
    '-c',
    '1',
    '-n',
    String(o.requests),
    '-P',
    String(o.pipeline),
    '-t',
    o.test,
    '-r',
    String(o.keyspace),
    '--csv',
  ];
  if (o.dataSize !== undefined) args.push('-d', String(o.dataSize));
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      // --csv: a header line, then "GET","123456.78",... per test
      const m = /^"(GET|SET)","([\d.]+)"/m.exec(out);
      if (code === 0 && m) resolve(Number(m[2]));
      else
        reject(
          new Error(
            `redis-benchmark ${args.join(' ')} failed (${signal ?? code}): ${(err || out).trim().slice(0, 200)}`,
          ),
        );
    });
  });
}
