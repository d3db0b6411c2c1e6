// The streaming RESP2 parser, driven through the test probe `native.parseChunks`.
// Expectations come from a small reply model written here (the RESP spec), not
// from running the parser: every reply is built as a tree, serialized by this
// file, and the parser's packed records are compared against the tree.
import { describe, expect, it } from 'vitest';
import { native } from '../src/native';
import { PackedReplies } from '../src/reply';
import { prng } from './helpers/util';

// ---------------------------------------------------------------- the model

type Node =
  | { t: 'ok'; s: Buffer } // +status
  | { t: 'err'; s: Buffer } // -error
  | { t: 'int'; v: bigint } // :integer
  | { t: 'bulk'; b: Buffer } // $len bytes
  | { t: 'nil' } // $-1
  | { t: 'mnil' } // *-1
  | { t: 'arr'; items: Node[] }; // *n elements

const T = { ERROR: -1, OK: 1, BULK_NIL: 2, BULK: 3, MULTIBULK_NIL: 4, MULTIBULK: 5, INTEGER: 6 } as const;

const ok = (s: string | Buffer): Node => ({ t: 'ok', s: Buffer.from(s) });
const err = (s: string): Node => ({ t: 'err', s: Buffer.from(s) });
const int = (v: bigint | number): Node => ({ t: 'int', v: BigInt(v) });
const bulk = (b: string | Buffer): Node => ({ t: 'bulk', b: Buffer.from(b) });
const nil: Node = { t: 'nil' };
const mnil: Node = { t: 'mnil' };
const arr = (...items: Node[]): Node => ({ t: 'arr', items });

function serialize(n: Node): Buffer {
  switch (n.t) {
    case 'ok':
      return Buffer.concat([Buffer.from('+'), n.s, Buffer.from('\r\n')]);
    case 'err':
      return Buffer.concat([Buffer.from('-'), n.s, Buffer.from('\r\n')]);
    case 'int':
      return Buffer.from(`:${n.v}\r\n`);
    case 'bulk':
      return Buffer.concat([Buffer.from(`$${n.b.length}\r\n`), n.b, Buffer.from('\r\n')]);
    case 'nil':
      return Buffer.from('$-1\r\n');
    case 'mnil':
      return Buffer.from('*-1\r\n');
    case 'arr':
      return Buffer.concat([Buffer.from(`*${n.items.length}\r\n`), ...n.items.map(serialize)]);
  }
}

/** One flat record as the spec describes it; `bytes` is the payload slice of text nodes. */
interface Flat {
  type: number;
  level: number;
  length: number;
  bytes: string | null; // hex, so mismatches print readably
}

function flatten(nodes: Node[], level = 1, out: Flat[] = []): Flat[] {
  for (const n of nodes) {
    switch (n.t) {
      case 'ok':
        out.push({ type: T.OK, level, length: n.s.length, bytes: n.s.toString('hex') });
        break;
      case 'err':
        out.push({ type: T.ERROR, level, length: n.s.length, bytes: n.s.toString('hex') });
        break;
      case 'int': {
        const text = Buffer.from(n.v.toString());
        out.push({ type: T.INTEGER, level, length: text.length, bytes: text.toString('hex') });
        break;
      }
      case 'bulk':
        out.push({ type: T.BULK, level, length: n.b.length, bytes: n.b.toString('hex') });
        break;
      case 'nil':
        out.push({ type: T.BULK_NIL, level, length: 0, bytes: null });
        break;
      case 'mnil':
        out.push({ type: T.MULTIBULK_NIL, level, length: 0, bytes: null });
        break;
      case 'arr':
        out.push({ type: T.MULTIBULK, level, length: n.items.length, bytes: null });
        flatten(n.items, level + 1, out);
        break;
    }
  }
  return out;
}

/** Reads the parser's records back into Flat form, checking offsets stay inside the payload. */
function readRecords(records: Int32Array, payload: Buffer): Flat[] {
  if (records.length % 4 !== 0) throw new Error(`records length ${records.length} is not a multiple of 4`);
  const out: Flat[] = [];
  for (let i = 0; i < records.length; i += 4) {
    const type = records[i];
    const level = records[i + 1];
    const length = records[i + 2] >>> 0;
    const off = records[i + 3] >>> 0;
    let bytes: string | null = null;
    if (type === T.OK || type === T.ERROR || type === T.BULK || type === T.INTEGER) {
      if (off + length > payload.length)
        throw new Error(`record ${i / 4}: bytes ${off}+${length} beyond the payload (${payload.length})`);
      bytes = payload.subarray(off, off + length).toString('hex');
    }
    out.push({ type, level, length, bytes });
  }
  return out;
}

/** What PackedReplies.values() should give for a node (buffers mode), built from the model. */
function modelValue(n: Node): unknown {
  switch (n.t) {
    case 'ok':
      return n.s;
    case 'err':
      return { error: n.s.toString('utf8') };
    case 'int':
      return Number(n.v);
    case 'bulk':
      return n.b;
    case 'nil':
    case 'mnil':
      return null;
    case 'arr':
      return n.items.map(modelValue);
  }
}

function normalizeValue(v: unknown): unknown {
  if (v instanceof Error) return { error: v.message };
  if (Array.isArray(v)) return v.map(normalizeValue);
  return v;
}

function parse(chunks: Buffer[], replies: number, limits?: { maxDepth?: number; maxBulkBytes?: number }) {
  const [records, payload, error, completed] = native.parseChunks(chunks, replies, limits);
  return { records, payload, error, completed };
}

/** Cheap structural key for hot loops; a mismatch is then shown with expect(). */
const key = (flat: Flat[]) => JSON.stringify(flat);
const recordBytes = (r: Int32Array) => Buffer.from(r.buffer, r.byteOffset, r.byteLength);

/** Splits `buf` at the given sorted offsets. */
function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

function randomCuts(rand: () => number, len: number, maxCuts: number): number[] {
  const k = Math.floor(rand() * (maxCuts + 1));
  const cuts = new Set<number>();
  for (let i = 0; i < k; i++) cuts.add(Math.floor(rand() * (len + 1)));
  return [...cuts].sort((a, b) => a - b);
}

/** Asserts that parsing `chunks` gives exactly the model's records and nothing else. */
function expectParsesTo(chunks: Buffer[], nodes: Node[]) {
  const r = parse(chunks, nodes.length);
  expect(r.error).toBeNull();
  expect(r.completed).toBe(nodes.length);
  expect(readRecords(r.records, r.payload)).toEqual(flatten(nodes));
  return r;
}

// A stream touching every reply type, binary bulks and nesting.
const BINARY = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x24, 0x2a, 0x0d, 0x00, 0x0a, 0x0d, 0x0a, 0x80]);
const MIXED: Node[] = [
  ok('OK'),
  err('ERR unknown command'),
  int(0),
  int(-42),
  int(9223372036854775807n),
  int(-9223372036854775808n),
  bulk('hello'),
  bulk(''),
  bulk(BINARY),
  bulk('line1\r\nline2\r\n'),
  nil,
  mnil,
  arr(),
  arr(bulk('a'), nil, int(7), arr(ok('QUEUED'), err('WRONGTYPE x'), arr(arr(bulk(BINARY), mnil), arr())), bulk('')),
  ok('PONG'),
];
const MIXED_BYTES = Buffer.concat(MIXED.map(serialize));

// ---------------------------------------------------------------- tests

describe('RESP parser: reply types', () => {
  it('parses a status reply into OK with its text', () => {
    const r = expectParsesTo([Buffer.from('+OK\r\n')], [ok('OK')]);
    expect(r.records[0]).toBe(1);
    expect(r.payload.toString()).toBe('OK');
  });

  it('parses an error reply into ERROR (-1) with its text', () => {
    const r = expectParsesTo(
      [Buffer.from('-ERR wrong number of arguments\r\n')],
      [err('ERR wrong number of arguments')],
    );
    expect(r.records[0]).toBe(-1);
  });

  it('parses integers, including negative ones and the int64 extremes, keeping their decimal text', () => {
    const cases = ['0', '1', '-1', '1000', '-123456789', '9223372036854775807', '-9223372036854775808'];
    for (const c of cases) {
      const r = parse([Buffer.from(`:${c}\r\n`)], 1);
      expect(r.error).toBeNull();
      expect(r.completed).toBe(1);
      expect([...r.records.subarray(0, 3)]).toEqual([6, 1, c.length]);
      const off = r.records[3] >>> 0;
      expect(r.payload.toString('latin1', off, off + c.length)).toBe(c);
    }
  });

  it('parses a bulk string, an empty bulk ($0) and a nil bulk ($-1)', () => {
    const r = expectParsesTo([Buffer.from('$5\r\nhello\r\n$0\r\n\r\n$-1\r\n')], [bulk('hello'), bulk(''), nil]);
    expect(r.records[4 + 0]).toBe(3); // empty bulk is BULK, length 0
    expect(r.records[4 + 2]).toBe(0);
    expect(r.records[8 + 0]).toBe(2); // nil bulk
    expect(r.records[8 + 2]).toBe(0);
  });

  it('parses an empty multibulk (*0) and a nil multibulk (*-1)', () => {
    const r = expectParsesTo([Buffer.from('*0\r\n*-1\r\n')], [arr(), mnil]);
    expect([r.records[0], r.records[1], r.records[2]]).toEqual([5, 1, 0]);
    expect([r.records[4], r.records[5], r.records[6]]).toEqual([4, 1, 0]);
  });

  it('keeps binary bulk content (NUL, CR, LF, 0xff, "$", "*") byte for byte', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const r = expectParsesTo([serialize(bulk(BINARY)), serialize(bulk(all))], [bulk(BINARY), bulk(all)]);
    const off = r.records[4 + 3] >>> 0;
    expect(r.payload.subarray(off, off + 256).equals(all)).toBe(true);
  });

  it('parses multibulks nested several levels deep with mixed element types, depth-first with levels', () => {
    const tree = arr(
      bulk('x'),
      arr(int(1), arr(ok('deep'), arr(err('ERR deepest'), nil, mnil, arr(), bulk('')))),
      int(-2),
    );
    const r = expectParsesTo([serialize(tree)], [tree]);
    const flat = readRecords(r.records, r.payload);
    // Spot checks written out by hand from the RESP structure above.
    expect(flat.map((f) => f.level)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5, 2]);
    expect(flat.map((f) => f.type)).toEqual([5, 3, 5, 6, 5, 1, 5, -1, 2, 4, 5, 3, 6]);
    expect(flat[0].length).toBe(3);
    expect(flat[6].length).toBe(5);
  });

  it('decodes through PackedReplies.values() to the model values', () => {
    const r = expectParsesTo([MIXED_BYTES], MIXED);
    const values = new PackedReplies(r.records, r.payload).values(true, 'test');
    expect(values.map(normalizeValue)).toEqual(MIXED.map(modelValue));
  });

  it('parses a long stream of mixed replies in one chunk', () => {
    expectParsesTo([MIXED_BYTES], MIXED);
  });

  it('takes a large binary bulk delivered in many chunks', () => {
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    const bytes = Buffer.concat([serialize(bulk(big)), serialize(ok('after'))]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 4093) chunks.push(bytes.subarray(i, i + 4093));
    expectParsesTo(chunks, [bulk(big), ok('after')]);
  });
});

describe('RESP parser: any split of the input gives the same result', () => {
  const whole = parse([MIXED_BYTES], MIXED.length);
  const wholeRecords = recordBytes(whole.records);
  const modelKey = key(flatten(MIXED));

  /** Parses the chunks; returns null when the result equals the unsplit parse and the model. */
  function diff(chunks: Buffer[]): string | null {
    const r = parse(chunks, MIXED.length);
    if (r.error !== null) return r.error;
    if (r.completed !== MIXED.length) return `completed ${r.completed}`;
    if (!recordBytes(r.records).equals(wholeRecords)) return 'records differ from the unsplit parse';
    if (!r.payload.equals(whole.payload)) return 'payload differs from the unsplit parse';
    if (key(readRecords(r.records, r.payload)) !== modelKey) return 'records differ from the model';
    return null;
  }

  function expectSame(chunks: Buffer[]) {
    expect(diff(chunks), `chunk sizes ${chunks.map((c) => c.length)}`).toBeNull();
  }

  it('the unsplit parse matches the model', () => {
    expect(whole.error).toBeNull();
    expect(readRecords(whole.records, whole.payload)).toEqual(flatten(MIXED));
  });

  it('split into two chunks at every byte offset', () => {
    const bad: string[] = [];
    for (let cut = 0; cut <= MIXED_BYTES.length; cut++) {
      const d = diff(splitAt(MIXED_BYTES, [cut]));
      if (d !== null) bad.push(`cut ${cut}: ${d}`);
    }
    expect(bad).toEqual([]);
  });

  it('split into three chunks at every pair of offsets around CRLFs', () => {
    // Every pair of cuts within a window around each CR, so "CR | LF" and
    // "CR LF | next" splits combine with a second split nearby.
    const crs: number[] = [];
    for (let i = 0; i < MIXED_BYTES.length; i++) if (MIXED_BYTES[i] === 0x0d) crs.push(i);
    const bad: string[] = [];
    for (const cr of crs) {
      for (let a = Math.max(0, cr - 2); a <= cr + 2; a++) {
        for (let b = a; b <= Math.min(MIXED_BYTES.length, cr + 4); b++) {
          const d = diff(splitAt(MIXED_BYTES, [a, b]));
          if (d !== null) bad.push(`cuts ${a},${b}: ${d}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('fed one byte at a time', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < MIXED_BYTES.length; i++) chunks.push(MIXED_BYTES.subarray(i, i + 1));
    expectSame(chunks);
  });

  it('with empty chunks interleaved', () => {
    const chunks: Buffer[] = [Buffer.alloc(0)];
    for (let i = 0; i < MIXED_BYTES.length; i += 3) chunks.push(MIXED_BYTES.subarray(i, i + 3), Buffer.alloc(0));
    expectSame(chunks);
  });

  it('random multi-splits (seeded)', () => {
    const rand = prng(0xc0ffee);
    const bad: string[] = [];
    for (let iter = 0; iter < 1500; iter++) {
      const cuts = randomCuts(rand, MIXED_BYTES.length, 12);
      const d = diff(splitAt(MIXED_BYTES, cuts));
      if (d !== null) bad.push(`cuts ${cuts}: ${d}`);
    }
    expect(bad).toEqual([]);
  });
});

describe('RESP parser: incomplete input', () => {
  // End offsets of each top-level reply in MIXED_BYTES.
  const ends: number[] = [];
  {
    let at = 0;
    for (const n of MIXED) {
      at += serialize(n).length;
      ends.push(at);
    }
  }

  it('every prefix completes exactly the replies it contains, without an error', () => {
    const full = flatten(MIXED);
    const bad: string[] = [];
    for (let k = 0; k < MIXED_BYTES.length; k++) {
      const done = ends.filter((e) => e <= k).length;
      // The completed replies' records are the model's first nodes. (Nodes of
      // the reply still in progress may follow; they are not complete yet.)
      const nodesDone = flatten(MIXED.slice(0, done)).length;
      const wantKey = key(full.slice(0, nodesDone));
      for (const chunks of [[MIXED_BYTES.subarray(0, k)], splitAt(MIXED_BYTES.subarray(0, k), [k >> 1])]) {
        const r = parse(chunks, MIXED.length);
        if (r.error !== null) bad.push(`prefix ${k}: ${r.error}`);
        else if (r.completed !== done) bad.push(`prefix ${k}: completed ${r.completed}, expected ${done}`);
        else if (r.records.length < nodesDone * 4) bad.push(`prefix ${k}: only ${r.records.length / 4} records`);
        else if (key(readRecords(r.records.subarray(0, nodesDone * 4), r.payload)) !== wantKey)
          bad.push(`prefix ${k}: records differ`);
      }
    }
    expect(ends[ends.length - 1]).toBe(MIXED_BYTES.length);
    expect(bad).toEqual([]);
  });

  it('a bulk header with only part of its data, and a line without CRLF, are just incomplete', () => {
    for (const text of [
      '$10\r\nabc',
      '$3\r\nabc',
      '$3\r\nabc\r',
      '+OK',
      '+OK\r',
      ':123',
      '*2\r\n:1\r\n',
      '*1\r\n*1\r\n',
      '$',
      '*',
    ]) {
      const r = parse([Buffer.from(text)], 1);
      expect(r.error, JSON.stringify(text)).toBeNull();
      expect(r.completed, JSON.stringify(text)).toBe(0);
    }
  });
});

describe('RESP parser: malformed input', () => {
  function expectError(
    input: string | Buffer,
    pattern: RegExp,
    replies = 1,
    limits?: { maxDepth?: number; maxBulkBytes?: number },
  ) {
    const bytes = Buffer.from(input as string);
    const variants = [[bytes], [...bytes].map((b) => Buffer.from([b]))];
    for (const chunks of variants) {
      const r = parse(chunks, replies, limits);
      expect(r.error, JSON.stringify(bytes.toString('latin1'))).not.toBeNull();
      expect(r.error).toMatch(/^protocol error: /);
      expect(r.error).toMatch(pattern);
    }
    return parse([bytes], replies, limits);
  }

  it('rejects an unknown type byte: a letter', () => {
    expectError('X1\r\n', /unexpected byte 'X' at the start of a reply/);
  });

  it('rejects an unknown type byte: NUL (even with no CRLF ever coming)', () => {
    expectError(Buffer.from([0x00, 0x31, 0x32]), /unexpected byte '\\x00'/);
    expectError(Buffer.from([0x00]), /unexpected byte '\\x00'/);
  });

  it('rejects an unknown type byte after a valid reply, and counts the valid one', () => {
    const r = expectError('+OK\r\n?', /unexpected byte '\?'/, 2);
    expect(r.completed).toBe(1);
  });

  it('rejects a line that is only CRLF', () => {
    expectError('\r\n', /protocol error/);
  });

  it('rejects bad integers', () => {
    expectError(':12a\r\n', /invalid integer reply '12a'/);
    expectError(':\r\n', /invalid integer reply ''/);
    expectError(':-\r\n', /invalid integer reply '-'/);
    expectError(':99999999999999999999\r\n', /invalid integer reply '99999999999999999999'/);
    expectError(':9223372036854775808\r\n', /invalid integer reply '9223372036854775808'/); // int64 max + 1
    expectError(':-9223372036854775809\r\n', /invalid integer reply '-9223372036854775809'/); // int64 min - 1
    expectError(': 1\r\n', /invalid integer reply ' 1'/);
  });

  it('rejects bad bulk lengths', () => {
    expectError('$abc\r\n', /invalid bulk length 'abc'/);
    expectError('$\r\n', /invalid bulk length ''/);
    expectError('$-2\r\n', /negative bulk length -2/);
  });

  it('rejects a bulk not followed by CRLF', () => {
    expectError('$3\r\nabcd\r\n', /bulk string not followed by CRLF \(found 'd'\)/);
    expectError('$3\r\nabc\rX', /bulk string not followed by CRLF \(found 'X'\)/);
    expectError('$0\r\nX', /bulk string not followed by CRLF/);
  });

  it('rejects CR without LF', () => {
    expectError('+OK\rX\n', /line '\+OK' ends in CR without LF/);
    expectError(':12\r:', /ends in CR without LF/);
  });

  it('rejects bad multibulk lengths', () => {
    expectError('*-5\r\n', /negative multibulk length -5/);
    expectError('*x\r\n', /invalid multibulk length 'x'/);
  });

  it('rejects a bulk longer than maxBulkBytes at its header, before any data', () => {
    const r = expectError('$11\r\n', /bulk length 11 exceeds the limit of 10 bytes/, 1, { maxBulkBytes: 10 });
    expect(r.completed).toBe(0);
    // At the limit is fine.
    expectParsesToWith('$10\r\n0123456789\r\n', [bulk('0123456789')], { maxBulkBytes: 10 });
    // And the default limit (512 MB) is checked on the header too.
    expectError(`$${512 * 1024 * 1024 + 1}\r\n`, /exceeds the limit of 536870912 bytes/);
  });

  function expectParsesToWith(text: string, nodes: Node[], limits: { maxDepth?: number; maxBulkBytes?: number }) {
    const r = parse([Buffer.from(text)], nodes.length, limits);
    expect(r.error).toBeNull();
    expect(r.completed).toBe(nodes.length);
    expect(readRecords(r.records, r.payload)).toEqual(flatten(nodes));
  }

  function nested(levels: number, leaf: Node): Node {
    let n = leaf;
    for (let i = 0; i < levels; i++) n = arr(n);
    return n;
  }

  it('accepts maxDepth levels of multibulk nesting and rejects one more', () => {
    const eight = nested(8, int(1));
    expectParsesToWith(serialize(eight).toString('latin1'), [eight], { maxDepth: 8 });
    expectError(serialize(nested(9, int(1))), /multibulk nested deeper than 8 levels/, 1, { maxDepth: 8 });
    // Mixed: depth 8 with siblings passes too.
    const wide = arr(nested(7, bulk('x')), int(2), nested(7, nil));
    expectParsesToWith(serialize(wide).toString('latin1'), [wide], { maxDepth: 8 });
  });

  it('fails cleanly on 10,000 nested multibulks under the default limits', () => {
    const r = parse([Buffer.from('*1\r\n'.repeat(10_000) + ':1\r\n')], 1);
    expect(r.error).toMatch(/^protocol error: multibulk nested deeper than \d+ levels/);
    expect(r.completed).toBe(0);
    const r2 = parse([Buffer.from('*1\r\n'.repeat(10_000))], 1);
    expect(r2.error).toMatch(/nested deeper than/);
  });

  it('the probe refuses limits it cannot read (a throwing getter, a string) without taking the process down', () => {
    const ok = [Buffer.from('+OK\r\n')];
    const throwing = {
      get maxDepth(): number {
        throw new RangeError('no depth today');
      },
    };
    expect(() => native.parseChunks(ok, 1, throwing)).toThrow('no depth today');
    expect(() => native.parseChunks(ok, 1, { maxBulkBytes: '5' as unknown as number })).toThrow(
      'parseChunks: limits must be numbers',
    );
    expect(parse(ok, 1, { maxDepth: 1 }).completed).toBe(1);
  });

  it('rejects a reply beyond the number of replies awaited', () => {
    const r = expectError('+OK\r\n:1\r\n', /reply ':1' arrived with no command waiting for it/, 1);
    expect(r.completed).toBe(1);
    const r0 = expectError('$3\r\nabc\r\n', /arrived with no command waiting/, 0);
    expect(r0.completed).toBe(0);
  });
});

/** `n` printable ASCII bytes, or `n` bytes rich in CR, LF and NUL. */
function randomBytes(rand: () => number, n: number, printable: boolean): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    if (printable) b[i] = 0x20 + Math.floor(rand() * 95);
    else {
      const x = rand();
      b[i] = x < 0.15 ? 0x0d : x < 0.3 ? 0x0a : x < 0.4 ? 0 : Math.floor(rand() * 256);
    }
  }
  return b;
}

describe('RESP parser: random reply trees (property test)', () => {
  function randomInt(rand: () => number): bigint {
    const x = rand();
    if (x < 0.1) return 9223372036854775807n;
    if (x < 0.2) return -9223372036854775808n;
    if (x < 0.5) return BigInt(Math.floor(rand() * 2000) - 1000);
    const hi = BigInt(Math.floor(rand() * 2 ** 31));
    const lo = BigInt(Math.floor(rand() * 2 ** 32));
    const v = (hi << 32n) | lo;
    return rand() < 0.5 ? -v : v;
  }

  function randomNode(rand: () => number, depth: number): Node {
    const x = rand();
    if (x < 0.22 && depth < 6) {
      const n = Math.floor(rand() * 6);
      const items: Node[] = [];
      for (let i = 0; i < n; i++) items.push(randomNode(rand, depth + 1));
      return arr(...items);
    }
    if (x < 0.32) return { t: 'ok', s: randomBytes(rand, Math.floor(rand() * 12), true) };
    if (x < 0.42)
      return { t: 'err', s: Buffer.concat([Buffer.from('ERR '), randomBytes(rand, Math.floor(rand() * 20), true)]) };
    if (x < 0.57) return int(randomInt(rand));
    if (x < 0.8) {
      const len = rand() < 0.05 ? 200 + Math.floor(rand() * 3000) : Math.floor(rand() * 30);
      return bulk(randomBytes(rand, len, false));
    }
    if (x < 0.9) return nil;
    return mnil;
  }

  it('random trees, serialized and split at random points, parse back to the tree', () => {
    const rand = prng(20240611);
    for (let iter = 0; iter < 1000; iter++) {
      const nodes: Node[] = [];
      const count = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < count; i++) nodes.push(randomNode(rand, 0));
      const bytes = Buffer.concat(nodes.map(serialize));
      const chunks = splitAt(bytes, randomCuts(rand, bytes.length, 10));
      const r = parse(chunks, nodes.length);
      const want = flatten(nodes);
      if (r.error !== null || r.completed !== nodes.length || key(readRecords(r.records, r.payload)) !== key(want)) {
        expect(r.error, `iteration ${iter}`).toBeNull();
        expect(r.completed, `iteration ${iter}`).toBe(nodes.length);
        expect(readRecords(r.records, r.payload), `iteration ${iter}`).toEqual(want);
      }
      // A random strict prefix completes exactly the replies it holds.
      const k = Math.floor(rand() * bytes.length);
      let at = 0;
      let done = 0;
      for (const n of nodes) {
        at += serialize(n).length;
        if (at <= k) done++;
      }
      const p = parse(splitAt(bytes.subarray(0, k), randomCuts(rand, k, 4)), nodes.length);
      if (p.error !== null || p.completed !== done) {
        expect(p.error, `iteration ${iter} prefix ${k}`).toBeNull();
        expect(p.completed, `iteration ${iter} prefix ${k}`).toBe(done);
      }
    }
  });
});

// Runs of short neighbouring values are cut from one decoded ASCII chunk;
// other values are decoded one by one. Either way each string must be what
// decoding its own bytes as UTF-8 gives, in any reading order.
describe('reading replies as strings', () => {
  function stringModel(n: Node): unknown {
    switch (n.t) {
      case 'ok':
        return n.s.toString('utf8');
      case 'bulk':
        return n.b.toString('utf8');
      case 'arr':
        return n.items.map(stringModel);
      default:
        return modelValue(n);
    }
  }

  function textOf(rand: () => number, len: number, ascii: boolean): Buffer {
    if (ascii) return randomBytes(rand, len, true);
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
    return b;
  }

  function replies(rand: () => number, count: number, nonAsciiAt: number): Node[] {
    const nodes: Node[] = [];
    for (let i = 0; i < count; i++) {
      const x = rand();
      // Lengths around the shared-value cap (512) and the chunk size (4096).
      const len = x < 0.1 ? 400 + Math.floor(rand() * 5000) : Math.floor(rand() * 120);
      if (i === nonAsciiAt) nodes.push(bulk(textOf(rand, 1 + len, false)));
      else if (x < 0.6) nodes.push(bulk(textOf(rand, len, true)));
      else if (x < 0.7) nodes.push(ok(textOf(rand, 1 + Math.floor(rand() * 10), true)));
      else if (x < 0.8) nodes.push(err(`ERR ${textOf(rand, Math.floor(rand() * 30), true)}`));
      else if (x < 0.9) nodes.push(int(Math.floor(rand() * 1e9)));
      else nodes.push(arr(bulk(textOf(rand, len, true)), nil, bulk('')));
    }
    return nodes;
  }

  for (const [name, nonAscii] of [
    ['an all-ASCII payload (shared chunks)', false],
    ['a payload with one non-ASCII value (each decoded alone)', true],
  ] as const) {
    it(`${name}: values(), node() in order and node() in random order`, () => {
      const rand = prng(nonAscii ? 77 : 76);
      for (let round = 0; round < 20; round++) {
        const nodes = replies(rand, 300, nonAscii ? Math.floor(rand() * 300) : -1);
        const r = parse([Buffer.concat(nodes.map(serialize))], nodes.length);
        expect(r.error).toBeNull();
        const want = nodes.map(stringModel);
        expect(normalizeValue(new PackedReplies(r.records, r.payload).values(false, undefined))).toEqual(want);

        const flat = flatten(nodes);
        const text = (f: Flat) => (f.bytes === null ? null : Buffer.from(f.bytes, 'hex').toString('utf8'));
        const expectedOf = (f: Flat) => (f.type === T.INTEGER ? Number(text(f)) : text(f));
        const inOrder = new PackedReplies(r.records, r.payload);
        for (let i = 0; i < flat.length; i++) {
          expect(inOrder.node<string>(i, false).value, `node ${i}`).toBe(expectedOf(flat[i]));
        }
        const shuffled = new PackedReplies(r.records, r.payload);
        for (let k = 0; k < flat.length; k++) {
          const i = Math.floor(rand() * flat.length);
          expect(shuffled.node<string>(i, false).value, `node ${i}`).toBe(expectedOf(flat[i]));
        }
      }
    });
  }

  it('a chunk never spans a long value: short values between long ones are decoded alone', () => {
    const big = 'B'.repeat(5000);
    const nodes = [
      bulk('s1'.repeat(10)),
      bulk(big),
      bulk('s2'.repeat(10)),
      bulk(big),
      bulk('s3'.repeat(10)),
      bulk('s4'.repeat(10)),
    ];
    const r = parse([Buffer.concat(nodes.map(serialize))], nodes.length);
    const p = new PackedReplies(r.records, r.payload);
    const state = p as unknown as { _chunk: string | null };
    expect(p.node<string>(0, false).value).toBe('s1'.repeat(10));
    expect(state._chunk).toBeNull(); // its neighbour is long: no chunk
    expect(p.node<string>(1, false).value).toBe(big);
    expect(p.node<string>(2, false).value).toBe('s2'.repeat(10));
    expect(state._chunk).toBeNull();
    expect(p.node<string>(4, false).value).toBe('s3'.repeat(10));
    expect(state._chunk).toBe('s3'.repeat(10) + 's4'.repeat(10)); // two short neighbours share one
    expect(p.node<string>(5, false).value).toBe('s4'.repeat(10));
  });

  it('error replies that share one message (a failed batch) read back in any order', () => {
    // As the core records commands that did not complete: one copy of the
    // reason in the payload, every ERROR record pointing at it.
    const reason = 'ERR connection to 127.0.0.1:1 was reset';
    const payload = Buffer.from(`value${reason}`);
    const records = Int32Array.from([
      T.BULK,
      1,
      5,
      0,
      T.ERROR,
      1,
      reason.length,
      5,
      T.ERROR,
      1,
      reason.length,
      5,
      T.ERROR,
      1,
      reason.length,
      5,
    ]);
    const want = ['value', { error: reason }, { error: reason }, { error: reason }];
    expect(normalizeValue(new PackedReplies(records, payload).values(false, undefined))).toEqual(want);
    const p = new PackedReplies(records, payload);
    for (const i of [3, 0, 2, 1, 3]) expect(p.node<string>(i, false).value).toBe(i === 0 ? 'value' : reason);
  });

  it('a payload over 1 MB is checked run by run: a non-ASCII run does not stop the others sharing', () => {
    const nodes = [
      bulk('a'.repeat(20)),
      bulk('b'.repeat(20)),
      bulk('x'.repeat(1_100_000)),
      bulk('é'.repeat(10)),
      bulk('c'),
      bulk('d'.repeat(30)),
      bulk('e'.repeat(30)),
    ];
    const r = parse([Buffer.concat(nodes.map(serialize))], nodes.length);
    expect(normalizeValue(new PackedReplies(r.records, r.payload).values(false, undefined))).toEqual(
      nodes.map(stringModel),
    );
    const p = new PackedReplies(r.records, r.payload);
    const state = p as unknown as { _chunk: string | null };
    expect(p.node<string>(5, false).value).toBe('d'.repeat(30));
    expect(state._chunk).toBe('d'.repeat(30) + 'e'.repeat(30));
    expect(p.node<string>(3, false).value).toBe('é'.repeat(10)); // its run holds non-ASCII bytes
    expect(state._chunk).toBeNull();
    expect(p.node<string>(4, false).value).toBe('c');
  });
});
