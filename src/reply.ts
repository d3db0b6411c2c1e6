import { isAscii } from 'node:buffer';
import { ReplyError } from './errors';

/** Reply types, numbered as in the libredis PHP extension. */
export const ReplyType = {
  ERROR: -1,
  NONE: 0,
  OK: 1,
  BULK_NIL: 2,
  BULK: 3,
  MULTIBULK_NIL: 4,
  MULTIBULK: 5,
  INTEGER: 6,
} as const;
export type ReplyType = (typeof ReplyType)[keyof typeof ReplyType];

/**
 * One reply node, as `next_reply` gives it in PHP. A multibulk's elements
 * follow it depth-first, one `level` deeper (the top level is 1).
 * - OK, ERROR, BULK: `value` is the text, `length` its byte length.
 * - INTEGER: `value` is a number, `length` the length of its decimal text.
 * - BULK_NIL, MULTIBULK_NIL: `value` is null, `length` 0.
 * - MULTIBULK: `value` is null, `length` the element count.
 */
export interface Reply<V = string> {
  type: ReplyType;
  value: V | number | null;
  length: number;
  level: number;
}

/**
 * A reply decoded as a JS value: bulk and status replies as strings (or
 * Buffers), integers as numbers, nils as null, multibulks as arrays, and error
 * replies as `ReplyError` objects (returned, not thrown).
 */
export type ReplyValue = string | Buffer | number | null | ReplyError | ReplyValue[];

const FIELDS = 4;

// Buffer#toString(enc, start, end) checks its arguments and then calls this;
// replies are read in a hot loop, so call it directly where Node has it.
type Slicer = (this: Buffer, start: number, end: number) => string;
function slicer(encoding: 'utf8' | 'latin1'): Slicer {
  return (
    (Buffer.prototype as unknown as Record<string, Slicer | undefined>)[`${encoding}Slice`] ??
    function (this: Buffer, start: number, end: number) {
      return this.toString(encoding, start, end);
    }
  );
}
const utf8Slice = slicer('utf8');
const latin1Slice = slicer('latin1');

// Runs of short values that sit next to each other in the payload are
// decoded together, as one ASCII chunk of up to SHARED_CHUNK bytes, and cut
// from it with `substring` (JIT code) instead of each crossing into Node's
// decoder (~100 ns a call). A chunk holds only the values of its run, so a
// value kept alive keeps at most its run's text alive (V8 substrings of 13+
// characters share their parent). Values over SHARED_MAX bytes, values with
// no short neighbour, and runs that are not all ASCII are decoded one by one.
// Chunks are decoded from the payload when first read: changing the bytes of
// a Buffer taken from these replies (nextReplyBuffer, values({buffers}))
// is not reflected in strings cut from a chunk already decoded.
const SHARED_CHUNK = 4096;
const SHARED_MAX = 512;
// Payloads up to this size are checked for ASCII once, whole (a few µs);
// larger ones run by run, so a short value read from a huge payload does
// not pay for scanning all of it.
const WHOLE_CHECK_MAX = 1 << 20;

/** @internal Reads the packed records the native core produces. */
export class PackedReplies {
  // The current run: payload bytes [_chunkStart, _chunkEnd), decoded into
  // _chunk when ASCII, else _chunk is null and its values decode one by one.
  private _chunk: string | null = null;
  private _chunkStart = 0;
  private _chunkEnd = 0;
  // 1 when the whole payload is known to be ASCII, 0 when not known, -1 unchecked.
  private _allAscii = -1;

  constructor(
    readonly records: Int32Array,
    readonly payload: Buffer,
  ) {}

  get nodeCount(): number {
    return this.records.length / FIELDS;
  }

  node<V>(i: number, asBuffer: boolean): Reply<V> {
    const r = this.records;
    const at = i * FIELDS;
    const type = r[at] as ReplyType;
    const length = r[at + 2] >>> 0;
    let value: unknown = null;
    if (type === ReplyType.BULK || type === ReplyType.OK || type === ReplyType.ERROR) {
      value = this.bytes(at, length, asBuffer);
    } else if (type === ReplyType.INTEGER) {
      value = Number(this.text(at, length));
    }
    return { type, value: value as V | number | null, length, level: r[at + 1] };
  }

  /** Decodes the top-level replies as nested values. */
  values(asBuffer: boolean, address: string | undefined): ReplyValue[] {
    const out: ReplyValue[] = [];
    const cursor = { i: 0 };
    const n = this.nodeCount;
    while (cursor.i < n) out.push(this.decode(cursor, asBuffer, address));
    return out;
  }

  private decode(cursor: { i: number }, asBuffer: boolean, address: string | undefined): ReplyValue {
    const at = cursor.i * FIELDS;
    cursor.i++;
    const r = this.records;
    const type = r[at];
    const length = r[at + 2] >>> 0;
    switch (type) {
      case ReplyType.BULK:
      case ReplyType.OK:
        return this.bytes(at, length, asBuffer);
      case ReplyType.INTEGER:
        return Number(this.text(at, length));
      case ReplyType.ERROR:
        return new ReplyError(this.text(at, length), address);
      case ReplyType.MULTIBULK: {
        const items: ReplyValue[] = new Array(length);
        for (let k = 0; k < length; k++) items[k] = this.decode(cursor, asBuffer, address);
        return items;
      }
      default:
        return null;
    }
  }

  private text(at: number, length: number): string {
    const off = this.records[at + 3] >>> 0;
    return this.decodeText(at, off, off + length);
  }

  private bytes(at: number, length: number, asBuffer: boolean): string | Buffer {
    const off = this.records[at + 3] >>> 0;
    return asBuffer ? this.payload.subarray(off, off + length) : this.decodeText(at, off, off + length);
  }

  /** The text of record `at`, payload bytes [start, end). */
  private decodeText(at: number, start: number, end: number): string {
    if (end - start > SHARED_MAX) return utf8Slice.call(this.payload, start, end);
    if (start < this._chunkStart || end > this._chunkEnd) this.startRun(at, start, end);
    return this._chunk === null
      ? utf8Slice.call(this.payload, start, end)
      : this._chunk.substring(start - this._chunkStart, end - this._chunkStart);
  }

  /**
   * Starts a run at record `at`: it extends over the records that follow
   * while their text is short and comes next in the payload, up to
   * SHARED_CHUNK bytes in all.
   */
  private startRun(at: number, start: number, end: number): void {
    const r = this.records;
    let runEnd = end;
    for (let k = at + FIELDS; k < r.length; k += FIELDS) {
      const type = r[k];
      if (type !== ReplyType.BULK && type !== ReplyType.OK && type !== ReplyType.ERROR && type !== ReplyType.INTEGER)
        continue; // nils and multibulk headers hold no text
      const off = r[k + 3] >>> 0;
      const next = off + (r[k + 2] >>> 0);
      if (off < runEnd || next - off > SHARED_MAX || next - start > SHARED_CHUNK) break;
      runEnd = next;
    }
    this._chunkStart = start;
    this._chunkEnd = runEnd;
    // A run of one value gains nothing from a chunk.
    this._chunk = runEnd > end && this.isAsciiRun(start, runEnd) ? latin1Slice.call(this.payload, start, runEnd) : null;
  }

  private isAsciiRun(start: number, end: number): boolean {
    const p = this.payload;
    if (this._allAscii < 0) this._allAscii = p.length <= WHOLE_CHECK_MAX && isAscii(p) ? 1 : 0;
    return this._allAscii === 1 || isAscii(p.subarray(start, end));
  }
}
