// npm run demo: starts two throwaway redis-servers on free loopback ports,
// shards keys over them with the Ketama ring, reads them back with a sharded
// MGET through one Executor, prints a throughput line, and stops the servers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Libredis } from 'libredis';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(libredis) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'libredis-demo-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  child.on('error', (e) => {
    console.error(`could not start redis-server (${e.message}); install it, e.g. apt-get install redis-server`);
    process.exit(1);
  });
  const address = `127.0.0.1:${port}`;
  const connection = libredis.getConnection(address);
  for (let i = 0; i < 200; i++) {
    const ping = libredis.createBatch().cmd('PING');
    if (await ping.execute(connection, 200)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    address,
    connection,
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const libredis = new Libredis();
const servers = [await startServer(libredis), await startServer(libredis)];
try {
  console.log(`redis-servers on ${servers.map((s) => s.address).join(' and ')}`);

  // The same ring the PHP extension builds: same servers, same order, same keys.
  const ketama = libredis.createKetama();
  for (const s of servers) ketama.addServer('127.0.0.1', s.port, 100);
  ketama.createContinuum();

  const keys = Array.from({ length: 10_000 }, (_, i) => `user:${i}`);
  const byServer = servers.map(() => []);
  for (const key of keys) byServer[ketama.getServerOrdinal(key)].push(key);
  console.log(`10000 keys sharded: ${byServer.map((k, i) => `${k.length} on ${servers[i].address}`).join(', ')}`);

  // Write every key to its server: one batch per server, all in parallel.
  let executor = libredis.createExecutor();
  byServer.forEach((shardKeys, i) => {
    const batch = libredis.createBatch();
    for (const key of shardKeys) batch.set(key, `value of ${key}`);
    executor.add(servers[i].connection, batch);
  });
  if (!(await executor.execute(2000))) throw new Error(libredis.lastError());

  // Sharded MGET: one MGET per server, one executor, one deadline.
  const wanted = ['user:1', 'user:42', 'user:777', 'user:9999', 'nobody'];
  executor = libredis.createExecutor();
  const mgets = servers.map(() => libredis.createBatch());
  const asked = servers.map(() => []);
  for (const key of wanted) asked[ketama.getServerOrdinal(key)].push(key);
  asked.forEach((shardKeys, i) => {
    if (shardKeys.length === 0) return;
    mgets[i].cmd('MGET', ...shardKeys);
    executor.add(servers[i].connection, mgets[i]);
  });
  await executor.execute(500);
  asked.forEach((shardKeys, i) => {
    if (shardKeys.length === 0) return;
    const [values] = mgets[i].values();
    shardKeys.forEach((key, k) => {
      console.log(`  ${key.padEnd(10)} -> ${servers[i].address}  ${JSON.stringify(values[k])}`);
    });
  });

  // Throughput: GETs in pipelined batches of 1000 on one connection.
  const connection = servers[0].connection;
  const batch = libredis.createBatch();
  const shardKeys = byServer[0];
  let ops = 0;
  const started = process.hrtime.bigint();
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 1000; i++) batch.get(shardKeys[(round * 1000 + i) % shardKeys.length]);
    if (!(await connection.execute(batch, 2000))) throw new Error(batch.error);
    while (batch.nextReply() !== null) ops++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `throughput: ${ops} GETs in batches of 1000 in ${seconds.toFixed(2)} s = ${Math.round(ops / seconds).toLocaleString('en-US')} GET/s`,
  );
} finally {
  for (const s of servers) s.stop();
}
