// One batch per server, all executed in parallel under one deadline.
//   node examples/parallel-executor.mjs host:port host:port ...
import { Libredis } from 'libredis';

const addresses = process.argv.slice(2);
if (addresses.length === 0) addresses.push('127.0.0.1:6379', '127.0.0.1:6380');
const libredis = new Libredis();

const executor = libredis.createExecutor();
const batches = addresses.map((address, i) => {
  const batch = libredis.createBatch().set(`server:${i}`, address).get(`server:${i}`).cmd('DBSIZE');
  executor.add(libredis.getConnection(address), batch);
  return batch;
});

const ok = await executor.execute(500); // 500 ms for all of them together
batches.forEach((batch, i) => {
  const [set, value, size] = batch.values();
  console.log(`${addresses[i]}: ${batch.error ?? `${set} ${value} (dbsize ${size})`}`);
});
if (!ok) process.exit(1);
