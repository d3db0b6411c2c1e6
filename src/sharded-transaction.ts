import { type Arg, toWire } from './arguments';
import type { Connection } from './connection';
import { ConnectionError, ReplyError } from './errors';
import { refuseOnSharedConnection } from './key-routing';
import type { Libredis } from './libredis';
import type { ReplyValue } from './reply';

/** @internal What a transaction needs from its client. */
export interface TransactionHost {
  /** Server ordinal of a command's keys; throws when they are not on one server. */
  _route(command: string, args: readonly Arg[]): number;
  _internals: { libredis: Libredis; timeoutMs: number; servers: Array<{ address: string }> };
  /** Closes a watch() transaction's own connection. */
  _released(connection: Connection): void;
  /** Whether a watch() connection is still open (the client's close() closes it). */
  _watchingOn(connection: Connection): boolean;
}

/**
 * A MULTI/EXEC transaction on one server (the server of the key it was made
 * for). Queue commands with `call`, then `exec()`. A command whose keys live
 * on another server throws when queued, before anything is sent.
 *
 * @typeParam Aborted - what `exec()` resolves when a WATCHed key changed:
 * `null` (the default, and a `watch()` transaction's). `multi()` gives a
 * `ShardedTransaction<never>`: it watches nothing, so its `exec()` resolves
 * the results (unless a WATCH was sent on the shared connection through
 * `forServer`, which this type does not foresee).
 */
export class ShardedTransaction<Aborted extends null = null> {
  private readonly _queued: Arg[][] = [];
  private _done = false;

  // Private: a transaction comes from `client.multi(key)` or `client.watch(...)`.
  private constructor(
    private readonly _host: TransactionHost,
    private readonly _server: number,
    private readonly _connection: Connection,
    private readonly _dedicated: boolean,
  ) {
    if (typeof _host?._route !== 'function') {
      throw new TypeError('ShardedTransaction: get one with client.multi(key) or client.watch(...keys)');
    }
  }

  /** @internal */
  static _create<Aborted extends null = null>(
    host: TransactionHost,
    server: number,
    connection: Connection,
    dedicated: boolean,
  ): ShardedTransaction<Aborted> {
    return new ShardedTransaction<Aborted>(host, server, connection, dedicated);
  }

  /** The server this transaction runs on. */
  get address(): string {
    return this._host._internals.servers[this._server].address;
  }

  /** Queues a command (its keys must live on this transaction's server). */
  call(command: string, ...args: Arg[]): this {
    this._refuseIfDone();
    refuseOnSharedConnection(command); // inside MULTI as well: it would outlast EXEC
    const server = this._host._route(command, args);
    if (server !== this._server) {
      throw new TypeError(
        `${command}: its keys live on ${this._host._internals.servers[server].address}, ` +
          `not on ${this.address} where this transaction runs`,
      );
    }
    this._queued.push([command, ...args]);
    return this;
  }

  /**
   * Sends MULTI, the queued commands and EXEC as one batch. Resolves the
   * results in order (an Error for a command the server refused inside the
   * transaction), or null when a WATCHed key changed and the transaction was
   * aborted. Rejects with the reason when the batch did not complete, or a
   * ReplyError when the server refused the transaction as a whole.
   */
  async exec(): Promise<Array<ReplyValue | Error> | Aborted> {
    this._refuseIfDone();
    this._done = true;
    this._checkWatching();
    const { libredis, timeoutMs } = this._host._internals;
    const batch = libredis.createBatch().cmd('MULTI');
    for (const args of this._queued) batch.cmd(...(args as [string, ...Arg[]]));
    batch.cmd('EXEC');
    try {
      await this._connection.execute(batch, timeoutMs);
      const failure = batch.failure();
      if (failure !== null) throw failure;
      const values = batch.values();
      const result = values[values.length - 1];
      if (result instanceof ReplyError) {
        // EXECABORT: name the command that was refused when queued.
        const refused = values.slice(1, -1).find((v) => v instanceof ReplyError);
        throw refused === undefined ? result : new ReplyError(`${result.message} (${refused.message})`, this.address);
      }
      // null only when a WATCHed key changed, so only for watch() (Aborted = null).
      return result as Array<ReplyValue | Error> | Aborted;
    } finally {
      if (this._dedicated) this._host._released(this._connection);
    }
  }

  /**
   * Runs a command right away, outside the transaction, on the same
   * connection: for reading WATCHed keys before queuing (see
   * `ShardedClient.watch`).
   */
  read(command: string, ...args: Arg[]): Promise<ReplyValue> {
    // Refusals reject, as for every command method.
    try {
      // After exec() or discard() a WATCH connection is closed: reading
      // would open a new one with nothing watched.
      this._refuseIfDone();
      this._checkWatching();
      // A WATCH transaction's connection is its own: more WATCHes are its
      // business, but anything else there would still spoil its EXEC.
      refuseOnSharedConnection(command, this._dedicated ? 'watch' : undefined);
      if (this._host._route(command, args) !== this._server) {
        throw new TypeError(`${command}: its keys live on another server`);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this._connection._call(this._host._internals.timeoutMs, toWire([command, ...args], command));
  }

  private _refuseIfDone(): void {
    if (this._done) throw new TypeError('this transaction was already executed or discarded');
  }

  // The client's close() took a WATCH connection: running anyway would
  // reconnect without the WATCH, so the transaction fails as its commands
  // would have.
  private _checkWatching(): void {
    if (this._dedicated && !this._host._watchingOn(this._connection)) {
      throw new ConnectionError(`the ShardedClient was closed, and with it this transaction's WATCH`, this.address);
    }
  }

  /** Gives up without executing (and frees a WATCH connection). */
  discard(): void {
    this._done = true;
    if (this._dedicated) this._host._released(this._connection);
  }
}
