// Every script in examples/ runs against real servers and prints what it
// should, so the examples never rot.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Libredis } from '../src/index';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const run = promisify(execFile);
const example = (name: string, ...args: string[]) =>
  run(process.execPath, [path.join(__dirname, '..', 'examples', name), ...args], { timeout: 20_000 });

let a: RedisServer;
let b: RedisServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(stopAll);

describe('examples', () => {
  it('hello-world.mjs', async () => {
    const { stdout } = await example('hello-world.mjs', a.address);
    expect(stdout).toBe('hello = world\n');
  });

  it('batch.mjs', async () => {
    const { stdout } = await example('batch.mjs', a.address);
    expect(stdout.split('\n')).toEqual([
      'OK "OK" (length 2)',
      'BULK "hello" (length 5)',
      expect.stringMatching(/^INTEGER [01] \(length 1\)$/),
      'INTEGER 10 (length 2)',
      'MULTIBULK null (length 2)',
      '  BULK "hello" (length 5)',
      '  BULK_NIL null (length 0)',
      'OK "PONG" (length 4)',
      '',
    ]);
  });

  it('parallel-executor.mjs', async () => {
    const { stdout } = await example('parallel-executor.mjs', a.address, b.address);
    expect(stdout).toMatch(
      new RegExp(`^${a.address}: OK ${a.address} \\(dbsize \\d+\\)\\n${b.address}: OK ${b.address}`),
    );
  });

  it('sharded-mget.mjs puts keys where the ring says and reads them back in order', async () => {
    const { stdout } = await example('sharded-mget.mjs', a.address, b.address);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/ @ \S+/, ''))).toEqual([
      'user:1 = "name of user:1"',
      'user:42 = "name of user:42"',
      'user:99 = "name of user:99"',
      'nobody = null',
    ]);
    // The server each line names really holds that key.
    const libredis = new Libredis();
    for (const line of lines.slice(0, 3)) {
      const [, key, address] = /^(\S+) @ (\S+)/.exec(line)!;
      expect(await libredis.getConnection(address).get(key)).toBe(`name of ${key}`);
    }
  });

  it('demo.mjs runs end to end', async () => {
    const { stdout } = await example('demo.mjs');
    expect(stdout).toMatch(/10000 keys sharded: \d+ on 127\.0\.0\.1:\d+, \d+ on 127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/user:42 +-> 127\.0\.0\.1:\d+ +"value of user:42"/);
    expect(stdout).toMatch(/throughput: 200000 GETs in batches of 1000 in [\d.]+ s = [\d,]+ GET\/s/);
  });
});
