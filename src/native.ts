// Loads the addon: a prebuilt binary from prebuilds/ when one matches this
// platform, else the one built from source in build/Release.
import * as path from 'node:path';
import * as timers from 'node:timers';

/** @internal */
export interface NativeBatch {
  cmd(...args: Array<string | Uint8Array>): void;
  get(key: string | Uint8Array): void;
  set(key: string | Uint8Array, value: string | Uint8Array): void;
  write(data: string | Uint8Array, numCommands: number): void;
  /**
   * Encodes commands queued in JS: meta[i] for i < commands is command i's
   * shape (-1 GET, -2 SET, else its argument count).
   */
  appendQueued(args: string[], meta: Int32Array, commands: number): void;
  /** The same, the arguments joined into one string; meta holds the shapes, then each argument's UTF-16 length. */
  appendJoined(joined: string, meta: Int32Array, commands: number, args: number): boolean;
  /**
   * The last execution's result, once: [records, payload, error, errorKind],
   * or for a small one a single ArrayBuffer holding four int32s (record ints,
   * payload bytes, errorKind, error bytes), then the records, the payload and
   * the error text (UTF-8).
   */
  takeResult(): [Int32Array, Buffer, string | null, number] | ArrayBuffer | undefined;
  /** The encoded commands not yet executed, and how many replies they owe. */
  pending(): [Buffer, number];
}

/** @internal */
export interface NativeConnection {
  /** What `call`, `get` and `submit` take to name this connection. */
  readonly id: number;
  close(reason?: string): void;
}

/** @internal */
export interface NativeKetama {
  addServer(host: string, port: number, weight: number): void;
  createContinuum(): void;
  getServerAddress(ordinal: number): string;
  pointCount(): number;
  /** Test access: the ordinal for an MD5 first word (0 to 2^32-1), without hashing a key. */
  ordinalForHash(hash: number): number;
  /** out[i] = the ordinal of keys[i] for i < count; throws a TypeError naming a bad key. */
  ordinals(keys: ReadonlyArray<string | Uint8Array>, count: number, out: Int32Array): void;
  /** ordinals() for keys that are all strings, also given joined, with lengths[i] the UTF-16 length of keys[i]. */
  ordinalsJoined(keys: readonly string[], joined: string, lengths: Int32Array, count: number, out: Int32Array): void;
  /** getServerOrdinal as a function bound to this ring. */
  lookupFunction(): (key: string | Uint8Array) => number;
}

/** @internal */
export interface NativeBinding {
  NativeBatch: new () => NativeBatch;
  NativeConnection: new (
    isUnix: boolean,
    host: string,
    port: number,
    label: string,
    maxBulkBytes?: number,
    handshake?: string[][],
  ) => NativeConnection;
  NativeKetama: new () => NativeKetama;
  /** submit(timeoutMs, connection.id, batch, ...): executes the batches in parallel. */
  submit(timeoutMs: number, ...pairs: Array<number | NativeBatch>): Promise<boolean>;
  /**
   * One command without a batch. Resolves with the decoded reply; rejects
   * with an Error whose `kind` is the ErrorKind, or -1 for an error reply.
   */
  call(timeoutMs: number, connection: number, ...args: Array<string | Uint8Array>): Promise<unknown>;
  /** Like `call`, with bulk and status replies as Buffers. */
  callBuffer(timeoutMs: number, connection: number, ...args: Array<string | Uint8Array>): Promise<unknown>;
  /** `call(timeoutMs, connection, 'GET', key)`, with the command head pre-encoded. */
  get(timeoutMs: number, connection: number, key: string | Uint8Array): Promise<unknown>;
  /** Like `get`, with the value as a Buffer. */
  getBuffer(timeoutMs: number, connection: number, key: string | Uint8Array): Promise<unknown>;
  /** Hands the tick's work to the poll thread; true when JS should spin while it waits. */
  flush(): boolean;
  /** One turn of that spin (it yields the core); false when it should stop. */
  spinStep(): boolean;
  stats(): {
    threadStarted: boolean;
    inflight: number;
    liveExecutions: number;
    liveJobs: number;
    liveConnections: number;
    openSockets: number;
    /** Memory this thread keeps for the next large batch (see native/command_buffers.h). */
    pooledCommandBytes: number;
    /** Settled single commands kept for reuse on this thread (left out of liveExecutions and liveJobs; at most 512). */
    spareCalls: number;
    /** Times the poll thread moved itself off the JS thread's core (see native/core_spread.h). */
    coreMoves: number;
    /** Of those, moves undone because the new core was busy with a task that does not yield. */
    coreReturns: number;
  };
  /**
   * Test access to the JS thread's spin policy on a scripted clock: (op, atMicros, arg)
   * triples, op 0 begin (arg executions handed over, as flush 1, 2, ...), 1 wanted,
   * 2 settled (an execution of flush arg; gives the estimate in µs).
   */
  waitSpinProbe(capMicros: number, script: number[]): number[];
  /** Test access to the RESP parser: feeds chunks, takes up to `replies` replies. */
  parseChunks(
    chunks: Buffer[],
    replies: number,
    limits?: { maxDepth?: number; maxBulkBytes?: number },
  ): [Int32Array, Buffer, string | null, number];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

/**
 * @internal
 * LIBREDIS_ADDON names a specific binary instead (the sanitizer build in
 * scripts/test-asan.sh).
 */
export const native = (
  process.env.LIBREDIS_ADDON ? require(process.env.LIBREDIS_ADDON) : load(path.join(__dirname, '..'))
) as NativeBinding;

// From node:timers rather than the global, which test frameworks replace
// with fake timers (a fake would never run the spin's turns) and jsdom
// environments remove.
const nextTurn = timers.setImmediate;

let flushScheduled = false;
let spinning = false;

// While replies are owed and likely soon, the event loop keeps turning
// instead of sleeping (native/wait_spin.h says when): each turn yields the
// core and polls the loop's I/O, so the wakeup that brings the replies costs
// nothing and timers and other I/O run as usual.
const spinTurn = (): void => {
  if (native.spinStep()) nextTurn(spinTurn);
  else spinning = false;
};

const flushNow = (): void => {
  flushScheduled = false;
  if (native.flush() && !spinning) {
    spinning = true;
    nextTurn(spinTurn);
  }
};

/**
 * @internal
 * Executes submitted in one tick reach the poll thread together, after the
 * current synchronous code: one wakeup and one write per connection for all
 * of them.
 */
export function scheduleFlush(): void {
  if (!flushScheduled) {
    flushScheduled = true;
    queueMicrotask(flushNow);
  }
}
