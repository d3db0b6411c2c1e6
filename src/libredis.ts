import { describe, parseAddress } from './address';
import { Batch } from './batch';
import { Connection } from './connection';
import { Executor } from './executor';
import { Ketama } from './ketama';

/** Options of a `Libredis`: what every connection it hands out uses. */
export interface LibredisOptions {
  /**
   * Largest single bulk reply accepted, in bytes (default 512 MiB, at most
   * 4294967295). A larger one fails its batch with a ProtocolError and
   * closes the connection, instead of exhausting memory.
   */
  maxBulkBytes?: number;
  /** Sent as AUTH on every new connection (with `username`, as ACL AUTH). */
  password?: string;
  /** ACL user for AUTH; needs `password`. */
  username?: string;
  /** Database number, sent as SELECT on every new connection. */
  db?: number;
}

/**
 * Entry point, like the PHP extension's `Libredis()`: hands out connections,
 * batches, executors and Ketama rings. All instances in a thread share one
 * native poll thread; an idle instance keeps nothing alive.
 *
 * @example
 * const libredis = new Libredis();
 * const connection = libredis.getConnection('127.0.0.1:6379');
 * await connection.call('SET', 'greeting', 'hello');
 */
export class Libredis {
  private readonly _connections = new Map<string, Connection>();
  private _lastError = '';
  private readonly _maxBulkBytes: number | undefined;
  private readonly _handshake: string[][] = [];

  constructor(options: LibredisOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Libredis: options must be an object, got ${describe(options)}`);
    }
    const max = options.maxBulkBytes;
    if (max !== undefined && (!Number.isInteger(max) || max < 0 || max > 0xffffffff)) {
      throw new TypeError(`Libredis: maxBulkBytes must be an integer from 0 to 4294967295, got ${describe(max)}`);
    }
    this._maxBulkBytes = max;
    const { password, username, db } = options;
    if (password !== undefined && typeof password !== 'string') {
      throw new TypeError(`Libredis: password must be a string, got ${describe(password)}`);
    }
    if (username !== undefined && (typeof username !== 'string' || password === undefined)) {
      throw new TypeError('Libredis: username must be a string, and goes with a password');
    }
    if (db !== undefined && (!Number.isInteger(db) || db < 0)) {
      throw new TypeError(`Libredis: db must be a non-negative integer, got ${describe(db)}`);
    }
    if (password !== undefined)
      this._handshake.push(username === undefined ? ['AUTH', password] : ['AUTH', username, password]);
    if (db !== undefined && db !== 0) this._handshake.push(['SELECT', String(db)]);
  }

  /**
   * The connection for `addr`: the same object for the same address string.
   * Forms: `host`, `host:port` (default port 6379), `[ipv6]:port`, and unix
   * socket paths (`/path/redis.sock` or `unix:path`). Nothing connects until
   * the first execute.
   */
  getConnection(addr: string): Connection {
    let c = this._connections.get(addr);
    if (c === undefined) {
      c = Connection._create(parseAddress(addr), this, this._maxBulkBytes, this._handshake);
      this._connections.set(addr, c);
    }
    return c;
  }

  /** A new batch, optionally starting with raw protocol text (see `Batch.write`). */
  createBatch(commands?: string | Buffer, numCommands = 0): Batch {
    return new Batch(commands, numCommands);
  }

  /** A new executor for running batches on several connections in parallel. */
  createExecutor(): Executor {
    const executor = new Executor();
    executor._owner = this;
    return executor;
  }

  /** A new, empty Ketama ring. */
  createKetama(): Ketama {
    return new Ketama();
  }

  /**
   * The message of the last failure (a failed execute, or a rejected
   * `Connection.call`/`callBuffer`/`get`/`getBuffer`/`set`), then clears it,
   * as the PHP extension does.
   * Empty when there was none.
   */
  lastError(): string {
    const e = this._lastError;
    this._lastError = '';
    return e;
  }

  /**
   * Closes every connection of this instance. Pending commands settle at once
   * with an ERROR reply; later use reconnects.
   */
  close(): void {
    for (const c of this._connections.values()) c.close();
  }

  /** Same as `close()`. */
  destroy(): void {
    this.close();
  }

  /** @internal */
  _setLastError(message: string): void {
    this._lastError = message;
  }

  /** PHP name of `getConnection`. */
  get_connection(addr: string): Connection {
    return this.getConnection(addr);
  }
  /** PHP name of `createBatch`. */
  create_batch(commands?: string | Buffer, numCommands = 0): Batch {
    return this.createBatch(commands, numCommands);
  }
  /** PHP name of `createExecutor`. */
  create_executor(): Executor {
    return this.createExecutor();
  }
  /** PHP name of `createKetama`. */
  create_ketama(): Ketama {
    return this.createKetama();
  }
  /** PHP name of `lastError`. */
  last_error(): string {
    return this.lastError();
  }
}
