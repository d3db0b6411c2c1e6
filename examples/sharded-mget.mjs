// Keys sharded over servers with the Ketama ring (the same placement as the
// libredis PHP extension), then a multi-server MGET through one Executor, as
// libredis's test.php does it.
//   node examples/sharded-mget.mjs host:port host:port ...
import { Libredis } from 'libredis';

const addresses = process.argv.slice(2);
if (addresses.length === 0) addresses.push('127.0.0.1:6379', '127.0.0.1:6380');
const libredis = new Libredis();

const ketama = libredis.createKetama();
for (const address of addresses) {
  const at = address.lastIndexOf(':');
  ketama.addServer(address.slice(0, at), Number(address.slice(at + 1)), 100);
}
ketama.createContinuum();

// Write 100 keys, each to its server.
const keys = Array.from({ length: 100 }, (_, i) => `user:${i}`);
const writes = addresses.map(() => libredis.createBatch());
for (const key of keys) writes[ketama.getServerOrdinal(key)].set(key, `name of ${key}`);
const executor = libredis.createExecutor();
writes.forEach((batch, i) => {
  executor.add(libredis.getConnection(ketama.getServerAddress(i)), batch);
});
if (!(await executor.execute(1000))) throw new Error(libredis.lastError());

/** MGET over every server the keys live on; values come back in key order. */
async function shardedMget(wanted) {
  const perServer = new Map();
  for (const key of wanted) {
    const ordinal = ketama.getServerOrdinal(key);
    if (!perServer.has(ordinal)) perServer.set(ordinal, []);
    perServer.get(ordinal).push(key);
  }
  const mget = libredis.createExecutor();
  const batches = new Map();
  for (const [ordinal, shardKeys] of perServer) {
    const batch = libredis.createBatch().cmd('MGET', ...shardKeys);
    batches.set(ordinal, batch);
    mget.add(libredis.getConnection(ketama.getServerAddress(ordinal)), batch);
  }
  await mget.execute(500);
  const found = new Map();
  for (const [ordinal, shardKeys] of perServer) {
    const [values] = batches.get(ordinal).values();
    shardKeys.forEach((key, i) => {
      found.set(key, Array.isArray(values) ? values[i] : null);
    });
  }
  return wanted.map((key) => found.get(key));
}

const wanted = ['user:1', 'user:42', 'user:99', 'nobody'];
const values = await shardedMget(wanted);
wanted.forEach((key, i) => {
  console.log(`${key} @ ${ketama.getServerAddress(ketama.getServerOrdinal(key))} = ${JSON.stringify(values[i])}`);
});
