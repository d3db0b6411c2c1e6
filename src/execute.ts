import type { Batch } from './batch';
import type { Connection } from './connection';
import { native, scheduleFlush } from './native';

/** @internal Where a failed execution leaves its message (Libredis.lastError). */
export interface ErrorSink {
  _setLastError(message: string): void;
}

/**
 * @internal
 * Runs batches on connections in parallel under one deadline. Resolves true
 * when every command got its reply.
 */
export function runPairs(
  timeoutMs: number,
  connections: readonly Connection[],
  batches: readonly Batch[],
  sink: ErrorSink | undefined,
): Promise<boolean> {
  for (let i = 0; i < batches.length; i++) batches[i]._flushQueued();
  let done: Promise<boolean>;
  if (batches.length === 1) {
    done = native.submit(timeoutMs, connections[0]._id, batches[0]._native);
  } else {
    const args: unknown[] = [timeoutMs];
    for (let i = 0; i < batches.length; i++) args.push(connections[i]._id, batches[i]._native);
    done = (native.submit as (...a: unknown[]) => Promise<boolean>)(...args);
  }
  // Only now: a refused submit (it throws) leaves every batch's commands in place.
  for (let i = 0; i < batches.length; i++) batches[i]._submitted();
  scheduleFlush();
  return done.then((ok) => collect(ok, connections, batches, sink));
}

function collect(
  ok: boolean,
  connections: readonly Connection[],
  batches: readonly Batch[],
  sink: ErrorSink | undefined,
): boolean {
  let firstError: string | null = null;
  for (let i = 0; i < batches.length; i++) {
    batches[i]._collect(connections[i].address);
    if (firstError === null) firstError = batches[i].error;
  }
  if (!ok && firstError !== null) sink?._setLastError(firstError);
  return ok;
}
