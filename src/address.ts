import { isIP } from 'node:net';

/** @internal A parsed server address. */
export interface ParsedAddress {
  isUnix: boolean;
  host: string;
  port: number;
  label: string;
}

const DEFAULT_PORT = 6379;
const MAX_UNIX_PATH = 107;

/** @internal Whether `text` names a TCP port: digits only, 1-65535. */
export function isPortText(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535;
}

function parsePort(text: string, addr: string): number {
  if (!isPortText(text)) {
    throw new TypeError(`invalid port '${text}' in address '${addr}': expected 1-65535`);
  }
  return Number(text);
}

/**
 * @internal
 * Accepts `host`, `host:port`, `[ipv6]`, `[ipv6]:port`, a bare IPv6 address,
 * and unix socket paths (anything with a `/`, optionally prefixed `unix:`).
 */
export function parseAddress(addr: unknown): ParsedAddress {
  if (typeof addr !== 'string' || addr.trim() === '') {
    throw new TypeError(`address must be a non-empty string like "127.0.0.1:6379", got ${describe(addr)}`);
  }
  if (addr.startsWith('unix:') || addr.includes('/')) {
    const path = addr.startsWith('unix:') ? addr.slice(5) : addr;
    if (path === '' || Buffer.byteLength(path) > MAX_UNIX_PATH) {
      throw new TypeError(`invalid unix socket path '${path}': must be 1-${MAX_UNIX_PATH} bytes`);
    }
    return { isUnix: true, host: path, port: 0, label: addr };
  }
  if (addr.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(addr);
    if (!m || isIP(m[1]) !== 6) throw new TypeError(`invalid IPv6 address '${addr}': expected "[addr]:port"`);
    return { isUnix: false, host: m[1], port: m[2] === undefined ? DEFAULT_PORT : parsePort(m[2], addr), label: addr };
  }
  const colons = addr.split(':').length - 1;
  if (colons > 1) {
    if (isIP(addr) !== 6) throw new TypeError(`invalid address '${addr}'`);
    return { isUnix: false, host: addr, port: DEFAULT_PORT, label: addr };
  }
  if (colons === 1) {
    const at = addr.indexOf(':');
    const host = addr.slice(0, at);
    if (host === '') throw new TypeError(`invalid address '${addr}': missing host`);
    return { isUnix: false, host, port: parsePort(addr.slice(at + 1), addr), label: addr };
  }
  return { isUnix: false, host: addr, port: DEFAULT_PORT, label: addr };
}

/** @internal Names a bad value in an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Uint8Array) return `a ${v.constructor.name} of ${v.length} bytes`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '...' : v}"`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return `${typeof v} ${String(v)}`;
}

/** @internal Validates a timeout in milliseconds. */
export function checkTimeout(timeoutMs: unknown, method: string): number {
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > 0x7fffffff) {
    throw new TypeError(
      `${method}: timeoutMs must be a number of milliseconds from 1 to 2147483647, got ${describe(timeoutMs)}`,
    );
  }
  return Math.ceil(timeoutMs);
}
