import { describe } from './address';
import { type NativeKetama, native } from './native';

// Above this many UTF-16 units of keys in all, getServerOrdinals reads
// keys one by one: joining would copy a lot for little gain, and could pass
// V8's longest string.
const JOIN_LIMIT = 1 << 16;

/** @internal Whether `weight` is a server weight the ring takes: an integer 0 to 2^32-1. */
export function isRingWeight(weight: unknown): boolean {
  return Number.isInteger(weight) && (weight as number) >= 0 && (weight as number) <= 0xffffffff;
}

/**
 * The libredis consistent-hash ring (MD5 Ketama), identical to the PHP
 * extension's: the same servers in the same order put every key on the same
 * server. Add servers, call `createContinuum()`, then look keys up.
 */
export class Ketama {
  private readonly _native: NativeKetama = new native.NativeKetama();
  // Bound to the ring natively, so a lookup skips unwrapping this object.
  private readonly _lookup: (key: string | Uint8Array) => number = this._native.lookupFunction();

  constructor() {
    // The bound function also becomes this ring's own getServerOrdinal, so a
    // call site calls it directly. Called through the prototype method, every
    // ring in a process met at the one call inside it, and V8 then calls
    // through its generic path: a fifth more instructions a lookup. Not for
    // a subclass that overrides the method.
    // (lookupFunction() returns undefined only while a worker is terminated.)
    if (
      typeof this._lookup === 'function' &&
      Object.getPrototypeOf(this).getServerOrdinal === Ketama.prototype.getServerOrdinal
    ) {
      Object.defineProperty(this, 'getServerOrdinal', { value: this._lookup, writable: true, configurable: true });
    }
  }

  /**
   * Adds a server; its ordinal is its position in the order of calls, from 0.
   * Servers added after `createContinuum()` are ignored, as in PHP.
   */
  addServer(host: string, port: number, weight: number): this {
    if (typeof host !== 'string' || host === '')
      throw new TypeError(`addServer: host must be a non-empty string, got ${describe(host)}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new TypeError(`addServer: port must be an integer 0-65535, got ${describe(port)}`);
    if (!isRingWeight(weight)) {
      throw new TypeError(`addServer: weight must be a non-negative integer, got ${describe(weight)}`);
    }
    this._native.addServer(host, port, weight);
    return this;
  }

  /** Builds the ring. Does nothing without servers or when called again. */
  createContinuum(): this {
    this._native.createContinuum();
    return this;
  }

  /**
   * The ordinal of the server `key` lives on, or -1 before `createContinuum()`
   * and on a ring with no points (every server added with weight 0).
   * A string key is hashed as its UTF-8 bytes.
   */
  getServerOrdinal(key: string | Buffer | Uint8Array): number {
    return this._lookup(key);
  }

  /**
   * The ordinals of many keys in one call: `out[i]` is `getServerOrdinal(keys[i])`.
   * Faster per key than one call each (one crossing into native code, and
   * short keys hashed several at a time), for routing a multi-key request.
   * Writes into `out` when given (it must be an Int32Array at least
   * `keys.length` long) and returns it; otherwise returns a new Int32Array.
   * Throws a TypeError naming the first key that is not a string or Buffer;
   * `out` is left unchanged then.
   *
   * @example const ordinals = ketama.getServerOrdinals(['user:1', 'user:2'])
   */
  getServerOrdinals(keys: ReadonlyArray<string | Buffer | Uint8Array>, out?: Int32Array): Int32Array {
    if (!Array.isArray(keys)) throw new TypeError(`getServerOrdinals: keys must be an array, got ${describe(keys)}`);
    if (out === undefined) {
      out = new Int32Array(keys.length);
    } else if (!(out instanceof Int32Array)) {
      throw new TypeError(`getServerOrdinals: out must be an Int32Array, got ${describe(out)}`);
    } else if (out.length < keys.length) {
      throw new RangeError(`getServerOrdinals: out has room for ${out.length} ordinals, needs ${keys.length}`);
    }
    const n = keys.length;
    // Not shared between calls: a getter on keys could call in again.
    const lengths = new Int32Array(n);
    let joinable = n > 0;
    let total = 0;
    for (let i = 0; i < n && joinable; i++) {
      const key = keys[i];
      if (typeof key !== 'string') joinable = false;
      else total += lengths[i] = key.length;
    }
    // All strings, and not too much text: joined, they cross in one read
    // (see ordinalsJoined). Otherwise each key is read on its own.
    if (joinable && total <= JOIN_LIMIT) {
      const joined = keys.join('');
      if (out.length < n) throw new TypeError('getServerOrdinals: out was detached or shrunk while the keys were read');
      this._native.ordinalsJoined(keys, joined, lengths, n, out);
    } else {
      this._native.ordinals(keys, n, out);
    }
    return out;
  }

  /** The server's `host:port` (the form `getConnection` takes), or '' for an unknown ordinal. */
  getServerAddress(ordinal: number): string {
    if (!Number.isInteger(ordinal))
      throw new TypeError(`getServerAddress: ordinal must be an integer, got ${describe(ordinal)}`);
    if (ordinal < 0 || ordinal > 0x7fffffff) return '';
    return this._native.getServerAddress(ordinal);
  }

  /** Number of points on the ring (0 before `createContinuum()`). */
  get pointCount(): number {
    return this._native.pointCount();
  }

  /** PHP name of `addServer`. */
  add_server(host: string, port: number, weight: number): this {
    return this.addServer(host, port, weight);
  }
  /** PHP name of `createContinuum`. */
  create_continuum(): this {
    return this.createContinuum();
  }
  /** PHP name of `getServerOrdinal`. */
  get_server_ordinal(key: string | Buffer | Uint8Array): number {
    return this.getServerOrdinal(key);
  }
  /** PHP name of `getServerAddress`. */
  get_server_address(ordinal: number): string {
    return this.getServerAddress(ordinal);
  }
}
