import { checkTimeout, describe, type ParsedAddress } from './address';
import type { Arg } from './arguments';
import { Batch } from './batch';
import { ReplyError, errorFor } from './errors';
import { type ErrorSink, runPairs } from './execute';
import { type NativeConnection, native } from './native';
import { ReplyType } from './reply';

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
  /** @internal */
  readonly _owner: ErrorSink;
  // Batches for get/set, reused so each call does not build a native object.
  private readonly _spare: Batch[] = [];

  /** @internal */
  constructor(addr: ParsedAddress, owner: ErrorSink) {
    this.address = addr.label;
    this._native = new native.NativeConnection(addr.isUnix, addr.host, addr.port, addr.label);
    this._owner = owner;
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
   * GET key. Resolves the value, or null when the key does not exist.
   * Rejects with a `TimeoutError`, `ConnectionError` or `ProtocolError` when
   * the command did not complete, and a `ReplyError` when the server answered
   * with an error (for example WRONGTYPE).
   */
  async get(key: Arg, timeoutMs = 5000): Promise<string | null> {
    const batch = this._spareBatch().get(key);
    await runPairs(checkTimeout(timeoutMs, 'get'), [this], [batch], this._owner);
    const reply = batch.nextReply();
    this._recycle(batch);
    if (batch.error !== null) throw errorFor(batch._errorKind, batch.error, this.address);
    if (reply === null) throw new Error('libredis: no reply recorded for GET'); // cannot happen: one reply per command
    if (reply.type === ReplyType.BULK) return reply.value as string;
    if (reply.type === ReplyType.BULK_NIL) return null;
    const message = String(reply.value);
    this._owner._setLastError(message);
    throw new ReplyError(message, this.address);
  }

  /**
   * SET key value. Resolves true on success; false when the command failed
   * (timeout, connection failure or an error reply), as the PHP extension
   * does, with the reason in `Libredis.lastError()`.
   */
  async set(key: Arg, value: Arg, timeoutMs = 5000): Promise<boolean> {
    const batch = this._spareBatch().set(key, value);
    await runPairs(checkTimeout(timeoutMs, 'set'), [this], [batch], this._owner);
    const reply = batch.nextReply();
    this._recycle(batch);
    if (reply !== null && reply.type === ReplyType.OK) return true;
    if (batch.error === null && reply !== null) this._owner._setLastError(String(reply.value));
    return false;
  }

  private _spareBatch(): Batch {
    return this._spare.pop() ?? new Batch();
  }

  private _recycle(batch: Batch): void {
    // Only its error and reply cursor are read after this; both stay valid
    // until it is executed again.
    if (this._spare.length < 64) this._spare.push(batch);
  }

  /**
   * Closes the socket now. Commands still pending get an ERROR reply saying
   * the connection was closed; the next execute opens a new connection.
   */
  close(): void {
    this._native.close();
  }
}
