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
  return commands.getKeyIndexes(name, args as Array<string | Buffer | number>);
}

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
