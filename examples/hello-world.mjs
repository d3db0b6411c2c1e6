// Hello world: set a key, read it back.
//   node examples/hello-world.mjs [host:port]
import { Libredis } from 'libredis';

const address = process.argv[2] ?? '127.0.0.1:6379';
const libredis = new Libredis();
const connection = libredis.getConnection(address);

if (!(await connection.set('hello', 'world', 200))) {
  console.error(`SET failed: ${libredis.lastError()}`);
  process.exit(1);
}
console.log(`hello = ${await connection.get('hello', 200)}`);
