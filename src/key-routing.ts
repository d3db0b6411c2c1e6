import * as commands from '@ioredis/commands';
import type { Arg } from './arguments';

/**
 * @internal
 * Positions of the keys among a command's arguments (not counting the command
 * name), from the command table @ioredis/commands maintains. Throws a
 * TypeError for a command the table does not know.
 */
export function keyPositions(command: string, args: readonly Arg[]): number[] {
  const name = command.toLowerCase();
  if (!commands.exists(name)) throw new TypeError(`unknown command '${command}'`);
  // The table counts SORT's BY and GET patterns as keys; they are patterns
  // over other keys (or 'nosort', '#'), not keys the command is sent for.
  if (name === 'sort' || name === 'sort_ro') return sortKeys(args);
  return commands.getKeyIndexes(name, args as Array<string | Buffer | number>);
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
function sortKeys(args: readonly Arg[]): number[] {
  const keys = args.length > 0 ? [0] : [];
  for (let i = 1; i < args.length; i++) {
    const word = keyword(args[i]);
    if (word === 'BY' || word === 'GET') i++;
    else if (word === 'LIMIT') i += 2;
    else if (word === 'STORE' && i + 1 < args.length) keys.push(++i);
  }
  return keys;
}

// An argument as a keyword: its bytes (a string as UTF-8), with ASCII
// letters upper-cased as Redis compares them and nothing else changed.
function keyword(arg: Arg): string {
  const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg instanceof Uint8Array ? arg : null;
  if (bytes === null || bytes.length > 8) return '';
  let word = '';
  for (const b of bytes) word += String.fromCharCode(b >= 0x61 && b <= 0x7a ? b - 0x20 : b);
  return word;
}

/**
 * @internal
 * Commands that would change the state of the connection every command to
 * a server shares: refused there with the reason, rather than leaving the
 * next caller a subscriber connection or someone else's WATCH. `except`
 * names one allowed anyway (WATCH on a watch() transaction's connection).
 */
export function refuseOnSharedConnection(command: string, except?: string): void {
  const name = command.toLowerCase();
  const hint = STATEFUL.get(name);
  if (hint !== undefined && name !== except) {
    throw new TypeError(`${command} would change the state of the connection it runs on; ${hint}`);
  }
}

const TRANSACTION_HINT = 'use client.watch(key) or client.multi(key)';
const SUBSCRIBER_HINT = 'ShardedClient has no subscriber mode';
const SETUP_HINT = 'connection setup (AUTH, SELECT) belongs in the ShardedClient options';
const PROTOCOL_HINT = 'ShardedClient speaks RESP2 only';
const CLOSE_HINT = 'use client.close()';
const STATEFUL = new Map<string, string>([
  ['watch', TRANSACTION_HINT],
  ['unwatch', TRANSACTION_HINT],
  ['multi', TRANSACTION_HINT],
  ['exec', TRANSACTION_HINT],
  ['discard', TRANSACTION_HINT],
  ['subscribe', SUBSCRIBER_HINT],
  ['psubscribe', SUBSCRIBER_HINT],
  ['ssubscribe', SUBSCRIBER_HINT],
  ['unsubscribe', SUBSCRIBER_HINT],
  ['punsubscribe', SUBSCRIBER_HINT],
  ['sunsubscribe', SUBSCRIBER_HINT],
  ['monitor', SUBSCRIBER_HINT],
  ['auth', SETUP_HINT],
  ['select', SETUP_HINT],
  ['hello', PROTOCOL_HINT],
  ['reset', SETUP_HINT],
  ['quit', CLOSE_HINT],
]);

/**
 * @internal
 * The part of a key that is hashed: with hash tags on, the text between the
 * first '{' and the next '}' when that is not empty (as in Redis Cluster);
 * otherwise the whole key.
 */
export function hashedPart(key: Arg, hashTag: boolean): string | Uint8Array {
  const k = typeof key === 'number' || typeof key === 'bigint' ? String(key) : key;
  if (!hashTag) return k;
  if (typeof k === 'string') {
    const open = k.indexOf('{');
    if (open < 0) return k;
    const close = k.indexOf('}', open + 1);
    return close > open + 1 ? k.slice(open + 1, close) : k;
  }
  const open = k.indexOf(0x7b);
  if (open < 0) return k;
  const close = k.indexOf(0x7d, open + 1);
  return close > open + 1 ? k.subarray(open + 1, close) : k;
}
