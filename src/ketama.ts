import { describe } from './address';
import { type NativeKetama, native } from './native';

/**
 * The libredis consistent-hash ring (MD5 Ketama), identical to the PHP
 * extension's: the same servers in the same order put every key on the same
 * server. Add servers, call `createContinuum()`, then look keys up.
 */
export class Ketama {
  private readonly _native: NativeKetama = new native.NativeKetama();
  // Bound to the ring natively, so a lookup skips unwrapping this object.
  private readonly _lookup: (key: string | Uint8Array) => number = this._native.lookupFunction();

  /**
   * Adds a server; its ordinal is its position in the order of calls, from 0.
   * Servers added after `createContinuum()` are ignored, as in PHP.
   */
  addServer(host: string, port: number, weight: number): this {
    if (typeof host !== 'string' || host === '')
      throw new TypeError(`addServer: host must be a non-empty string, got ${describe(host)}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new TypeError(`addServer: port must be an integer 0-65535, got ${describe(port)}`);
    if (!Number.isInteger(weight) || weight < 0 || weight > 0xffffffff) {
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
   * The ordinal of the server `key` lives on, or -1 before `createContinuum()`.
   * A string key is hashed as its UTF-8 bytes.
   */
  getServerOrdinal(key: string | Buffer | Uint8Array): number {
    return this._lookup(key);
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
