// Several commands in one round trip, then the replies one by one, the way
// PHP's next_reply loop reads them.
//   node examples/batch.mjs [host:port]
import { Libredis, ReplyType } from 'libredis';

const address = process.argv[2] ?? '127.0.0.1:6379';
const libredis = new Libredis();
const connection = libredis.getConnection(address);

const batch = libredis.createBatch();
batch.set('greeting', 'hello');
batch.get('greeting');
batch.cmd('DEL', 'visits');
batch.cmd('HINCRBY', 'visits', 'home', 10);
batch.cmd('MGET', 'greeting', 'no-such-key');
batch.write('PING\r\n', 1); // raw protocol, with the number of replies it makes

if (!(await connection.execute(batch, 500))) {
  console.error(`batch failed: ${batch.error}`);
  process.exit(1);
}
const names = Object.fromEntries(Object.entries(ReplyType).map(([name, n]) => [n, name]));
for (let reply = batch.nextReply(); reply !== null; reply = batch.nextReply()) {
  const indent = '  '.repeat(reply.level - 1);
  console.log(`${indent}${names[reply.type]} ${JSON.stringify(reply.value)} (length ${reply.length})`);
}
