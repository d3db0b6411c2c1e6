import { checkTimeout, describe, type ParsedAddress } from './address';
import { type Arg, toWire } from './arguments';
import { Batch } from './batch';
import { errorFor, LibredisError, ReplyError } from './errors';
import { type ErrorSink, runPairs } from './execute';
import { type NativeConnection, native, scheduleFlush } from './native';
import type { ReplyValue } from './reply';

/**
 * A connection to one Redis server, opened on first use and reopened on the
 * next use after an error or timeout. All socket I/O happens on the native
 * poll thread. Get one from `Libredis.getConnection(addr)`.
 */
export class Connection {
  /** The address as given to `getConnection`. */
  readonly address: string;
  /** @internal */
  readonly _native: NativeConnection;
  /** @internal The number native calls take to name `_native`. */
  readonly _id: number;
  /** @internal */
  readonly _owner: ErrorSink;

  // Private: a Connection comes from `libredis.getConnection(address)`.
  private constructor(addr: ParsedAddress, owner: ErrorSink, maxBulkBytes?: number, handshake: string[][] = []) {
    if (addr?.label === undefined) throw new TypeError('Connection: get one with libredis.getConnection(address)');
    this.address = addr.label;
    this._native = new native.NativeConnection(addr.isUnix, addr.host, addr.port, addr.label, maxBulkBytes, handshake);
    this._id = this._native.id;
    this._owner = owner;
  }

  /** @internal */
  static _create(addr: ParsedAddress, owner: ErrorSink, maxBulkBytes?: number, handshake: string[][] = []): Connection {
    return new Connection(addr, owner, maxBulkBytes, handshake);
  }

  /**
   * Sends the batch's commands and collects their replies. Resolves true when
   * every command got its reply; false on timeout or connection failure, when
   * `batch.error` says why and each command that did not complete has an
   * ERROR reply. Rejects only on misuse (TypeError). Several executes on one
   * connection at once are pipelined in call order.
   */
  async execute(batch: Batch, timeoutMs = 5000): Promise<boolean> {
    if (!(batch instanceof Batch)) throw new TypeError(`execute: expected a Batch, got ${describe(batch)}`);
    return runPairs(checkTimeout(timeoutMs, 'execute'), [this], [batch], this._owner);
  }

  /**
   * Sends one command and resolves with its reply as a JS value: bulk and
   * status replies as strings, integers as numbers, nils as null, multibulks
   * as (nested) arrays. Rejects with a `ReplyError` when the server answers
   * with an error; an error inside an array (EXEC, a Lua table) is a
   * `ReplyError` element. Rejects with a `TimeoutError`, `ConnectionError` or
   * `ProtocolError` when the command did not complete (5000 ms timeout).
   * A value longer than a JS string can hold (`buffer.constants.MAX_STRING_LENGTH`,
   * about 512 MiB) rejects with an Error whose `code` is `ERR_STRING_TOO_LONG`;
   * read such values with `callBuffer`. Calls issued in the same tick go to
   * the server together.
   *
   * @example await connection.call('HINCRBY', 'user:1', 'visits', 1)
   */
  call(command: string, ...args: Arg[]): Promise<ReplyValue> {
    return this._command('call', [command, ...args], false);
  }

  /**
   * Like `call`, with bulk and status replies as Buffers (bytes as the server
   * sent them), also inside arrays.
   *
   * @example const bytes = await connection.callBuffer('GET', 'image:1')
   */
  callBuffer(command: string, ...args: Arg[]): Promise<ReplyValue> {
    return this._command('callBuffer', [command, ...args], true);
  }

  /**
   * GET key. Resolves the value, or null when the key does not exist.
   * Rejects with a `TimeoutError`, `ConnectionError` or `ProtocolError` when
   * the command did not complete, and a `ReplyError` when the server answered
   * with an error (for example WRONGTYPE). A value too long for a JS string
   * rejects with `code` `ERR_STRING_TOO_LONG` (see `call`); use `getBuffer`.
   */
  get(key: Arg, timeoutMs = 5000): Promise<string | null> {
    return this._get('get', key, timeoutMs, false) as Promise<string | null>;
  }

  /** Like `get`, resolving the value as a Buffer (or null). */
  getBuffer(key: Arg, timeoutMs = 5000): Promise<Buffer | null> {
    return this._get('getBuffer', key, timeoutMs, true) as Promise<Buffer | null>;
  }

  /**
   * SET key value. Resolves true on success; false when the command failed
   * (timeout, connection failure or an error reply), as the PHP extension
   * does, with the reason in `Libredis.lastError()`.
   */
  async set(key: Arg, value: Arg, timeoutMs = 5000): Promise<boolean> {
    const timeout = checkTimeout(timeoutMs, 'set');
    const [k, v] = toWire([key, value], 'set');
    try {
      return (await this._call(timeout, ['SET', k, v])) === 'OK';
    } catch (e) {
      if (e instanceof LibredisError) return false; // lastError() has the reason
      throw e;
    }
  }

  /**
   * Closes the socket at the end of this tick, after handing over what was
   * issued before it. Commands still pending then, the ones issued earlier
   * in this tick included, get an ERROR reply saying the connection was
   * closed, and are not sent; the next execute opens a new connection.
   */
  close(): void {
    this._native.close();
    scheduleFlush(); // the close goes with the tick's executes, in one step
  }

  // call/callBuffer: argument errors reject rather than throw.
  private _command(method: string, args: Arg[], buffers: boolean): Promise<ReplyValue> {
    let wire: Array<string | Uint8Array>;
    try {
      wire = toWire(args, method);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._call(5000, wire, buffers);
  }

  /** @internal get/getBuffer (also ShardedClient's): a string key skips toWire, the hot path of single GETs. */
  _get(method: string, key: Arg, timeoutMs: number, buffers: boolean): Promise<ReplyValue> {
    let timeout: number;
    let k: string | Uint8Array;
    try {
      timeout = checkTimeout(timeoutMs, method);
      k = typeof key === 'string' ? key : toWire([key], method)[0];
    } catch (e) {
      return Promise.reject(e);
    }
    const done = buffers ? native.getBuffer(timeout, this._id, k) : native.get(timeout, this._id, k);
    return this._settled(done);
  }

  /** @internal */
  _call(timeoutMs: number, args: Array<string | Uint8Array>, buffers = false): Promise<ReplyValue> {
    const done = buffers ? native.callBuffer(timeoutMs, this._id, ...args) : native.call(timeoutMs, this._id, ...args);
    return this._settled(done, true);
  }

  // Flushes at the end of the tick; native rejections become typed errors.
  // An error reply inside an array (EXEC, a Lua table) comes from the native
  // side as a plain Error; with `arrays` it becomes a ReplyError, as in values().
  private _settled(done: Promise<unknown>, arrays = false): Promise<ReplyValue> {
    scheduleFlush();
    const address = this.address;
    return done.then(
      arrays ? (value) => (Array.isArray(value) ? withReplyErrors(value, address) : value) : undefined,
      (e: Error & { kind?: number }) => {
        throw this._typedError(e);
      },
    ) as Promise<ReplyValue>;
  }

  private _typedError(e: Error & { kind?: number }): Error {
    if (typeof e?.kind !== 'number') return e;
    this._owner._setLastError(e.message);
    return e.kind === -1 ? new ReplyError(e.message, this.address) : errorFor(e.kind, e.message, this.address);
  }
}

// Replaces, in place, the plain Errors that stand for nested error replies.
function withReplyErrors(items: ReplyValue[], address: string): ReplyValue[] {
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (typeof item !== 'object' || item === null) continue;
    if (Array.isArray(item)) withReplyErrors(item, address);
    else if (item instanceof Error && !(item instanceof LibredisError))
      items[i] = new ReplyError(item.message, address);
  }
  return items;
}
