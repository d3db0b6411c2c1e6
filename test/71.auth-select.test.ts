// AUTH and SELECT on every new connection (Libredis and ShardedClient
// options), against real servers started with requirepass and an ACL user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Libredis, ReplyError, ShardedClient } from '../src/index';
import { type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const AUTH_ARGS = ['--requirepass', 's3cret', '--user', 'alice', 'on', '>pw', '~*', '&*', '+@all'];
let secured: RedisServer[];
beforeAll(async () => {
  secured = await Promise.all([startRedis({ extraArgs: AUTH_ARGS }), startRedis({ extraArgs: AUTH_ARGS })]);
});
afterAll(stopAll);

describe('AUTH', () => {
  it('a password opens every connection; without it commands get NOAUTH', async () => {
    const authed = new Libredis({ password: 's3cret' }).getConnection(secured[0].address);
    expect(await authed.set('auth:k', 'v')).toBe(true);
    expect(await authed.get('auth:k')).toBe('v');
    const anonymous = new Libredis().getConnection(secured[0].address);
    const err = await anonymous.get('auth:k').catch((e) => e);
    expect(err).toBeInstanceOf(ReplyError);
    expect(err.message).toMatch(/^NOAUTH/);
  });

  it('an ACL user and password (AUTH username password)', async () => {
    const alice = new Libredis({ username: 'alice', password: 'pw' }).getConnection(secured[0].address);
    expect(await alice.call('ACL', 'WHOAMI')).toBe('alice');
  });

  it('a wrong password fails every pending batch with a clear ConnectionError, and keeps failing', async () => {
    const libredis = new Libredis({ password: 'wrong' });
    const conn = libredis.getConnection(secured[0].address);
    const batch = libredis.createBatch().get('a').get('b');
    expect(await conn.execute(batch, 2000)).toBe(false);
    expect(batch.failure()).toBeInstanceOf(ConnectionError);
    expect(batch.error).toMatch(/refused by the server at setup \(AUTH\/SELECT\): WRONGPASS/);
    expect(batch.values()).toHaveLength(2);
    const again = await conn.get('a').catch((e) => e);
    expect(again).toBeInstanceOf(ConnectionError);
  });

  it('is sent again after a reconnect', async () => {
    const libredis = new Libredis({ password: 's3cret' });
    const conn = libredis.getConnection(secured[1].address);
    const id1 = await conn.call('CLIENT', 'ID');
    conn.close();
    const id2 = await conn.call('CLIENT', 'ID');
    expect(id2).not.toBe(id1);
    expect(await conn.call('PING')).toBe('PONG');
  });
});

describe('SELECT', () => {
  it('db picks the database on every connection, isolated from db 0', async () => {
    const db3 = new Libredis({ password: 's3cret', db: 3 }).getConnection(secured[1].address);
    const db0 = new Libredis({ password: 's3cret' }).getConnection(secured[1].address);
    await db3.set('sel:k', 'in three');
    expect(await db3.get('sel:k')).toBe('in three');
    expect(await db0.get('sel:k')).toBeNull();
    db3.close();
    expect(await db3.get('sel:k')).toBe('in three'); // reconnected, still db 3
    expect(() => new Libredis({ db: -1 })).toThrow(TypeError);
    expect(() => new Libredis({ username: 'alice' })).toThrow(TypeError);
  });
});

describe('ShardedClient with AUTH and SELECT', () => {
  it('authenticates and selects on every server', async () => {
    const client = new ShardedClient({ servers: secured.map((s) => s.address), password: 's3cret', db: 5 });
    const keys = Array.from({ length: 40 }, (_, i) => `sh:${i}`);
    expect(new Set(keys.map((k) => client.serverFor(k))).size).toBe(2);
    await client.mset(keys.map((k) => [k, k] as [string, string]));
    expect(await client.mget(keys)).toEqual(keys);
    const plain = new Libredis({ password: 's3cret' });
    expect(await plain.getConnection(client.serverFor(keys[0])).get(keys[0])).toBeNull(); // db 0
    expect(await client.dbsize()).toBe(40);
    client.close();
  });
});
