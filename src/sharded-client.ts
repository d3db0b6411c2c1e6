import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { checkTimeout, describe, isPortText, parseAddress } from './address';
import { type Arg, isWireArg, toWire } from './arguments';
import type { Batch } from './batch';
import type { Connection } from './connection';
import { ReplyError } from './errors';
import { isRingWeight, type Ketama } from './ketama';
import { hashedPart, keyPositions, refuseOnSharedConnection } from './key-routing';
import { Libredis, type LibredisOptions } from './libredis';
import type { ReplyValue } from './reply';
import { ShardedTransaction } from './sharded-transaction';

/**
 * A server of the ring: `'host:port'` (weight 100), or an object with an
 * integer `port` (1-65535) and an optional non-negative integer `weight`
 * (default 100), as the PHP side's `addServer(host, port, weight)`. The
 * ring names a server by its host exactly as written, as PHP does: an IPv6
 * host may be bare (`{ host: '::1', port: 7000 }` or `'::1:7000'`, named
 * `'::1:7000'`) or bracketed (`'[::1]:7000'`, named so), and either way the
 * connection goes to `[::1]:7000`.
 */
export type ServerSpec = string | { host: string; port: number; weight?: number };

/** Options of a `ShardedClient`: its servers, and what every connection to them uses. */
export interface ShardedClientOptions {
  /** The servers, in ring order: the same list in the same order as the PHP side. */
  servers: ServerSpec[];
  /** Deadline of each command, in milliseconds (default 5000). */
  timeoutMs?: number;
  /**
   * Hash only the `{...}` part of keys that have one, so related keys land
   * together. Off by default, because it changes placement relative to the
   * PHP extension.
   */
  hashTag?: boolean;
  /** AUTH on every new connection to every server. */
  password?: string;
  /** ACL user for AUTH; needs `password`. */
  username?: string;
  /** SELECT this database on every new connection. */
  db?: number;
}

/** Options of `set`. */
export interface SetOptions {
  /** Expire after this many seconds. */
  EX?: number;
  /** Expire after this many milliseconds. */
  PX?: number;
  /** Only set if the key does not exist. */
  NX?: boolean;
  /** Only set if the key exists. */
  XX?: boolean;
}

interface Server {
  address: string;
  connection: Connection;
}

// A key: what can be sent as an argument (a number or bigint is hashed as its decimal text).
function checkKey(key: Arg): void {
  if (!isWireArg(key)) throw new TypeError(`a key must be a string, Buffer or finite number, got ${describe(key)}`);
}

/**
 * A command-level client that shards keys over several servers with the
 * libredis Ketama ring, so every key lives where the PHP extension puts it.
 * Single-key commands go to their key's server; `mget`, `mset`, `del`,
 * `unlink`, `exists` and `touch` are split per server and run in parallel
 * (not atomic across servers); whole-ring commands run on every server.
 * Commands issued in the same tick to the same server go out in one write.
 *
 * @example
 * const client = new ShardedClient({ servers: ['10.0.0.1:6379', '10.0.0.2:6379'] });
 * await client.set('user:1', 'Ann');
 * const [a, b] = await client.mget(['user:1', 'user:2']);
 */
export class ShardedClient {
  private readonly _libredis: Libredis;
  private readonly _ring: Ketama;
  private readonly _servers: Server[] = [];
  private readonly _timeoutMs: number;
  private readonly _hashTag: boolean;
  // AUTH/SELECT for every connection, the watch() ones included.
  private readonly _setup: LibredisOptions;
  // The connections of watch() transactions not yet finished: close() closes them too.
  private readonly _watching = new Set<Connection>();

  constructor(options: ShardedClientOptions) {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.servers)) {
      throw new TypeError(`ShardedClient: options.servers must be an array, got ${describe(options?.servers)}`);
    }
    if (options.servers.length === 0) throw new TypeError('ShardedClient: options.servers is empty');
    // Every argument is checked before anything is created.
    const specs = Array.from(options.servers, parseServer); // a hole is a bad server, not skipped
    if (specs.every((s) => s.weight === 0)) {
      // The ring would have no points, so no key would have a server.
      throw new TypeError('ShardedClient: every server has weight 0, so no key could be placed');
    }
    this._setup = { password: options.password, username: options.username, db: options.db };
    this._timeoutMs = checkTimeout(options.timeoutMs ?? 5000, 'ShardedClient');
    this._hashTag = options.hashTag === true;
    this._libredis = new Libredis(this._setup);
    this._ring = this._libredis.createKetama();
    // The ring names a server as PHP does ('host:port', cut to 254 bytes);
    // the connection is made to the address built from host and port.
    for (const { host, port, weight, address } of specs) {
      this._ring.addServer(host, port, weight);
      this._servers.push({ address, connection: this._libredis.getConnection(address) });
    }
    this._ring.createContinuum();
  }

  /** The address of the server the key lives on: `'host:port'`, or `'[ipv6]:port'`. */
  serverFor(key: Arg): string {
    return this._servers[this._ordinal(key)].address;
  }

  /**
   * The Connection to one of the servers, for anything this client does not
   * cover. `address` is as `servers` lists it, or any spelling the
   * constructor accepts for it (`'h:01'` for `'h:1'`, `'::1:7000'` for
   * `'[::1]:7000'`). It is the connection every command to that server shares: a
   * command that changes its state (SELECT, CLIENT REPLY, SUBSCRIBE, WATCH)
   * changes it for all of them; use a Libredis of your own for those.
   */
  forServer(address: string): Connection {
    const server = this._servers.find((s) => s.address === address) ?? this._serverSpelledAs(address);
    if (server === undefined)
      throw new TypeError(`forServer: ${describe(address)} is not one of this client's servers`);
    return server.connection;
  }

  // A server named as the constructor would read it ('h:01' for 'h:1',
  // '::1:7000' for '[::1]:7000'), or undefined.
  private _serverSpelledAs(address: unknown): Server | undefined {
    if (typeof address !== 'string') return undefined;
    let normal: string;
    try {
      normal = parseServer(address, 0).address;
    } catch {
      return undefined;
    }
    return this._servers.find((s) => s.address === normal);
  }

  /** The servers' addresses (`'host:port'`, or `'[ipv6]:port'`), in ring order. */
  get servers(): string[] {
    return this._servers.map((s) => s.address);
  }

  /**
   * Any command, routed by its keys (from the maintained command table).
   * Throws a TypeError when the command has no key, or when its keys live on
   * different servers (use the split commands, a pipeline, or `forServer`).
   */
  call(command: string, ...args: Arg[]): Promise<ReplyValue> {
    return this._routed(command, args, false);
  }

  /** Like `call`, with bulk and status replies as Buffers (also inside arrays). */
  callBuffer(command: string, ...args: Arg[]): Promise<ReplyValue> {
    return this._routed(command, args, true);
  }

  // Strings.
  get(key: Arg): Promise<string | null> {
    return this._get('get', key, false) as Promise<string | null>;
  }
  /** GET, resolving the bytes as a Buffer (or null). */
  getBuffer(key: Arg): Promise<Buffer | null> {
    return this._get('getBuffer', key, true) as Promise<Buffer | null>;
  }
  /** SET, with EX/PX/NX/XX options. Resolves 'OK', or null when NX/XX prevented it. */
  set(key: Arg, value: Arg, options: SetOptions = {}): Promise<'OK' | null> {
    const args: Arg[] = [key, value];
    if (options.EX !== undefined) args.push('EX', options.EX);
    if (options.PX !== undefined) args.push('PX', options.PX);
    if (options.NX) args.push('NX');
    if (options.XX) args.push('XX');
    return this._one('SET', ...args) as Promise<'OK' | null>;
  }
  incr(key: Arg): Promise<number> {
    return this._one('INCR', key) as Promise<number>;
  }
  incrby(key: Arg, by: number): Promise<number> {
    return this._one('INCRBY', key, by) as Promise<number>;
  }
  decr(key: Arg): Promise<number> {
    return this._one('DECR', key) as Promise<number>;
  }
  decrby(key: Arg, by: number): Promise<number> {
    return this._one('DECRBY', key, by) as Promise<number>;
  }
  append(key: Arg, value: Arg): Promise<number> {
    return this._one('APPEND', key, value) as Promise<number>;
  }
  strlen(key: Arg): Promise<number> {
    return this._one('STRLEN', key) as Promise<number>;
  }

  // Keys and expiry.
  expire(key: Arg, seconds: number): Promise<number> {
    return this._one('EXPIRE', key, seconds) as Promise<number>;
  }
  pexpire(key: Arg, ms: number): Promise<number> {
    return this._one('PEXPIRE', key, ms) as Promise<number>;
  }
  ttl(key: Arg): Promise<number> {
    return this._one('TTL', key) as Promise<number>;
  }
  pttl(key: Arg): Promise<number> {
    return this._one('PTTL', key) as Promise<number>;
  }
  persist(key: Arg): Promise<number> {
    return this._one('PERSIST', key) as Promise<number>;
  }
  type(key: Arg): Promise<string> {
    return this._one('TYPE', key) as Promise<string>;
  }

  // Hashes.
  hget(key: Arg, field: Arg): Promise<string | null> {
    return this._one('HGET', key, field) as Promise<string | null>;
  }
  /** HGET, resolving the bytes as a Buffer (or null). */
  hgetBuffer(key: Arg, field: Arg): Promise<Buffer | null> {
    return this._oneBuffer('HGET', key, field) as Promise<Buffer | null>;
  }
  /** HSET key field value, or HSET key with every field of an object. Resolves the number of new fields. */
  hset(key: Arg, fieldOrObject: Arg | Record<string, Arg>, value?: Arg): Promise<number> {
    if (fieldOrObject !== null && typeof fieldOrObject === 'object' && !(fieldOrObject instanceof Uint8Array)) {
      return this._one('HSET', key, ...Object.entries(fieldOrObject).flat()) as Promise<number>;
    }
    return this._one('HSET', key, fieldOrObject as Arg, value as Arg) as Promise<number>;
  }
  /** HGETALL as an object of field → value. */
  async hgetall(key: Arg): Promise<Record<string, string>> {
    return pairsToObject((await this._one('HGETALL', key)) as string[], (field) => field);
  }
  /** HGETALL as an object of field (UTF-8) → value (Buffer). */
  async hgetallBuffer(key: Arg): Promise<Record<string, Buffer>> {
    return pairsToObject((await this._oneBuffer('HGETALL', key)) as Buffer[], (field) => field.toString());
  }
  hdel(key: Arg, ...fields: Arg[]): Promise<number> {
    return this._one('HDEL', key, ...fields) as Promise<number>;
  }
  hincrby(key: Arg, field: Arg, by: number): Promise<number> {
    return this._one('HINCRBY', key, field, by) as Promise<number>;
  }
  hexists(key: Arg, field: Arg): Promise<number> {
    return this._one('HEXISTS', key, field) as Promise<number>;
  }
  hlen(key: Arg): Promise<number> {
    return this._one('HLEN', key) as Promise<number>;
  }

  // Lists.
  lpush(key: Arg, ...values: Arg[]): Promise<number> {
    return this._one('LPUSH', key, ...values) as Promise<number>;
  }
  rpush(key: Arg, ...values: Arg[]): Promise<number> {
    return this._one('RPUSH', key, ...values) as Promise<number>;
  }
  lpop(key: Arg): Promise<string | null> {
    return this._one('LPOP', key) as Promise<string | null>;
  }
  rpop(key: Arg): Promise<string | null> {
    return this._one('RPOP', key) as Promise<string | null>;
  }
  lrange(key: Arg, start: number, stop: number): Promise<string[]> {
    return this._one('LRANGE', key, start, stop) as Promise<string[]>;
  }
  /** LRANGE, resolving the elements as Buffers. */
  lrangeBuffer(key: Arg, start: number, stop: number): Promise<Buffer[]> {
    return this._oneBuffer('LRANGE', key, start, stop) as Promise<Buffer[]>;
  }
  llen(key: Arg): Promise<number> {
    return this._one('LLEN', key) as Promise<number>;
  }

  // Sets.
  sadd(key: Arg, ...members: Arg[]): Promise<number> {
    return this._one('SADD', key, ...members) as Promise<number>;
  }
  srem(key: Arg, ...members: Arg[]): Promise<number> {
    return this._one('SREM', key, ...members) as Promise<number>;
  }
  smembers(key: Arg): Promise<string[]> {
    return this._one('SMEMBERS', key) as Promise<string[]>;
  }
  sismember(key: Arg, member: Arg): Promise<number> {
    return this._one('SISMEMBER', key, member) as Promise<number>;
  }
  scard(key: Arg): Promise<number> {
    return this._one('SCARD', key) as Promise<number>;
  }

  // Sorted sets.
  /** ZADD key score member, or ZADD key with [score, member] pairs. */
  zadd(key: Arg, scoreOrPairs: number | Array<[number, Arg]>, member?: Arg): Promise<number> {
    const pairs = Array.isArray(scoreOrPairs) ? scoreOrPairs : [[scoreOrPairs, member as Arg] as [number, Arg]];
    return this._one('ZADD', key, ...pairs.flat()) as Promise<number>;
  }
  zrange(key: Arg, start: number, stop: number, options: { withScores?: boolean } = {}): Promise<string[]> {
    const args: Arg[] = [key, start, stop];
    if (options.withScores) args.push('WITHSCORES');
    return this._one('ZRANGE', ...args) as Promise<string[]>;
  }
  zscore(key: Arg, member: Arg): Promise<string | null> {
    return this._one('ZSCORE', key, member) as Promise<string | null>;
  }
  zincrby(key: Arg, by: number, member: Arg): Promise<string> {
    return this._one('ZINCRBY', key, by, member) as Promise<string>;
  }
  zrem(key: Arg, ...members: Arg[]): Promise<number> {
    return this._one('ZREM', key, ...members) as Promise<number>;
  }
  zcard(key: Arg): Promise<number> {
    return this._one('ZCARD', key) as Promise<number>;
  }

  // Multi-key commands, split per server. Not atomic across servers.

  /** Values of the keys, in key order (null for missing ones), fetched from every server in parallel. */
  mget(keys: Arg[]): Promise<Array<string | null>> {
    return this._mget(keys, 'mget', false) as Promise<Array<string | null>>;
  }

  /** Like `mget`, with the values as Buffers. */
  mgetBuffer(keys: Arg[]): Promise<Array<Buffer | null>> {
    return this._mget(keys, 'mgetBuffer', true) as Promise<Array<Buffer | null>>;
  }

  /** Sets every pair, each on its key's server, in parallel. */
  async mset(pairs: Record<string, Arg> | Array<[Arg, Arg]>): Promise<'OK'> {
    const entries: Array<[Arg, Arg]> = Array.isArray(pairs) ? pairs : Object.entries(pairs);
    // Checked here, so an error names the pair rather than a place in one server's MSET.
    for (let i = 0; i < entries.length; i++) {
      const pair = entries[i]; // an index loop: a hole is a bad pair too
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`mset: pair ${i} must be [key, value], got ${describe(pair)}`);
      }
      const value = pair[1];
      if (!isWireArg(value)) {
        throw new TypeError(
          `mset: the value for key ${describe(pair[0])} is ${describe(value)}; expected a string, Buffer, finite number or bigint`,
        );
      }
    }
    const keys = entries.map(([k]) => k);
    const groups = this._groupKeys(keys, 'mset');
    await this._perServer(groups, (group) => ['MSET', ...group.positions.flatMap((at) => entries[at])]);
    return 'OK';
  }

  /** Deletes the keys on whatever servers they live; resolves how many existed. */
  del(...keys: Arg[]): Promise<number> {
    return this._summed('DEL', keys);
  }
  /** Like `del`, freeing memory in the background. */
  unlink(...keys: Arg[]): Promise<number> {
    return this._summed('UNLINK', keys);
  }
  /** How many of the keys exist (a key named twice counts twice, as in Redis). */
  exists(...keys: Arg[]): Promise<number> {
    return this._summed('EXISTS', keys);
  }
  /** Touches the keys; resolves how many exist. */
  touch(...keys: Arg[]): Promise<number> {
    return this._summed('TOUCH', keys);
  }

  // Whole-ring commands.

  /** PING every server; resolves their replies in server order. */
  ping(): Promise<string[]> {
    return this._everyServer(['PING']) as Promise<string[]>;
  }
  /** Number of keys over all servers (a server listed twice counted once). */
  async dbsize(): Promise<number> {
    const sizes = (await this._everyServer(['DBSIZE'], true)) as number[];
    return sizes.reduce((a, b) => a + b, 0);
  }
  /** FLUSHDB on every server. */
  async flushdb(): Promise<'OK'> {
    await this._everyServer(['FLUSHDB'], true);
    return 'OK';
  }
  /** KEYS pattern over every server (prefer `scanIterator` on large data sets). */
  async keys(pattern: string): Promise<string[]> {
    return ((await this._everyServer(['KEYS', pattern], true)) as string[][]).flat();
  }
  /** Every key matching `match`, server after server, with SCAN (non-blocking for the servers). */
  scanIterator(options: { match?: string; count?: number } = {}): AsyncGenerator<string> {
    return this._scan(options, false) as AsyncGenerator<string>;
  }

  /** Like `scanIterator`, with the keys as Buffers: binary keys come back byte for byte. */
  scanIteratorBuffer(options: { match?: string | Buffer; count?: number } = {}): AsyncGenerator<Buffer> {
    return this._scan(options, true) as AsyncGenerator<Buffer>;
  }

  private async *_scan(
    options: { match?: string | Buffer; count?: number },
    buffers: boolean,
  ): AsyncGenerator<string | Buffer> {
    const extra: Arg[] = [];
    if (options.match !== undefined) extra.push('MATCH', options.match);
    if (options.count !== undefined) extra.push('COUNT', options.count);
    for (const server of this._distinctServers()) {
      let cursor = '0';
      do {
        const [next, keys] = (await this._send(server, ['SCAN', cursor, ...extra], buffers)) as [
          string | Buffer,
          Array<string | Buffer>,
        ];
        yield* keys;
        cursor = next.toString();
      } while (cursor !== '0');
    }
  }

  // Scripting.

  /**
   * EVAL on the server of the script's keys. All keys must live on one
   * server (a TypeError otherwise); a script without keys needs `forServer`.
   */
  eval(script: string, keys: Arg[], args: Arg[] = []): Promise<ReplyValue> {
    return this.call('EVAL', script, keys.length, ...keys, ...args);
  }

  /** EVALSHA, routed like `eval`. */
  evalsha(sha1: string, keys: Arg[], args: Arg[] = []): Promise<ReplyValue> {
    return this.call('EVALSHA', sha1, keys.length, ...keys, ...args);
  }

  /**
   * A function that runs `lua` by its SHA1 (EVALSHA), loading it with EVAL
   * when the server answers NOSCRIPT (first use, or after SCRIPT FLUSH).
   */
  defineScript(lua: string): (keys: Arg[], args?: Arg[]) => Promise<ReplyValue> {
    if (typeof lua !== 'string' || lua === '')
      throw new TypeError('defineScript: the script must be a non-empty string');
    const sha1 = createHash('sha1').update(lua).digest('hex');
    return async (keys, args = []) => {
      try {
        return await this.evalsha(sha1, keys, args);
      } catch (e) {
        if (e instanceof ReplyError && e.message.startsWith('NOSCRIPT')) return this.eval(lua, keys, args);
        throw e;
      }
    };
  }

  // Transactions.

  /**
   * A MULTI/EXEC transaction on the server of `key`. Commands whose keys live
   * elsewhere throw when queued; `exec()` sends MULTI, them and EXEC in one
   * batch, so nothing else on the connection runs in between.
   */
  multi(key: Arg): ShardedTransaction<never> {
    const server = this._ordinal(key);
    return ShardedTransaction._create<never>(this, server, this._servers[server].connection, false);
  }

  /**
   * WATCHes the keys (all on one server) on a connection of its own, for
   * optimistic locking: read them with `tx.read(...)`, queue with
   * `tx.call(...)`, then `tx.exec()` resolves null if any watched key changed.
   */
  async watch(key: Arg, ...more: Arg[]): Promise<ShardedTransaction> {
    const server = this._route('WATCH', [key, ...more]);
    // WATCH belongs to a connection, and the shared one carries other callers' commands.
    const own = new Libredis(this._setup);
    const connection = own.getConnection(this._servers[server].address);
    this._watching.add(connection);
    try {
      await connection._call(this._timeoutMs, toWire(['WATCH', key, ...more], 'watch'));
    } catch (e) {
      this._released(connection); // nobody else will: the transaction is never handed out
      throw e;
    }
    return ShardedTransaction._create(this, server, connection, true);
  }

  /** A pipeline: queue commands on any keys, then `exec()` sends each server its part in one batch. */
  pipeline(): ShardedPipeline {
    return ShardedPipeline._create(this);
  }

  /**
   * Closes every connection, those of unfinished `watch()` transactions
   * included; pending commands fail with a ConnectionError.
   */
  close(): void {
    this._libredis.close();
    for (const connection of this._watching) connection.close();
    this._watching.clear();
  }

  /** @internal A watch() transaction is done with its connection: closes it. */
  _released(connection: Connection): void {
    this._watching.delete(connection);
    connection.close();
  }

  /** @internal Whether a watch() connection is still open (close() has not taken it). */
  _watchingOn(connection: Connection): boolean {
    return this._watching.has(connection);
  }

  /** @internal The server a command goes to; throws a TypeError when that is not one server. */
  _route(command: string, args: readonly Arg[]): number {
    const positions = keyPositions(command, args);
    if (positions.length === 0) {
      throw new TypeError(`${command} has no key to route by; use forServer(address) or a whole-ring method`);
    }
    const server = this._ordinal(args[positions[0]]);
    for (let i = 1; i < positions.length; i++) {
      const other = this._ordinal(args[positions[i]]);
      if (other !== server) {
        throw new TypeError(
          `${command}: its keys live on different servers (${this._servers[server].address} and ` +
            `${this._servers[other].address}); use the split commands, a pipeline or hash tags`,
        );
      }
    }
    return server;
  }

  /** @internal */
  _send(server: number, args: Arg[], buffers = false): Promise<ReplyValue> {
    return this._servers[server].connection._call(this._timeoutMs, toWire(args, args[0] as string), buffers);
  }

  /** @internal */
  get _internals(): { libredis: Libredis; servers: Server[]; timeoutMs: number } {
    return { libredis: this._libredis, servers: this._servers, timeoutMs: this._timeoutMs };
  }

  /** @internal */
  _ordinal(key: Arg): number {
    checkKey(key);
    return this._ring.getServerOrdinal(hashedPart(key, this._hashTag));
  }

  /** @internal _ordinal for many keys in one ring call. */
  _ordinals(keys: readonly Arg[]): Int32Array {
    let asIs = !this._hashTag;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (typeof key === 'string') continue;
      checkKey(key);
      if (!(key instanceof Uint8Array)) asIs = false;
    }
    const hashed = asIs ? (keys as Array<string | Uint8Array>) : keys.map((k) => hashedPart(k, this._hashTag));
    return this._ring.getServerOrdinals(hashed);
  }

  // Routing errors reject rather than throw, as for every command method.
  private _routed(command: string, args: Arg[], buffers: boolean): Promise<ReplyValue> {
    try {
      refuseOnSharedConnection(command);
      return this._send(this._route(command, args), [command, ...args], buffers);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // Typed single-key methods: the key follows the command name.
  private _keyed(cmd: [string, ...Arg[]], buffers: boolean): Promise<ReplyValue> {
    try {
      return this._send(this._ordinal(cmd[1]), cmd, buffers);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // GET through the connection's own GET entry (head pre-encoded, no argument list).
  private _get(method: string, key: Arg, buffers: boolean): Promise<ReplyValue> {
    let server: number;
    try {
      server = this._ordinal(key);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._servers[server].connection._get(method, key, this._timeoutMs, buffers);
  }

  private _one(...cmd: [string, ...Arg[]]): Promise<ReplyValue> {
    return this._keyed(cmd, false);
  }

  private _oneBuffer(...cmd: [string, ...Arg[]]): Promise<ReplyValue> {
    return this._keyed(cmd, true);
  }

  private async _mget(keys: Arg[], method: string, buffers: boolean): Promise<Array<ReplyValue>> {
    const groups = this._groupKeys(keys, method);
    const replies = await this._perServer(groups, (group) => ['MGET', ...group.keys], buffers);
    const out = new Array<ReplyValue>(keys.length);
    for (const [server, group] of groups) {
      const values = replies.get(server) as ReplyValue[];
      group.positions.forEach((at, i) => {
        out[at] = values[i];
      });
    }
    return out;
  }

  private _groupKeys(keys: Arg[], method: string): Map<number, { keys: Arg[]; positions: number[] }> {
    if (!Array.isArray(keys)) throw new TypeError(`${method}: expected an array of keys, got ${describe(keys)}`);
    const ordinals = this._ordinals(keys);
    const groups = new Map<number, { keys: Arg[]; positions: number[] }>();
    for (let at = 0; at < keys.length; at++) {
      const server = ordinals[at];
      let group = groups.get(server);
      if (group === undefined) {
        group = { keys: [], positions: [] };
        groups.set(server, group);
      }
      group.keys.push(keys[at]);
      group.positions.push(at);
    }
    return groups;
  }

  /**
   * One command per server, all through one Executor under one deadline.
   * Rejects with the first failure (naming its server) if any server failed.
   */
  private async _perServer<G>(
    groups: Map<number, G>,
    build: (group: G) => Arg[],
    buffers = false,
  ): Promise<Map<number, ReplyValue>> {
    const batches = new Map<number, Batch>();
    for (const [server, group] of groups) {
      batches.set(server, this._libredis.createBatch().cmd(...(build(group) as [string, ...Arg[]])));
    }
    await this._executeOn(batches);
    const replies = new Map<number, ReplyValue>();
    for (const [server, batch] of batches) {
      const failure = batch.failure();
      if (failure !== null) throw failure;
      const [value] = batch.values({ buffers });
      if (value instanceof ReplyError) throw value;
      replies.set(server, value);
    }
    return replies;
  }

  /** @internal Executes each server's batch through one Executor under the client's deadline. */
  _executeOn(batches: Iterable<[number, Batch]>): Promise<boolean> {
    const executor = this._libredis.createExecutor();
    for (const [server, batch] of batches) executor.add(this._servers[server].connection, batch);
    return executor.execute(this._timeoutMs);
  }

  private async _summed(command: string, keys: Arg[]): Promise<number> {
    if (keys.length === 0) throw new TypeError(`${command.toLowerCase()}: needs at least one key`);
    const groups = this._groupKeys(keys, command.toLowerCase());
    const replies = await this._perServer(groups, (group) => [command, ...group.keys]);
    let sum = 0;
    for (const n of replies.values()) sum += n as number;
    return sum;
  }

  // With `distinct`, a server listed twice (to weigh it double on the ring)
  // is asked once, so its keys are not counted or listed twice.
  private _everyServer(args: Arg[], distinct = false): Promise<ReplyValue[]> {
    const servers = distinct ? this._distinctServers() : this._servers.map((_, server) => server);
    return Promise.all(servers.map((server) => this._send(server, args)));
  }

  // Ordinals of the servers, the first of each connection only.
  private _distinctServers(): number[] {
    const seen = new Set<Connection>();
    const out: number[] = [];
    this._servers.forEach((s, server) => {
      if (!seen.has(s.connection)) out.push(server);
      seen.add(s.connection);
    });
    return out;
  }
}

/**
 * Commands queued on any keys; `exec()` sends each server its part in one
 * batch, all servers in parallel, and resolves the results in the order
 * queued, with an Error in place of each command that failed (it does not
 * reject for one failed command).
 */
export class ShardedPipeline {
  private readonly _queued: Array<{ server: number; args: Arg[] }> = [];

  // Private: a pipeline comes from `client.pipeline()`.
  private constructor(private readonly _client: ShardedClient) {
    if (!(_client instanceof ShardedClient)) throw new TypeError('ShardedPipeline: get one with client.pipeline()');
  }

  /** @internal */
  static _create(client: ShardedClient): ShardedPipeline {
    return new ShardedPipeline(client);
  }

  /** Queues any command, routed by its keys (one server per command). */
  call(command: string, ...args: Arg[]): this {
    refuseOnSharedConnection(command);
    this._queued.push({ server: this._client._route(command, args), args: [command, ...args] });
    return this;
  }
  get(key: Arg): this {
    return this._keyed('GET', key);
  }
  set(key: Arg, value: Arg): this {
    return this._keyed('SET', key, value);
  }
  incr(key: Arg): this {
    return this._keyed('INCR', key);
  }
  del(key: Arg): this {
    return this._keyed('DEL', key);
  }
  hset(key: Arg, field: Arg, value: Arg): this {
    return this._keyed('HSET', key, field, value);
  }
  hget(key: Arg, field: Arg): this {
    return this._keyed('HGET', key, field);
  }

  // The helpers above: the key follows the command name, no table lookup.
  private _keyed(...cmd: [string, ...Arg[]]): this {
    this._queued.push({ server: this._client._ordinal(cmd[1]), args: cmd });
    return this;
  }

  /** Number of queued commands. */
  get length(): number {
    return this._queued.length;
  }

  /**
   * Sends everything queued; resolves one result per command, in queued
   * order. With `{ buffers: true }`, bulk and status replies are Buffers.
   */
  async exec(options?: { buffers?: boolean }): Promise<Array<ReplyValue | Error>> {
    const queued = this._queued.splice(0);
    const { libredis } = this._client._internals;
    const batches = new Map<number, { batch: Batch; positions: number[] }>();
    queued.forEach(({ server, args }, at) => {
      let entry = batches.get(server);
      if (entry === undefined) {
        entry = { batch: libredis.createBatch(), positions: [] };
        batches.set(server, entry);
      }
      entry.batch.cmd(...(args as [string, ...Arg[]]));
      entry.positions.push(at);
    });
    await this._client._executeOn(Array.from(batches, ([server, { batch }]) => [server, batch]));
    const results = new Array<ReplyValue | Error>(queued.length);
    for (const { batch, positions } of batches.values()) {
      const values = batch.values({ buffers: options?.buffers === true });
      const failure = batch.failure();
      positions.forEach((at, i) => {
        const v = values[i];
        // A command that did not complete carries the batch's typed failure.
        results[at] = failure !== null && v instanceof ReplyError && v.message === failure.message ? failure : v;
      });
    }
    return results;
  }
}

/** A flat [field, value, ...] reply as an object. */
function pairsToObject<V>(flat: V[], fieldName: (field: V) => string): Record<string, V> {
  const out: Record<string, V> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = fieldName(flat[i]);
    // A field named __proto__ is data like any other, not the object's prototype.
    if (field === '__proto__') {
      Object.defineProperty(out, field, { value: flat[i + 1], enumerable: true, writable: true, configurable: true });
    } else {
      out[field] = flat[i + 1];
    }
  }
  return out;
}

interface ParsedServer {
  host: string;
  port: number;
  weight: number;
  /** Where to connect: 'host:port', or '[ipv6]:port'. */
  address: string;
}

function parseServer(spec: ServerSpec, i: number): ParsedServer {
  const where = `ShardedClient: server ${i + 1}`;
  if (typeof spec === 'string') {
    // The same rule as a connection address: digits only, so ' 80', '0x50'
    // or '6379.0' cannot name a port that the ring then spells differently.
    const at = spec.lastIndexOf(':');
    const portText = spec.slice(at + 1);
    if (at <= 0 || !isPortText(portText)) {
      throw new TypeError(`${where} must be 'host:port' with a port of 1-65535, got ${describe(spec)}`);
    }
    return withAddress(spec.slice(0, at), Number(portText), 100, where);
  }
  if (spec === null || typeof spec !== 'object' || typeof spec.host !== 'string' || spec.host === '') {
    throw new TypeError(`${where} must be 'host:port' or { host, port, weight }, got ${describe(spec)}`);
  }
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
    throw new TypeError(`${where}: port must be an integer 1-65535, got ${describe(spec.port)}`);
  }
  const weight = spec.weight ?? 100;
  if (!isRingWeight(weight)) {
    throw new TypeError(`${where}: weight must be a non-negative integer, got ${describe(weight)}`);
  }
  return withAddress(spec.host, spec.port, weight, where);
}

// The connection address of host and port, checked to name exactly that TCP
// server. The ring keeps the host as written; a bare IPv6 host is bracketed
// here only, as a plain 'host:port' cannot say it.
function withAddress(host: string, port: number, weight: number, where: string): ParsedServer {
  const bracketed = host.startsWith('[') && host.endsWith(']');
  const bare = bracketed ? host.slice(1, -1) : host;
  const address = !bracketed && isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  let parsed: ReturnType<typeof parseAddress> | undefined;
  try {
    parsed = parseAddress(address);
  } catch {
    // reported below
  }
  if (parsed === undefined || parsed.isUnix || parsed.host !== bare || parsed.port !== port) {
    throw new TypeError(`${where}: host ${describe(host)} cannot be used as a TCP host`);
  }
  return { host, port, weight, address };
}
