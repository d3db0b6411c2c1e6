// The Ketama ring against reference values from an independent implementation
// of /work/shared/KETAMA.md, and against a JS reference ring written here
// straight from that description (node:crypto MD5, Math.fround).
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Ketama, Libredis } from '../src/index';
import { prng } from './helpers/util';

// ---------------------------------------------------------------- reference ring

interface RefServer {
  host: string;
  port: number;
  weight: number;
}

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest();

/** KETAMA.md "points per server": ks for each server (each group is one MD5, 4 points). */
function groupsPerServer(servers: RefServer[]): number[] {
  const total = servers.reduce((a, s) => a + s.weight, 0);
  const n = servers.length;
  return servers.map((s) => {
    const pct = Math.fround(Math.fround(s.weight) / Math.fround(total));
    return Math.max(0, Math.floor(Math.fround(pct * 40 * Math.fround(n))));
  });
}

class RefRing {
  readonly names: Buffer[];
  readonly points: Array<{ value: number; ordinal: number }> = [];
  constructor(servers: RefServer[]) {
    // Name text host:port, capped at 254 bytes.
    this.names = servers.map((s) => Buffer.from(`${s.host}:${s.port}`, 'utf8').subarray(0, 254));
    groupsPerServer(servers).forEach((ks, i) => {
      for (let k = 0; k < ks; k++) {
        const d = md5(Buffer.concat([this.names[i], Buffer.from(`-${k}`)]));
        for (let h = 0; h < 4; h++) this.points.push({ value: d.readUInt32LE(4 * h), ordinal: i });
      }
    });
    this.points.sort((a, b) => a.value - b.value);
  }
  get pointCount(): number {
    return this.points.length;
  }
  /** Every ordinal the key may map to (more than one only when points tie). */
  ordinals(key: string | Buffer): number[] {
    return this.ordinalsForHash(md5(typeof key === 'string' ? Buffer.from(key, 'utf8') : key).readUInt32LE(0));
  }
  /** The same for a hash: the first point >= hash, past the last one the first. */
  ordinalsForHash(hash: number): number[] {
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.points[mid].value < hash) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.points.length) lo = 0;
    // Points are sorted, so equal values (ties) sit next to each other.
    const v = this.points[lo].value;
    const out = new Set<number>();
    for (let i = lo; i < this.points.length && this.points[i].value === v; i++) out.add(this.points[i].ordinal);
    for (let i = lo - 1; i >= 0 && this.points[i].value === v; i--) out.add(this.points[i].ordinal);
    return [...out];
  }
  ordinal(key: string | Buffer): number {
    return this.ordinals(key)[0];
  }
}

function build(servers: RefServer[], ring: Ketama = new Ketama()): Ketama {
  for (const s of servers) ring.addServer(s.host, s.port, s.weight);
  return ring.createContinuum();
}

const CHARS = ['a', 'z', '0', ':', ' ', '-', 'é', 'ж', '€', '中', '😀', '\u0000', '\n'];
function randomString(rand: () => number, maxLen: number): string {
  const n = Math.floor(rand() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < n; i++) {
    s += rand() < 0.6 ? String.fromCharCode(0x21 + Math.floor(rand() * 94)) : CHARS[Math.floor(rand() * CHARS.length)];
  }
  return s;
}
function randomBuffer(rand: () => number, maxLen: number): Buffer {
  const b = Buffer.alloc(Math.floor(rand() * (maxLen + 1)));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const EIGHT: RefServer[] = [600, 300, 200, 350, 1000, 800, 950, 100].map((weight, i) => ({
  host: `10.0.1.${i + 1}`,
  port: 11211,
  weight,
}));
const TWO: RefServer[] = [
  { host: '127.0.0.1', port: 6379, weight: 1 },
  { host: '127.0.0.1', port: 6380, weight: 1 },
];

// ---------------------------------------------------------------- tests

describe('Ketama: reference values', () => {
  it('8-server weighted ring (KETAMA.md example)', () => {
    const ring = build(EIGHT, new Libredis().createKetama());
    expect(ring.pointCount).toBe(1264);
    expect(ring.getServerOrdinal('piet5234')).toBe(4);
    expect(ring.getServerAddress(4)).toBe('10.0.1.5:11211');
    expect(ring.getServerOrdinal('')).toBe(3);
    expect(ring.getServerOrdinal('foo')).toBe(6);
    expect(ring.getServerOrdinal('bar')).toBe(5);
    expect(ring.getServerOrdinal('hello')).toBe(6);
    expect(ring.getServerOrdinal('user:1000')).toBe(6);
    expect(ring.getServerOrdinal('a')).toBe(7);
    for (let i = 0; i < 8; i++) expect(ring.getServerAddress(i)).toBe(`10.0.1.${i + 1}:11211`);
  });

  it('2 equal servers', () => {
    const ring = build(TWO);
    expect(ring.pointCount).toBe(320);
    const expected = [0, 1, 1, 0, 1, 0, 0, 0, 1, 1];
    for (let i = 0; i < 10; i++) expect(ring.getServerOrdinal(`key${i}`), `key${i}`).toBe(expected[i]);
    expect(ring.getServerAddress(0)).toBe('127.0.0.1:6379');
    expect(ring.getServerAddress(1)).toBe('127.0.0.1:6380');
  });

  it('weights 1000000 and 1: the light server gets no points and no key', () => {
    const ring = build([
      { ...TWO[0], weight: 1_000_000 },
      { ...TWO[1], weight: 1 },
    ]);
    expect(ring.pointCount).toBe(316);
    let toSecond = 0;
    for (let i = 0; i < 10_000; i++) if (ring.getServerOrdinal(`k${i}`) !== 0) toSecond++;
    expect(toSecond).toBe(0);
  });

  it('weights 1..7: 1120 points (the float32 rounding of KETAMA.md, not plain double math)', () => {
    const servers = [1, 2, 3, 4, 5, 6, 7].map((weight, i) => ({ host: `10.0.0.${i + 1}`, port: 6379, weight }));
    expect(build(servers).pointCount).toBe(1120);
    expect(new RefRing(servers).pointCount).toBe(1120); // the reference model agrees
    // Doing every step in doubles gives another count here, so this case tells them apart.
    const doubles = servers.reduce((a, s) => a + 4 * Math.floor((s.weight / 28) * 40 * 7), 0);
    expect(doubles).not.toBe(1120);
  });

  it('a single server gets 40 groups of 4 points and every key', () => {
    const ring = build([{ host: 'solo', port: 6379, weight: 5 }]);
    expect(ring.pointCount).toBe(160);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(ring.getServerOrdinal(`k${i}`));
    expect([...seen]).toEqual([0]);
  });

  it('a zero-weight server gets no points and never receives a key', () => {
    const servers = [
      { host: 'a', port: 1, weight: 1 },
      { host: 'b', port: 1, weight: 0 },
      { host: 'c', port: 1, weight: 1 },
    ];
    const ring = build(servers);
    // pct 0.5 for a and c: floor(0.5 * 40 * 3) = 60 groups each, 240 points each.
    expect(ring.pointCount).toBe(480);
    expect(ring.getServerAddress(1)).toBe('b:1');
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(ring.getServerOrdinal(`k${i}`));
    expect([...seen].sort()).toEqual([0, 2]);
  });

  it('the JS reference ring reproduces the given reference values too', () => {
    const ref8 = new RefRing(EIGHT);
    expect(ref8.pointCount).toBe(1264);
    expect(ref8.ordinal('piet5234')).toBe(4);
    expect(ref8.ordinal('')).toBe(3);
    const ref2 = new RefRing(TWO);
    expect(ref2.pointCount).toBe(320);
    expect([...Array(10).keys()].map((i) => ref2.ordinal(`key${i}`))).toEqual([0, 1, 1, 0, 1, 0, 0, 0, 1, 1]);
  });
});

describe('Ketama: life cycle', () => {
  it('lookups return -1 before createContinuum', () => {
    const ring = new Ketama();
    expect(ring.getServerOrdinal('x')).toBe(-1);
    expect(ring.pointCount).toBe(0);
    for (const s of EIGHT) ring.addServer(s.host, s.port, s.weight);
    expect(ring.getServerOrdinal('piet5234')).toBe(-1);
    expect(ring.getServerOrdinal(Buffer.from('piet5234'))).toBe(-1);
    expect(ring.pointCount).toBe(0);
    // Addresses are known as soon as servers are added.
    expect(ring.getServerAddress(4)).toBe('10.0.1.5:11211');
    ring.createContinuum();
    expect(ring.getServerOrdinal('piet5234')).toBe(4);
  });

  it('a ring whose servers all weigh 0 has no points: it builds, and every lookup is -1', () => {
    for (const count of [1, 3]) {
      const ring = new Ketama();
      for (let i = 0; i < count; i++) ring.addServer(`10.0.9.${i}`, 6379, 0);
      ring.createContinuum(); // this crashed the process before the fix
      expect(ring.pointCount).toBe(0);
      const long = 'k'.repeat(300); // past one MD5 block, and past the UTF-8 stack buffer
      for (const key of ['x', '', long, 'caf\u00e9', Buffer.from('x')]) expect(ring.getServerOrdinal(key)).toBe(-1);
      expect(Array.from(ring.getServerOrdinals(['a', 'b', long, Buffer.from('c')]))).toEqual([-1, -1, -1, -1]);
      expect(ring.getServerAddress(count - 1)).toBe(`10.0.9.${count - 1}:6379`);
    }
  });

  it('the bound lookup keeps its ring alive on its own, through a property that cannot be removed', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let ring: Ketama | undefined = new Ketama();
    for (const s of EIGHT) ring.addServer(s.host, s.port, s.weight);
    ring.createContinuum();
    const lookup = (ring as unknown as { _lookup: ((key: string) => number) & { ring?: unknown } })._lookup;
    expect(Object.getOwnPropertyDescriptor(lookup, 'ring')).toMatchObject({
      writable: false,
      configurable: false,
      enumerable: false,
    });
    expect(() => {
      delete lookup.ring;
    }).toThrow(TypeError);
    expect(() => {
      lookup.ring = null;
    }).toThrow(TypeError);
    ring = undefined;
    for (let i = 0; i < 3; i++) gc();
    expect(lookup('piet5234')).toBe(4);
  });

  it("getServerOrdinal is the ring's own bound function, hidden from enumeration; a subclass's override is kept", () => {
    const ring = build(EIGHT);
    const own = Object.getOwnPropertyDescriptor(ring, 'getServerOrdinal');
    expect(own).toMatchObject({ enumerable: false, writable: true, configurable: true });
    expect(own?.value).toBe((ring as unknown as { _lookup: unknown })._lookup);
    expect(Object.keys(ring)).not.toContain('getServerOrdinal');
    // Each ring has its own, bound to its own points.
    const other = build(TWO);
    expect(other.getServerOrdinal).not.toBe(ring.getServerOrdinal);
    const { getServerOrdinal } = ring;
    expect(getServerOrdinal('piet5234')).toBe(4);
    // The prototype method is still there and answers the same.
    expect(Ketama.prototype.getServerOrdinal.call(ring, 'piet5234')).toBe(4);
    expect(Ketama.prototype.getServerOrdinal.call(other, 'piet5234')).toBe(other.getServerOrdinal('piet5234'));

    const seen: string[] = [];
    class Logged extends Ketama {
      override getServerOrdinal(key: string | Buffer | Uint8Array): number {
        seen.push(String(key));
        return super.getServerOrdinal(key);
      }
    }
    const logged = new Logged();
    for (const s of EIGHT) logged.addServer(s.host, s.port, s.weight);
    logged.createContinuum();
    expect(Object.hasOwn(logged, 'getServerOrdinal')).toBe(false);
    expect(logged.getServerOrdinal('piet5234')).toBe(4);
    expect(logged.get_server_ordinal('foo')).toBe(6);
    expect(seen).toEqual(['piet5234', 'foo']);
    // A subclass that does not override it gets the bound function too.
    class Plain extends Ketama {}
    expect(Object.hasOwn(new Plain(), 'getServerOrdinal')).toBe(true);
  });

  it('createContinuum with no servers does nothing; servers can still be added and the ring built', () => {
    const ring = new Ketama();
    expect(ring.createContinuum()).toBe(ring);
    expect(ring.pointCount).toBe(0);
    expect(ring.getServerOrdinal('piet5234')).toBe(-1);
    build(EIGHT, ring);
    expect(ring.pointCount).toBe(1264);
    expect(ring.getServerOrdinal('piet5234')).toBe(4);
  });

  it('createContinuum a second time is a no-op', () => {
    const ring = build(EIGHT);
    const before = [...Array(200).keys()].map((i) => ring.getServerOrdinal(`k${i}`));
    ring.createContinuum();
    expect(ring.pointCount).toBe(1264);
    expect([...Array(200).keys()].map((i) => ring.getServerOrdinal(`k${i}`))).toEqual(before);
  });

  it('servers added after createContinuum are ignored', () => {
    const ring = build(TWO);
    const before = [...Array(500).keys()].map((i) => ring.getServerOrdinal(`k${i}`));
    ring.addServer('10.9.9.9', 6379, 1000);
    ring.createContinuum();
    expect(ring.pointCount).toBe(320);
    expect(ring.getServerAddress(2)).toBe('');
    expect([...Array(500).keys()].map((i) => ring.getServerOrdinal(`k${i}`))).toEqual(before);
  });

  it('getServerAddress out of range returns the empty string', () => {
    const ring = build(EIGHT);
    for (const o of [-1, 8, 9, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 4]) {
      expect(ring.getServerAddress(o), String(o)).toBe('');
    }
    expect(new Ketama().getServerAddress(0)).toBe('');
  });

  it('PHP aliases behave like the camelCase methods', () => {
    const ring = new Libredis().create_ketama();
    for (const s of EIGHT) expect(ring.add_server(s.host, s.port, s.weight)).toBe(ring);
    expect(ring.get_server_ordinal('piet5234')).toBe(-1);
    expect(ring.create_continuum()).toBe(ring);
    expect(ring.pointCount).toBe(1264);
    expect(ring.get_server_ordinal('piet5234')).toBe(4);
    expect(ring.get_server_ordinal('')).toBe(3);
    expect(ring.get_server_address(4)).toBe('10.0.1.5:11211');
    expect(ring.get_server_address(99)).toBe('');
  });
});

describe('Ketama: keys', () => {
  it('a Buffer or Uint8Array key maps like the string with the same UTF-8 bytes', () => {
    const ring = build(EIGHT);
    for (const k of ['', 'piet5234', 'foo', 'ключ', '😀', 'a\u0000b', 'é€😀中', 'x'.repeat(1000)]) {
      const bytes = Buffer.from(k, 'utf8');
      expect(ring.getServerOrdinal(bytes), JSON.stringify(k)).toBe(ring.getServerOrdinal(k));
      expect(ring.getServerOrdinal(new Uint8Array(bytes)), JSON.stringify(k)).toBe(ring.getServerOrdinal(k));
    }
    // A view at an offset hashes only its own bytes.
    const backing = Buffer.from('xxpiet5234yy');
    expect(ring.getServerOrdinal(backing.subarray(2, 10))).toBe(4);
  });

  function agreeOn(ring: Ketama, ref: RefRing, rand: () => number, n: number, maxLen: number) {
    let mismatches = 0;
    const firstBad: string[] = [];
    for (let i = 0; i < n; i++) {
      const key: string | Buffer = i % 2 === 0 ? randomString(rand, maxLen) : randomBuffer(rand, maxLen);
      const got = ring.getServerOrdinal(key);
      if (!ref.ordinals(key).includes(got)) {
        mismatches++;
        if (firstBad.length < 5)
          firstBad.push(`${Buffer.from(key as string).toString('hex')} -> ${got}, expected ${ref.ordinals(key)}`);
      }
    }
    expect(firstBad).toEqual([]);
    expect(mismatches).toBe(0);
  }

  it('agrees with the JS reference on 20,000 random string and binary keys (8-server ring)', () => {
    const ring = build(EIGHT);
    const ref = new RefRing(EIGHT);
    expect(ring.pointCount).toBe(ref.pointCount);
    agreeOn(ring, ref, prng(1), 20_000, 40);
  });

  it('a key hashing exactly onto a point belongs to that point (lower bound, equality included)', () => {
    // The key "host:port-k" hashes to the first point of its own group.
    const ring = build(EIGHT);
    const ref = new RefRing(EIGHT);
    groupsPerServer(EIGHT).forEach((ks, i) => {
      for (let k = 0; k < ks; k++) {
        const key = `${EIGHT[i].host}:${EIGHT[i].port}-${k}`;
        const got = ring.getServerOrdinal(key);
        if (!ref.ordinals(key).includes(got)) expect([key, got]).toEqual([key, ref.ordinals(key)]);
      }
    });
  });

  it('agrees with the JS reference on small and very large rings (bucket index sizing)', () => {
    const rand = prng(9);
    for (const count of [1, 2, 3000]) {
      const servers: RefServer[] = Array.from({ length: count }, (_, i) => ({
        host: `h${i}`,
        port: 7000 + (i % 1000),
        weight: 100,
      }));
      const ring = build(servers);
      const ref = new RefRing(servers);
      expect(ring.pointCount).toBe(ref.pointCount);
      agreeOn(ring, ref, rand, 4000, 24);
    }
  });

  it('every hash at a point, either side of it, and at bucket edges maps as the reference does', () => {
    // 1 server, test.php's 8, and 4000 (640,000 points: the bucket index is
    // capped at 2^20 buckets, so buckets hold several points).
    const rand = prng(31);
    const big = Array.from({ length: 4000 }, (_, i) => ({ host: `b${i}`, port: 7000, weight: 100 }));
    for (const [servers, stride] of [
      [EIGHT.slice(0, 1), 1],
      [EIGHT, 1],
      [big, 97],
    ] as const) {
      const ring = build([...servers]);
      const ref = new RefRing([...servers]);
      const native = (ring as unknown as { _native: { ordinalForHash(h: number): number } })._native;
      const hashes = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
      for (let i = 0; i < ref.points.length; i += stride) {
        const v = ref.points[i].value;
        hashes.push(v, (v + 1) >>> 0, (v - 1) >>> 0);
      }
      // The first hash of every bucket for 8 to 20 bucket bits, and the last of the one before.
      for (let bits = 8; bits <= 20; bits += 4)
        for (let j = 0; j < 256; j++) {
          const start = (Math.floor(rand() * 2 ** bits) * 2 ** (32 - bits)) >>> 0;
          hashes.push(start, (start - 1) >>> 0);
        }
      for (const h of hashes) {
        const got = native.ordinalForHash(h);
        if (!ref.ordinalsForHash(h).includes(got)) expect([h, got]).toEqual([h, ref.ordinalsForHash(h)]);
      }
      expect(native.ordinalForHash(0xffffffff)).toBe(ref.ordinalsForHash(0xffffffff)[0]);
    }
  });

  it('agrees with the JS reference on a random ring (random hosts, ports, weights)', () => {
    const rand = prng(77);
    const servers: RefServer[] = [];
    const count = 3 + Math.floor(rand() * 20);
    for (let i = 0; i < count; i++) {
      servers.push({
        host:
          rand() < 0.3 ? `cache-${i}.example.com` : `192.168.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`,
        port: 1 + Math.floor(rand() * 65535),
        weight: rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 5000),
      });
    }
    const ring = build(servers);
    const ref = new RefRing(servers);
    expect(ring.pointCount).toBe(ref.pointCount);
    for (let i = 0; i < count; i++) expect(ring.getServerAddress(i)).toBe(`${servers[i].host}:${servers[i].port}`);
    agreeOn(ring, ref, rand, 20_000, 40);
  });

  it('point counts agree with the reference for many random weight sets', () => {
    const rand = prng(4242);
    for (let iter = 0; iter < 200; iter++) {
      const n = 1 + Math.floor(rand() * 12);
      const servers: RefServer[] = [];
      for (let i = 0; i < n; i++) {
        const w = rand() < 0.2 ? Math.floor(rand() * 4_000_000_000) : Math.floor(rand() * 100);
        servers.push({ host: `h${i}`, port: 6379, weight: w });
      }
      if (servers.every((s) => s.weight === 0)) servers[0].weight = 1;
      const expected = 4 * groupsPerServer(servers).reduce((a, b) => a + b, 0);
      expect(build(servers).pointCount, JSON.stringify(servers.map((s) => s.weight))).toBe(expected);
    }
  });

  // With 64 equal servers, a wrong hash agrees with the right one only ~1/64 of the time.
  const SIXTY_FOUR: RefServer[] = [...Array(64).keys()].map((i) => ({
    host: `10.1.0.${i}`,
    port: 7000 + i,
    weight: 1,
  }));

  it('keys around one MD5 block (55 bytes), hashed in place: ASCII, Latin-1, multibyte, lone surrogates', () => {
    const ring = build(SIXTY_FOUR);
    const ref = new RefRing(SIXTY_FOUR);
    const rand = prng(55);
    const ascii = (n: number) =>
      Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
    // Each maker gives a key of `units` UTF-16 code units. The first and the
    // last (ending in DEL, the highest ASCII code) are all ASCII; the others
    // must take the UTF-8 path and still agree.
    const makers: Array<(units: number) => string> = [
      (units) => ascii(units),
      (units) => `${ascii(units - 1)}é`, // Latin-1: one UTF-16 unit, two UTF-8 bytes
      (units) => `ß${ascii(units - 1)}`,
      (units) => `${ascii(units - 1)}€`,
      (units) => `${ascii(units - 2)}😀`,
      (units) => `${ascii(units - 1)}\ud800`, // a lone surrogate is hashed as U+FFFD
      (units) => `\udc00${ascii(units - 1)}`,
      (units) => `${ascii(units - 1)}\u007f`,
    ];
    let checked = 0;
    for (const make of makers) {
      for (let units = 2; units <= 70; units++) {
        for (let rep = 0; rep < 4; rep++) {
          const key = make(units);
          expect(key.length).toBe(units);
          expect(ref.ordinals(key), `${JSON.stringify(key)} (${units} units)`).toContain(ring.getServerOrdinal(key));
          expect(ring.getServerOrdinal(Buffer.from(key))).toBe(ring.getServerOrdinal(key));
          checked++;
        }
      }
    }
    expect(checked).toBe(makers.length * 69 * 4);
  });

  it('keys around and beyond the 256-byte stack buffer, ASCII and multibyte', () => {
    const ring = build(SIXTY_FOUR);
    const ref = new RefRing(SIXTY_FOUR);
    expect(ring.pointCount).toBe(ref.pointCount);
    const makers: Array<(len: number) => string> = [
      (len) => 'k'.repeat(len),
      (len) => 'q'.repeat(len - 2) + 'é',
      (len) => 'w'.repeat(len - 3) + '€',
      (len) => 'e'.repeat(len - 4) + '😀',
      (len) => '€' + 'r'.repeat(len - 3),
    ];
    for (const make of makers) {
      for (let len = 230; len <= 280; len++) {
        const key = make(len);
        expect(Buffer.byteLength(key)).toBe(len);
        const want = ref.ordinals(key);
        expect(want, `len ${len}`).toContain(ring.getServerOrdinal(key));
        expect(ring.getServerOrdinal(Buffer.from(key))).toBe(ring.getServerOrdinal(key));
      }
    }
    for (let k = 80; k <= 90; k++) {
      const key = '中'.repeat(k);
      expect(ref.ordinals(key)).toContain(ring.getServerOrdinal(key));
    }
    for (const key of ['z'.repeat(10_000), '😀'.repeat(5000), 'ключ'.repeat(3000)]) {
      expect(ref.ordinals(key)).toContain(ring.getServerOrdinal(key));
    }
  });

  it('a host name longer than 254 bytes is cut to 254 bytes of host:port text', () => {
    const longHost = 'h'.repeat(300);
    const servers: RefServer[] = [
      { host: longHost, port: 6379, weight: 1 },
      { host: 'x'.repeat(250), port: 6379, weight: 1 }, // 'x'*250 + ':6379' = 255 bytes -> cut to 'x'*250 + ':637'
      { host: 'y'.repeat(249), port: 6379, weight: 1 }, // exactly 254 bytes: kept whole
      { host: 'short', port: 1, weight: 1 },
    ];
    const ring = build(servers);
    expect(ring.getServerAddress(0)).toBe('h'.repeat(254));
    expect(ring.getServerAddress(1)).toBe('x'.repeat(250) + ':637');
    expect(ring.getServerAddress(2)).toBe('y'.repeat(249) + ':6379');
    expect(ring.getServerAddress(3)).toBe('short:1');
    // The ring is built from the cut names (points come from name + "-" + k).
    const ref = new RefRing(servers);
    expect(ring.pointCount).toBe(ref.pointCount);
    agreeOn(ring, ref, prng(9), 3000, 20);
  });

  it('a multibyte host name is cut at 254 bytes, even inside a character', () => {
    // 'a' + 100 x '€' + ':6379' is 306 bytes; the first 254 end one byte into a '€'.
    const servers: RefServer[] = [
      { host: 'a' + '€'.repeat(100), port: 6379, weight: 3 },
      { host: 'ключ'.repeat(40), port: 6380, weight: 2 },
      { host: 'plain', port: 6379, weight: 1 },
    ];
    const ring = build(servers);
    expect(ring.getServerAddress(0).startsWith('a' + '€'.repeat(84))).toBe(true);
    expect(ring.getServerAddress(0)).not.toContain(':6379');
    const ref = new RefRing(servers);
    expect(ring.pointCount).toBe(ref.pointCount);
    agreeOn(ring, ref, prng(10), 3000, 20);
  });
});

describe('Ketama: getServerOrdinals (many keys at once)', () => {
  const ring = build(EIGHT);
  const ref = new RefRing(EIGHT);

  /** Every key's batched ordinal is its single ordinal, and one the reference allows. */
  function expectAgreement(keys: Array<string | Buffer | Uint8Array>, got: Int32Array) {
    const bad: string[] = [];
    keys.forEach((key, i) => {
      const one = ring.getServerOrdinal(key);
      const allowed = ref.ordinals(Buffer.from(key as string));
      if (got[i] !== one || !allowed.includes(got[i])) bad.push(`${i}: ${JSON.stringify(String(key))} -> ${got[i]}`);
    });
    expect(bad.slice(0, 5)).toEqual([]);
  }

  it('strings only (joined in one read): ASCII, non-ASCII, empty, and lengths around 55 and 256', () => {
    const rand = prng(77);
    const keys: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const len = [0, 1, 7, 54, 55, 56, 64, 255, 256, 300][i % 10];
      const ascii = Array.from({ length: len }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
      keys.push(i % 3 === 0 ? randomString(rand, 60) : ascii);
    }
    keys.push('key\ud800', '\udc00key', 'ж'.repeat(40), '😀');
    // In slices of 150 the text stays under the join limit; all at once it
    // is over it, and keys are read one by one.
    for (let at = 0; at < keys.length; at += 150) {
      const slice = keys.slice(at, at + 150);
      expectAgreement(slice, ring.getServerOrdinals(slice));
    }
    expectAgreement(keys, ring.getServerOrdinals(keys));
  });

  it('mixed strings, Buffers and Uint8Arrays (read one by one)', () => {
    const rand = prng(78);
    const keys = Array.from({ length: 2001 }, (_, i) =>
      i % 3 === 1
        ? randomBuffer(rand, 70)
        : i % 3 === 2
          ? new Uint8Array(randomBuffer(rand, 20))
          : randomString(rand, 70),
    );
    expectAgreement(keys, ring.getServerOrdinals(keys));
  });

  it('every count from 0 to 40, so the last group of hashes is partly filled', () => {
    const all = Array.from({ length: 40 }, (_, i) => `user:${i * 7919}`);
    for (let n = 0; n <= 40; n++) {
      const keys = all.slice(0, n);
      const got = ring.getServerOrdinals(keys);
      expect(got.length).toBe(n);
      expect(Array.from(got)).toEqual(keys.map((k) => ref.ordinal(k)));
      const withBuffer = [...keys, Buffer.from('b')];
      expect(Array.from(ring.getServerOrdinals(withBuffer))).toEqual(withBuffer.map((k) => ring.getServerOrdinal(k)));
    }
  });

  it('writes into out and returns it; elements past keys.length are left alone', () => {
    const keys = ['a', 'b', 'c', Buffer.from('d')];
    const out = new Int32Array(6).fill(99);
    expect(ring.getServerOrdinals(keys, out)).toBe(out);
    expect(Array.from(out)).toEqual([...keys.map((k) => ring.getServerOrdinal(k)), 99, 99]);
    const strings = new Int32Array(4).fill(99);
    ring.getServerOrdinals(['a', 'b', 'c'], strings);
    expect(strings[3]).toBe(99);
  });

  it('all -1 before createContinuum', () => {
    const early = new Ketama();
    early.addServer('10.0.0.1', 11211, 100);
    expect(Array.from(early.getServerOrdinals(['a', 'b', Buffer.from('c')]))).toEqual([-1, -1, -1]);
    expect(Array.from(new Ketama().getServerOrdinals(['x'.repeat(100), 'é']))).toEqual([-1, -1]);
  });

  it('an array-like Proxy works like its target', () => {
    const keys = ['user:1', 'user:2', 'ключ', 'user:4'];
    const proxy = new Proxy(keys, {});
    expect(Array.from(ring.getServerOrdinals(proxy))).toEqual(keys.map((k) => ring.getServerOrdinal(k)));
  });

  it('bad arguments throw a TypeError or RangeError naming the problem, leaving out unchanged', () => {
    expect(() => ring.getServerOrdinals('user:1' as never)).toThrow(/keys must be an array/);
    expect(() => ring.getServerOrdinals(undefined as never)).toThrow(TypeError);
    expect(() => ring.getServerOrdinals(['a'], [0] as never)).toThrow(/out must be an Int32Array/);
    expect(() => ring.getServerOrdinals(['a'], new Uint32Array(1) as never)).toThrow(TypeError);
    expect(() => ring.getServerOrdinals(['a', 'b'], new Int32Array(1))).toThrow(RangeError);
    for (const bad of [123, undefined, null, {}, true, new Uint16Array(2), 5n]) {
      const out = new Int32Array(8).fill(7);
      const keys = ['a', 'b', 'c', 'd', 'e', bad, 'g'];
      expect(() => ring.getServerOrdinals(keys as never, out), String(bad)).toThrow(
        /key 5 must be a string or a Buffer/,
      );
      expect(Array.from(out)).toEqual(new Array(8).fill(7));
    }
    // A hole reads as undefined.
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(() => ring.getServerOrdinals(['a', , 'c'] as never)).toThrow(/key 1/);
  });

  it('a getter that calls getServerOrdinals again does not disturb the outer call', () => {
    const plain = Array.from({ length: 30 }, (_, i) => (i % 5 === 2 ? `ключ:${i}` : `user:${i}`));
    const inner = Array.from({ length: 50 }, (_, i) => `other:${i}`.repeat(1 + (i % 3)));
    const keys = plain.slice();
    let calls = 0;
    Object.defineProperty(keys, 7, {
      get() {
        calls++;
        expect(Array.from(ring.getServerOrdinals(inner))).toEqual(inner.map((k) => ring.getServerOrdinal(k)));
        return plain[7];
      },
    });
    expect(Array.from(ring.getServerOrdinals(keys))).toEqual(plain.map((k) => ring.getServerOrdinal(k)));
    expect(calls).toBeGreaterThan(0);
  });

  it('a getter that detaches out while string keys are read: a TypeError saying so', () => {
    const out = new Int32Array(3);
    const keys: unknown[] = ['a', 'b', 'c'];
    Object.defineProperty(keys, 1, {
      get() {
        if (out.length > 0) structuredClone(out.buffer, { transfer: [out.buffer] });
        return 'b';
      },
    });
    expect(() => ring.getServerOrdinals(keys as never, out)).toThrow(/detached/);
  });

  it('a getter that returns another string on a second read: a TypeError, not a wrong answer', () => {
    let reads = 0;
    const keys: unknown[] = ['a', 'b', 'ж'];
    Object.defineProperty(keys, 2, {
      get() {
        reads++;
        return reads === 1 ? 'жж' : 'ж';
      },
    });
    expect(() => ring.getServerOrdinals(keys as never)).toThrow(/keys changed while they were read/);
  });

  it('a getter that detaches out while keys are read: a TypeError, nothing written', () => {
    const out = new Int32Array(4);
    const keys: unknown[] = [Buffer.from('a'), 'b', 'c', 'd'];
    Object.defineProperty(keys, 2, {
      get() {
        structuredClone(out.buffer, { transfer: [out.buffer] });
        return 'c';
      },
    });
    expect(() => ring.getServerOrdinals(keys as never, out)).toThrow(/detached/);
    expect(out.length).toBe(0);
  });
});

describe('Ketama: argument errors', () => {
  it('addServer rejects bad arguments with a TypeError', () => {
    const ring = new Ketama();
    expect(() => ring.addServer('', 6379, 1)).toThrow(TypeError);
    expect(() => ring.addServer('', 6379, 1)).toThrow(/host/);
    expect(() => ring.addServer('h', 6379, 1.5)).toThrow(/weight/);
    expect(() => ring.addServer('h', 6379, -1)).toThrow(/weight/);
    expect(() => ring.addServer('h', 6379, NaN)).toThrow(TypeError);
    expect(() => ring.addServer('h', 6379, 2 ** 32)).toThrow(TypeError);
    expect(() => ring.addServer('h', 70000, 1)).toThrow(/port/);
    expect(() => ring.addServer('h', -1, 1)).toThrow(/port/);
    expect(() => ring.addServer('h', 1.5, 1)).toThrow(TypeError);
    expect(() => ring.addServer(123 as never, 6379, 1)).toThrow(/host/);
    expect(() => ring.addServer(undefined as never, 6379, 1)).toThrow(TypeError);
    expect(() => ring.addServer('h', '6379' as never, 1)).toThrow(TypeError);
    expect(() => ring.add_server('', 6379, 1)).toThrow(TypeError);
    // Nothing was added by the failed calls.
    expect(ring.getServerAddress(0)).toBe('');
    ring.createContinuum();
    expect(ring.pointCount).toBe(0);
  });

  it('getServerOrdinal rejects keys that are not strings or byte arrays', () => {
    const ring = build(EIGHT);
    for (const bad of [123, undefined, {}, null, true, [1, 2], new Uint16Array(2), 5n]) {
      expect(() => ring.getServerOrdinal(bad as never), String(bad)).toThrow(TypeError);
    }
    expect(() => ring.getServerOrdinal(123 as never)).toThrow(/key/);
    expect(() => ring.get_server_ordinal({} as never)).toThrow(TypeError);
    // Also before createContinuum.
    expect(() => new Ketama().getServerOrdinal(undefined as never)).toThrow(TypeError);
  });

  it('getServerAddress rejects a non-integer ordinal', () => {
    const ring = build(EIGHT);
    expect(() => ring.getServerAddress(1.5)).toThrow(TypeError);
    expect(() => ring.getServerAddress('1' as never)).toThrow(TypeError);
  });
});
