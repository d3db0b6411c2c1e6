import { describe } from './address';

/** A command argument: strings go as UTF-8, Buffers/Uint8Arrays as raw bytes, numbers as decimal text. */
export type Arg = string | Buffer | Uint8Array | number | bigint;

/** @internal Whether `a` can be sent as an argument: a string, Buffer/Uint8Array, finite number or bigint. */
export function isWireArg(a: unknown): a is Arg {
  return (
    typeof a === 'string' ||
    a instanceof Uint8Array ||
    typeof a === 'bigint' ||
    (typeof a === 'number' && Number.isFinite(a))
  );
}

/**
 * @internal
 * Returns the args in the form the native encoder takes (strings and byte
 * arrays), or throws a TypeError naming the first bad one.
 */
export function toWire(args: readonly unknown[], method: string): Array<string | Uint8Array> {
  let out: unknown[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string' || a instanceof Uint8Array) continue;
    if (isWireArg(a)) {
      out ??= args.slice();
      out[i] = String(a);
      continue;
    }
    throw new TypeError(
      `${method}: argument ${i + 1} is ${describe(a)}; expected a string, Buffer, Uint8Array, finite number or bigint`,
    );
  }
  return (out ?? args) as Array<string | Uint8Array>;
}
