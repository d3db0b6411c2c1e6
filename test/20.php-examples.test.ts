// The libredis README's PHP examples, ported line for line (plus `await`),
// against real redis-servers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Libredis, ReplyType } from '../src/index';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

let s1: RedisServer;
let s2: RedisServer;
beforeAll(async () => {
  [s1, s2] = await Promise.all([startRedis(), startRedis()]);
});
afterAll(stopAll);

describe('README examples', () => {
  it('hello world: set and get with a timeout', async () => {
    const libredis = new Libredis();
    const connection = libredis.get_connection(s1.address);
    expect(await connection.set('hello', 'world', 200)).toBe(true);
    expect(await connection.get('hello', 200)).toBe('world');
    expect(await connection.get('no-such-key', 200)).toBeNull();
    expect(await s1.command('GET', 'hello')).toBe('$5\r\nworld\r\n');
  });

  it('multiple commands at the same time: multi-set, then multi-get with next_reply', async () => {
    const libredis = new Libredis();
    const connection = libredis.get_connection(s1.address);
    let batch = libredis.create_batch();
    batch.set('hello', 'world');
    batch.set('hello2', 'world2');
    expect(await batch.execute(connection, 200)).toBe(true);
    batch = libredis.create_batch();
    batch.get('hello');
    batch.get('hello2');
    expect(await connection.execute(batch, 200)).toBe(true);
    const values: unknown[] = [];
    let reply;
    while ((reply = batch.next_reply())) values.push(reply.value);
    expect(values).toEqual(['world', 'world2']);
  });

  it('writing any command with cmd (multibulk protocol)', async () => {
    const libredis = new Libredis();
    const connection = libredis.get_connection(s1.address);
    await s1.command('SET', 'key1', 'v1');
    await s1.command('DEL', 'aKey');
    const batch = libredis.create_batch();
    batch.cmd('MGET', 'key1', 'key2', 'anotherOne');
    batch.cmd('HINCRBY', 'aKey', 'aField', 10);
    expect(await connection.execute(batch)).toBe(true);
    const replies = [];
    let r;
    while ((r = batch.nextReply())) replies.push(r);
    expect(replies).toEqual([
      { type: ReplyType.MULTIBULK, value: null, length: 3, level: 1 },
      { type: ReplyType.BULK, value: 'v1', length: 2, level: 2 },
      { type: ReplyType.BULK_NIL, value: null, length: 0, level: 2 },
      { type: ReplyType.BULK_NIL, value: null, length: 0, level: 2 },
      { type: ReplyType.INTEGER, value: 10, length: 2, level: 1 },
    ]);
  });

  it('writing a command explicitly (inline INCR) with its reply count', async () => {
    const libredis = new Libredis();
    const connection = libredis.get_connection(s1.address);
    await s1.command('SET', 'incr_test', '41');
    const batch = libredis.create_batch();
    batch.write('INCR incr_test\r\n', 1);
    expect(await connection.execute(batch)).toBe(true);
    const reply = batch.next_reply();
    expect(reply).toEqual({ type: ReplyType.INTEGER, value: 42, length: 2, level: 1 });
    expect(batch.next_reply()).toBeNull();
  });

  it('create_batch with initial raw commands', async () => {
    const libredis = new Libredis();
    const batch = libredis.create_batch('PING\r\nPING\r\n', 2);
    expect(await batch.execute(libredis.get_connection(s1.address))).toBe(true);
    expect(batch.values()).toEqual(['PONG', 'PONG']);
  });

  it('talking to multiple servers in parallel through an executor', async () => {
    const libredis = new Libredis();
    const connection1 = libredis.get_connection(s1.address);
    const connection2 = libredis.get_connection(s2.address);
    const batch1 = libredis.create_batch();
    batch1.set('hello', 'world-1');
    const batch2 = libredis.create_batch();
    batch2.set('par_hello2', 'world-2');
    const executor = libredis.create_executor();
    executor.add(connection1, batch1);
    executor.add(connection2, batch2);
    expect(await executor.execute(500)).toBe(true);
    expect(batch1.values()).toEqual(['OK']);
    expect(batch2.values()).toEqual(['OK']);
    expect(await s1.command('GET', 'hello')).toBe('$7\r\nworld-1\r\n');
    expect(await s2.command('GET', 'par_hello2')).toBe('$7\r\nworld-2\r\n');
    expect(await s1.command('EXISTS', 'par_hello2')).toBe(':0\r\n');
  });

  it('get_connection returns the same object for the same address', () => {
    const libredis = new Libredis();
    expect(libredis.getConnection(s1.address)).toBe(libredis.get_connection(s1.address));
    expect(libredis.getConnection(s1.address)).not.toBe(libredis.getConnection(s2.address));
  });
});
