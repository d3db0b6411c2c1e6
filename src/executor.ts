import { checkTimeout, describe } from './address';
import { Batch } from './batch';
import { Connection } from './connection';
import { type ErrorSink, runPairs } from './execute';

/**
 * Runs several (connection, batch) pairs in parallel under one deadline, as
 * the PHP extension's Executor does: `add` each pair, then `execute`.
 * Usually made by `libredis.createExecutor()`, which also records a failed
 * execution's message in `libredis.lastError`; one made with
 * `new Executor()` runs the same without that.
 */
export class Executor {
  private _connections: Connection[] = [];
  private _batches: Batch[] = [];

  /** @internal Where a failed execution's message goes (Libredis.lastError), if anywhere. */
  _owner: ErrorSink | undefined;

  /** Associates `batch` with `connection` for the next `execute`. */
  add(connection: Connection, batch: Batch): this {
    if (!(connection instanceof Connection))
      throw new TypeError(`add: expected a Connection, got ${describe(connection)}`);
    if (!(batch instanceof Batch)) throw new TypeError(`add: expected a Batch, got ${describe(batch)}`);
    if (this._batches.includes(batch)) throw new TypeError('add: this batch was already added to this executor');
    this._connections.push(connection);
    this._batches.push(batch);
    return this;
  }

  /** Number of pairs waiting for `execute`. */
  get size(): number {
    return this._batches.length;
  }

  /**
   * Executes every added pair at once, all under one deadline of `timeoutMs`.
   * Resolves true when every command of every batch got its reply; false
   * otherwise (each failed batch has `error` set). The pairs are cleared, so
   * the executor can be reused.
   */
  async execute(timeoutMs = 5000): Promise<boolean> {
    const timeout = checkTimeout(timeoutMs, 'execute');
    const connections = this._connections;
    const batches = this._batches;
    this._connections = [];
    this._batches = [];
    if (batches.length === 0) return true;
    return runPairs(timeout, connections, batches, this._owner);
  }
}
