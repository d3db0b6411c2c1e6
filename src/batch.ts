import { describe } from './address';
import { type Arg, toWire } from './arguments';
import { Connection } from './connection';
import { ErrorKind, errorFor, type LibredisError } from './errors';
import { type NativeBatch, native } from './native';
import { PackedReplies, type Reply, type ReplyValue } from './reply';

const EMPTY = new PackedReplies(new Int32Array(0), Buffer.alloc(0));
// Above this many UTF-16 units, queued arguments cross one by one: joining
// would copy large values twice more for a saving that no longer counts.
const JOIN_LIMIT = 1 << 20;

// Command shapes and argument lengths for the native encoder, which reads
// them during the call: one array serves every batch on this thread (a new
// one per batch cost more than the rest of a small batch). A rare huge
// batch gets its own, so the shared one never pins much memory.
const META_KEEP = 1 << 16;
let sharedMeta = new Int32Array(1024);
function metaFor(length: number): Int32Array {
  if (length > META_KEEP) return new Int32Array(length);
  if (sharedMeta.length < length) sharedMeta = new Int32Array(META_KEEP);
  return sharedMeta;
}

// Native batches given back by batches whose execution is over (see
// _collect). Between executions a batch keeps everything in JS, so its
// native side can serve the next batch: making one per batch cost a wrapped
// native object and, after each GC, its finalizer.
const SPARE_NATIVE_MAX = 64;
const spareNatives: NativeBatch[] = [];

/**
 * A list of commands sent to one server in one go (pipelined), and after
 * execution, their replies. Build it with `get`, `set`, `cmd` or `write`
 * (all chainable), run it with `execute` (or `Connection.execute`, or an
 * `Executor`), then read replies with `nextReply()` or `values()`.
 *
 * Each execution sends the commands added since the previous one, and its
 * replies replace the previous replies.
 */
export class Batch {
  // The native side, taken when first needed (see _native).
  private _nb: NativeBatch | null = null;
  // The native side holds commands not yet handed to an execution.
  private _unsent = false;
  // Executions of this batch submitted and not yet collected (a new one can
  // be submitted before the last one's result is collected).
  private _inflight = 0;
  /** @internal */
  _replies: PackedReplies = EMPTY;
  /** @internal */
  _errorKind: number = ErrorKind.None;
  /** @internal */
  _address: string | undefined;
  private _cursor = 0;
  // String-only commands wait here and cross to the native encoder in one
  // call (one crossing per batch instead of one per command). Commands with
  // Buffer arguments are encoded at once, so later changes to a Buffer
  // cannot alter a command already added.
  private _qArgs: string[] = [];
  private _qShape: number[] = [];

  /**
   * Why the last execution failed (timeout, connection failure, protocol
   * error), naming the server address; null when it succeeded. Error
   * *replies* from the server do not set it: they are ordinary replies.
   */
  error: string | null = null;

  /**
   * @param commands Raw protocol text to start with (see `write`).
   * @param numCommands How many replies `commands` will produce.
   */
  constructor(commands?: string | Buffer, numCommands = 0) {
    if (commands !== undefined && commands !== '') this.write(commands, numCommands);
  }

  /** @internal The native side: encoded commands, and results until collected. */
  get _native(): NativeBatch {
    if (this._nb === null) this._nb = spareNatives.pop() ?? new native.NativeBatch();
    return this._nb;
  }

  // The native side, for encoding commands into it: they are then unsent
  // until an execution takes them (see _submitted).
  private _encoder(): NativeBatch {
    this._unsent = true;
    return this._native;
  }

  /**
   * Appends raw protocol bytes, for example `"INCR counter\r\n"`.
   * @param numCommands How many replies the data will produce; replies are
   *   matched to batches by this count, so it must be right. A count larger
   *   than the number of bytes written throws a RangeError.
   */
  write(data: string | Buffer | Uint8Array, numCommands = 0): this {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`write: data must be a string or Buffer, got ${describe(data)}`);
    }
    if (!Number.isInteger(numCommands) || numCommands < 0 || numCommands > 0xffffffff) {
      throw new TypeError(`write: numCommands must be a non-negative integer, got ${describe(numCommands)}`);
    }
    this._flushQueued();
    this._encoder().write(data, numCommands);
    return this;
  }

  /** Appends `SET key value`. */
  set(key: Arg, value: Arg): this {
    if (typeof key === 'string' && typeof value === 'string') {
      this._qArgs.push(key, value);
      this._queue(-2);
      return this;
    }
    const [k, v] = toWire([key, value], 'set');
    this._flushQueued();
    this._encoder().set(k, v);
    return this;
  }

  /** Appends `GET key`. */
  get(key: Arg): this {
    if (typeof key === 'string') {
      this._qArgs.push(key);
      this._queue(-1);
      return this;
    }
    const k = toWire([key], 'get')[0];
    this._flushQueued();
    this._encoder().get(k);
    return this;
  }

  /**
   * Appends any command as a multibulk request, e.g.
   * `cmd('HINCRBY', 'aKey', 'aField', 10)`. Binary-safe.
   */
  cmd(...args: Arg[]): this {
    if (args.length === 0) throw new TypeError('cmd: needs at least the command name');
    const wire = toWire(args, 'cmd');
    let strings = true;
    for (let i = 0; i < wire.length && strings; i++) strings = typeof wire[i] === 'string';
    if (strings) {
      for (let i = 0; i < wire.length; i++) this._qArgs.push(wire[i] as string);
      this._queue(wire.length);
    } else {
      this._flushQueued();
      this._encoder().cmd(...wire);
    }
    return this;
  }

  /** Executes this batch on `connection`; same as `connection.execute(batch, timeoutMs)`. */
  execute(connection: Connection, timeoutMs = 5000): Promise<boolean> {
    if (!(connection instanceof Connection)) {
      return Promise.reject(new TypeError(`execute: expected a Connection, got ${describe(connection)}`));
    }
    return connection.execute(this, timeoutMs);
  }

  /**
   * The next reply node, or null when all have been read. Multibulk elements
   * follow their header depth-first (see `Reply`). String values are UTF-8
   * decoded; use `nextReplyBuffer()` for bytes.
   */
  nextReply(): Reply | null {
    if (this._cursor >= this._replies.nodeCount) return null;
    return this._replies.node<string>(this._cursor++, false);
  }

  /** Like `nextReply()`, with OK, ERROR and BULK values as Buffers. */
  nextReplyBuffer(): Reply<Buffer> | null {
    if (this._cursor >= this._replies.nodeCount) return null;
    return this._replies.node<Buffer>(this._cursor++, true);
  }

  /** Restarts `nextReply()` from the first reply. */
  rewind(): this {
    this._cursor = 0;
    return this;
  }

  /**
   * Every reply of the last execution as a JS value, one per command: strings
   * (or Buffers with `{ buffers: true }`), numbers, null, nested arrays, and
   * `ReplyError` objects for error replies, including the ERROR reply that
   * stands for each command that did not complete.
   */
  values(options?: { buffers?: boolean }): ReplyValue[] {
    return this._replies.values(options?.buffers === true, this._address);
  }

  /** The typed error for the last failed execution, or null. */
  failure(): LibredisError | null {
    return this.error === null ? null : errorFor(this._errorKind, this.error, this._address);
  }

  /** Commands added since the last execution. */
  get pendingCommands(): number {
    return this._pending()[1];
  }

  /** @internal The encoded commands not yet executed, and their count. */
  _pending(): [Buffer, number] {
    this._flushQueued();
    return this._native.pending();
  }

  private _queue(shape: number): void {
    this._qShape.push(shape);
  }

  /**
   * @internal Hands queued commands to the native encoder: joined into one
   * string, which crosses in one read instead of one per argument, unless
   * that is not exact (see appendJoined) or the text is very large.
   */
  _flushQueued(): void {
    const shape = this._qShape;
    const count = shape.length;
    if (count === 0) return;
    const args = this._qArgs;
    this._qArgs = [];
    this._qShape = [];
    const n = args.length;
    const meta = metaFor(count + n);
    for (let i = 0; i < count; i++) meta[i] = shape[i];
    let total = 0;
    for (let i = 0; i < n; i++) total += meta[count + i] = args[i].length;
    const encoder = this._encoder();
    if (total <= JOIN_LIMIT && encoder.appendJoined(args.join(''), meta, count, n)) return;
    encoder.appendQueued(args, meta, count);
  }

  /** @internal An execution took every command the native side held. */
  _submitted(): void {
    this._unsent = false;
    this._inflight++;
  }

  /** @internal Picks up the result of an execution. */
  _collect(address: string): void {
    const nb = this._nb;
    if (nb === null) return;
    const r = nb.takeResult();
    this._inflight--;
    // Nothing is left natively unless another execution is under way or
    // commands with Buffers were added meanwhile: the native side can then
    // serve another batch.
    if (this._inflight === 0 && !this._unsent) {
      this._nb = null;
      if (spareNatives.length < SPARE_NATIVE_MAX) spareNatives.push(nb);
    }
    if (r === undefined) return;
    if (r instanceof ArrayBuffer) {
      // A small result, packed: see NativeBatch.takeResult.
      const head = new Int32Array(r, 0, 4);
      const payloadAt = 16 + head[0] * 4;
      this._replies = new PackedReplies(new Int32Array(r, 16, head[0]), Buffer.from(r, payloadAt, head[1]));
      this._errorKind = head[2];
      this.error = head[2] === ErrorKind.None ? null : Buffer.from(r, payloadAt + head[1], head[3]).toString('utf8');
    } else {
      this._replies = new PackedReplies(r[0], r[1]);
      this.error = r[2];
      this._errorKind = r[3];
    }
    this._address = address;
    this._cursor = 0;
  }

  /** PHP name of `nextReply`. */
  next_reply(): Reply | null {
    return this.nextReply();
  }
}
