// The RESP command encoder, seen through `batch._pending()` (the encoded
// bytes and command count, without executing). Every expectation comes from
// the reference encoder below, written from the RESP spec, or is spelled out.
import { describe, expect, it, vi } from 'vitest';
import { Batch } from '../src/index';
import { prng } from './helpers/util';

type RefArg = string | Uint8Array | number | bigint;

/** Reference RESP multibulk encoder: "*<n>\r\n" then "$<bytes>\r\n<bytes>\r\n" per argument. */
function ref(...args: RefArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const bytes =
      typeof a === 'string'
        ? Buffer.from(a, 'utf8')
        : typeof a === 'number' || typeof a === 'bigint'
          ? Buffer.from(String(a), 'latin1')
          : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

function pending(b: Batch): [Buffer, number] {
  return b._pending();
}

function expectBytes(actual: Buffer, expected: Buffer, what = '') {
  // Compare as hex so a mismatch shows where.
  if (!actual.equals(expected)) {
    expect(actual.toString('hex'), what).toBe(expected.toString('hex'));
  }
  expect(actual.length).toBe(expected.length);
}

describe('command encoder: exact bytes', () => {
  it('a new batch has nothing pending', () => {
    const [bytes, n] = pending(new Batch());
    expect(bytes.length).toBe(0);
    expect(n).toBe(0);
  });

  it("get('k')", () => {
    const [bytes, n] = pending(new Batch().get('k'));
    expect(bytes.toString('latin1')).toBe('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    expect(n).toBe(1);
  });

  it("set('key', 'value')", () => {
    const [bytes, n] = pending(new Batch().set('key', 'value'));
    expect(bytes.toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
    expect(n).toBe(1);
  });

  it('cmd with plain strings', () => {
    const [bytes] = pending(new Batch().cmd('HINCRBY', 'aKey', 'aField', '10'));
    expect(bytes.toString('latin1')).toBe('*4\r\n$7\r\nHINCRBY\r\n$4\r\naKey\r\n$6\r\naField\r\n$2\r\n10\r\n');
  });

  it('cmd with a single argument', () => {
    expect(pending(new Batch().cmd('PING'))[0].toString('latin1')).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('UTF-8 strings are sent as their UTF-8 bytes with byte lengths', () => {
    // 'ключ' is 4 chars, 8 bytes; '😀' is 2 UTF-16 units, 4 bytes; 'é' 2 bytes; '€' 3 bytes.
    const [bytes] = pending(new Batch().cmd('SET', 'ключ', '😀'));
    const expected = Buffer.concat([
      Buffer.from('*3\r\n$3\r\nSET\r\n$8\r\n', 'latin1'),
      Buffer.from([0xd0, 0xba, 0xd0, 0xbb, 0xd1, 0x8e, 0xd1, 0x87]),
      Buffer.from('\r\n$4\r\n', 'latin1'),
      Buffer.from([0xf0, 0x9f, 0x98, 0x80]),
      Buffer.from('\r\n', 'latin1'),
    ]);
    expectBytes(bytes, expected);
    expectBytes(pending(new Batch().get('é€😀'))[0], ref('GET', 'é€😀'));
    expectBytes(pending(new Batch().set('ключ', 'значение 😀'))[0], ref('SET', 'ключ', 'значение 😀'));
  });

  it('a lone surrogate becomes U+FFFD (EF BF BD), as UTF-8 encoding does', () => {
    expectBytes(pending(new Batch().cmd('SET', 'a\ud800b', '\udc00'))[0], ref('SET', 'a\ufffdb', '\ufffd'));
  });

  it('Buffers with arbitrary bytes are copied as they are', () => {
    const bin = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x24, 0x2a, 0x00, 0x80, 0x0d, 0x0a]);
    const [bytes] = pending(new Batch().cmd('SET', bin, Buffer.from('v')));
    const expected = Buffer.concat([
      Buffer.from('*3\r\n$3\r\nSET\r\n$10\r\n', 'latin1'),
      bin,
      Buffer.from('\r\n$1\r\nv\r\n', 'latin1'),
    ]);
    expectBytes(bytes, expected);
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = 255 - i;
    expectBytes(pending(new Batch().set(all, all))[0], ref('SET', all, all));
    expectBytes(pending(new Batch().get(all))[0], ref('GET', all));
  });

  it('Uint8Array arguments, including views at an offset into a larger buffer', () => {
    const u8 = new Uint8Array([1, 2, 3, 0, 13, 10, 255]);
    expectBytes(pending(new Batch().cmd('SET', 'k', u8))[0], ref('SET', 'k', u8));
    const backing = new Uint8Array(64);
    for (let i = 0; i < 64; i++) backing[i] = i;
    const view = new Uint8Array(backing.buffer, 10, 5); // bytes 10..14
    const [bytes] = pending(new Batch().cmd('SET', view, backing.subarray(60)));
    expectBytes(
      bytes,
      Buffer.concat([
        Buffer.from('*3\r\n$3\r\nSET\r\n$5\r\n', 'latin1'),
        Buffer.from([10, 11, 12, 13, 14]),
        Buffer.from('\r\n$4\r\n', 'latin1'),
        Buffer.from([60, 61, 62, 63]),
        Buffer.from('\r\n', 'latin1'),
      ]),
    );
    const sliced = Buffer.from('xxhelloyy').subarray(2, 7);
    expect(pending(new Batch().get(sliced))[0].toString('latin1')).toBe('*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n');
  });

  it('numbers are sent as JS String(n) text', () => {
    const cases: Array<[number, string]> = [
      [0, '0'],
      [10, '10'],
      [-7, '-7'],
      [1.5, '1.5'],
      [-0.25, '-0.25'],
      [1e21, '1e+21'],
      [-0, '0'],
      [2 ** 53, '9007199254740992'],
      [0.1 + 0.2, '0.30000000000000004'],
    ];
    for (const [n, text] of cases) {
      const [bytes] = pending(new Batch().cmd('INCRBY', 'k', n));
      expect(bytes.toString('latin1'), String(n)).toBe(
        `*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$${text.length}\r\n${text}\r\n`,
      );
    }
    expectBytes(pending(new Batch().set(5, 1.5))[0], ref('SET', '5', '1.5'));
    expectBytes(pending(new Batch().get(42))[0], ref('GET', '42'));
  });

  it('bigints are sent as their decimal text', () => {
    const big = 123456789012345678901234567890n;
    expect(pending(new Batch().cmd('SET', 'k', big))[0].toString('latin1')).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$30\r\n123456789012345678901234567890\r\n',
    );
    expect(pending(new Batch().cmd('INCRBY', 'k', -5n))[0].toString('latin1')).toBe(
      '*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n-5\r\n',
    );
    expectBytes(pending(new Batch().get(7n))[0], ref('GET', '7'));
  });

  it('empty string and empty Buffer arguments are $0', () => {
    expect(pending(new Batch().cmd('SET', '', Buffer.alloc(0)))[0].toString('latin1')).toBe(
      '*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n',
    );
    expect(pending(new Batch().get(''))[0].toString('latin1')).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
    expect(pending(new Batch().set('', ''))[0].toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n');
  });

  it('mixed argument kinds in one command', () => {
    const args: RefArg[] = ['ZADD', 'ключ', 1.5, Buffer.from([0, 1, 2]), 7n, new Uint8Array([9]), '', -3];
    expectBytes(pending(new Batch().cmd(...(args as never[])))[0], ref(...args));
  });

  it('a command with many arguments', () => {
    const args: string[] = ['MSET'];
    for (let i = 0; i < 1001; i++) args.push(`key:${i}`, `value:${i}:${'x'.repeat(i % 300)}`);
    expectBytes(pending(new Batch().cmd(...args))[0], ref(...args));
  });
});

describe('command encoder: strings around the 256-byte stack buffer', () => {
  // Builds a string of exactly `bytes` UTF-8 bytes ending in `tail`.
  const ending = (bytes: number, tail: string) => 'a'.repeat(bytes - Buffer.byteLength(tail)) + tail;

  const variants: Array<[string, (len: number) => string]> = [
    ['ASCII', (len) => 'a'.repeat(len)],
    ['ASCII + 2-byte char', (len) => ending(len, 'é')],
    ['ASCII + 3-byte char', (len) => ending(len, '€')],
    ['ASCII + 4-byte emoji', (len) => ending(len, '😀')],
    ['3-byte char at the front', (len) => '€' + 'b'.repeat(len - 3)],
  ];

  for (const [name, make] of variants) {
    it(`${name}: every byte length from 240 to 270 encodes exactly (cmd, get, set, write)`, () => {
      for (let len = 240; len <= 270; len++) {
        const s = make(len);
        expect(Buffer.byteLength(s)).toBe(len);
        expectBytes(pending(new Batch().cmd('SET', s, s))[0], ref('SET', s, s), `${name} cmd ${len}`);
        expectBytes(pending(new Batch().get(s))[0], ref('GET', s), `${name} get ${len}`);
        expectBytes(pending(new Batch().set(s, 'v'))[0], ref('SET', s, 'v'), `${name} set ${len}`);
        expectBytes(pending(new Batch().write(s, 1))[0], Buffer.from(s, 'utf8'), `${name} write ${len}`);
      }
    });
  }

  it('strings made only of 3-byte and 4-byte characters around 256 bytes', () => {
    for (let k = 78; k <= 92; k++) {
      const euros = '€'.repeat(k); // 3k bytes
      expectBytes(pending(new Batch().cmd('SET', euros, euros))[0], ref('SET', euros, euros), `€ x ${k}`);
    }
    for (let k = 58; k <= 70; k++) {
      const emoji = '😀'.repeat(k); // 4k bytes
      expectBytes(pending(new Batch().get(emoji))[0], ref('GET', emoji), `😀 x ${k}`);
    }
    for (let k = 120; k <= 135; k++) {
      const two = 'é'.repeat(k); // 2k bytes
      expectBytes(pending(new Batch().get(two))[0], ref('GET', two), `é x ${k}`);
    }
  });

  it('a 1 MB string and a 1 MB multibyte string', () => {
    const mb = 'x'.repeat(1024 * 1024);
    expectBytes(pending(new Batch().set('k', mb))[0], ref('SET', 'k', mb));
    const mbMulti = 'ключ😀'.repeat(87382); // 12 bytes per repetition: 1,048,584 bytes
    expect(Buffer.byteLength(mbMulti)).toBe(12 * 87382);
    expectBytes(pending(new Batch().cmd('SET', 'k', mbMulti))[0], ref('SET', 'k', mbMulti));
  });
});

describe('command encoder: write, chaining and counts', () => {
  it('write appends raw bytes as given and adds the given count', () => {
    const b = new Batch();
    b.write('PING\r\n', 1);
    b.write(Buffer.from([0x00, 0xff, 0x0d, 0x0a]), 0);
    b.write(new Uint8Array([0x41, 0x42]));
    b.write('INCR ключ\r\nINCR x\r\n', 2);
    const [bytes, n] = pending(b);
    expectBytes(
      bytes,
      Buffer.concat([
        Buffer.from('PING\r\n'),
        Buffer.from([0x00, 0xff, 0x0d, 0x0a]),
        Buffer.from('AB'),
        Buffer.from('INCR ключ\r\nINCR x\r\n', 'utf8'),
      ]),
    );
    expect(n).toBe(3);
  });

  it('write of an empty string changes nothing; a count no bytes could produce is refused', () => {
    const b = new Batch().write('', 0);
    expect(pending(b)[0].length).toBe(0);
    expect(pending(b)[1]).toBe(0);
    expect(() => b.write('', 2)).toThrow(RangeError);
    expect(() => b.write('PING\r\n', 7)).toThrow(/numCommands 7 is more than the 6 bytes/);
    expect(pending(b)[0].length).toBe(0);
    expect(pending(b)[1]).toBe(0);
  });

  it('the constructor takes initial raw commands and their count', () => {
    const b = new Batch('PING\r\nPING\r\n', 2);
    expect(pending(b)[0].toString('latin1')).toBe('PING\r\nPING\r\n');
    expect(pending(b)[1]).toBe(2);
    expect(b.pendingCommands).toBe(2);
    const c = new Batch(Buffer.from('*1\r\n$4\r\nPING\r\n'), 1);
    expect(pending(c)[0].toString('latin1')).toBe('*1\r\n$4\r\nPING\r\n');
  });

  it('every builder method returns the same batch, for chaining', () => {
    const b = new Batch();
    expect(b.get('a')).toBe(b);
    expect(b.set('a', 'b')).toBe(b);
    expect(b.cmd('PING')).toBe(b);
    expect(b.write('PING\r\n', 1)).toBe(b);
  });

  it('commands accumulate in order and the count adds up', () => {
    const b = new Batch()
      .get('a')
      .set('b', 'c')
      .cmd('DEL', 'a', 'b')
      .write('PING\r\n', 1)
      .cmd('MGET', 'x', Buffer.from('y'));
    const [bytes, n] = pending(b);
    expectBytes(
      bytes,
      Buffer.concat([
        ref('GET', 'a'),
        ref('SET', 'b', 'c'),
        ref('DEL', 'a', 'b'),
        Buffer.from('PING\r\n'),
        ref('MGET', 'x', 'y'),
      ]),
    );
    expect(n).toBe(5);
    expect(b.pendingCommands).toBe(5);
  });

  it('many commands: the count follows each one', () => {
    const b = new Batch();
    const parts: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      b.cmd('SET', `k${i}`, i);
      parts.push(ref('SET', `k${i}`, i));
      if (i % 500 === 0) expect(pending(b)[1]).toBe(i + 1);
    }
    const [bytes, n] = pending(b);
    expect(n).toBe(2000);
    expectBytes(bytes, Buffer.concat(parts));
  });

  it('pending() does not consume: calling it twice gives the same bytes', () => {
    const b = new Batch().get('x');
    const first = pending(b);
    const second = pending(b);
    expect(second[0].equals(first[0])).toBe(true);
    expect(second[1]).toBe(first[1]);
    // And the returned Buffer is a copy: changing it does not change the batch.
    first[0].fill(0);
    expect(pending(b)[0].toString('latin1')).toBe('*2\r\n$3\r\nGET\r\n$1\r\nx\r\n');
  });
});

describe('command encoder: queued string commands', () => {
  it('keeps call order across queued, Buffer (immediate) and raw commands', () => {
    const b = new Batch();
    b.get('a').set('b', 'c').cmd('SET', Buffer.from('k'), 'v').cmd('PING').write('PING\r\n', 1).get('z');
    const expected =
      '*2\r\n$3\r\nGET\r\n$1\r\na\r\n' +
      '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc\r\n' +
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n' +
      '*1\r\n$4\r\nPING\r\n' +
      'PING\r\n' +
      '*2\r\n$3\r\nGET\r\n$1\r\nz\r\n';
    const [bytes, count] = b._pending();
    expect(bytes.toString('latin1')).toBe(expected);
    expect(count).toBe(6);
    expect(b.pendingCommands).toBe(6);
  });

  it('a Buffer argument is copied when the command is added, not when it is sent', () => {
    const b = new Batch();
    const value = Buffer.from('before');
    b.get('x').set('k', value);
    value.write('AFTER!');
    expect(b._pending()[0].toString('latin1')).toContain('$6\r\nbefore\r\n');
  });

  it('queues past its initial capacity (several thousand commands) in order', () => {
    const b = new Batch();
    let expected = '';
    for (let i = 0; i < 5000; i++) {
      b.get(`k${i}`);
      expected += `*2\r\n$3\r\nGET\r\n$${String(i).length + 1}\r\nk${i}\r\n`;
    }
    expect(b._pending()[0].toString('latin1')).toBe(expected);
    expect(b._pending()[1]).toBe(5000);
  });
});

// String-only commands cross to the native encoder joined into one string,
// split again by each argument's UTF-16 length. These pin that the split
// gives exactly the bytes encoding each argument alone would give.
describe('command encoder: joined string arguments', () => {
  it('plain string commands take the joined path, and the bytes match the reference', () => {
    const b = new Batch();
    const joined = vi.spyOn(b._native, 'appendJoined');
    const oneByOne = vi.spyOn(b._native, 'appendQueued');
    b.get('a').set('ключ', 'é€😀').cmd('HSET', 'h', '', 'x'.repeat(300));
    expectBytes(
      b._pending()[0],
      Buffer.concat([ref('GET', 'a'), ref('SET', 'ключ', 'é€😀'), ref('HSET', 'h', '', 'x'.repeat(300))]),
    );
    expect(joined).toHaveReturnedWith(true);
    expect(oneByOne).not.toHaveBeenCalled();
  });

  it('a surrogate pair split across two arguments becomes two U+FFFD, as each alone would', () => {
    // Joined, 'a\ud83d' + '\ude00b' is a valid pair (one 4-byte character);
    // encoded one by one, each half is a lone surrogate.
    const b = new Batch();
    const oneByOne = vi.spyOn(b._native, 'appendQueued');
    b.cmd('SET', 'a\ud83d', '\ude00b').get('\ud83d').get('\ude00');
    expectBytes(
      b._pending()[0],
      Buffer.concat([ref('SET', 'a\ufffd', '\ufffdb'), ref('GET', '\ufffd'), ref('GET', '\ufffd')]),
    );
    expect(oneByOne).toHaveBeenCalledTimes(1); // the joined text could not be split exactly
  });

  it('random strings of every UTF-8 length and lone surrogates, many commands at once', () => {
    const pool = ['a', 'Z', '0', ' ', '\r', '\n', '\0', 'é', 'ß', '€', 'ключ', '😀', '𝄞', '\ud800', '\udfff', '\uffff'];
    const rnd = prng(11);
    let joinedRounds = 0;
    for (let round = 0; round < 40; round++) {
      const b = new Batch();
      const joined = vi.spyOn(b._native, 'appendJoined');
      const expected: Buffer[] = [];
      const commands = 1 + Math.floor(rnd() * 60);
      for (let c = 0; c < commands; c++) {
        const nargs = 1 + Math.floor(rnd() * 4);
        const args: string[] = [];
        for (let k = 0; k < nargs; k++) {
          let s = '';
          const len = Math.floor(rnd() * 8);
          for (let i = 0; i < len; i++) s += pool[Math.floor(rnd() * pool.length)];
          args.push(s);
        }
        if (nargs === 1) b.get(args[0]);
        else if (nargs === 2) b.set(args[0], args[1]);
        else b.cmd(...args);
        expected.push(nargs === 1 ? ref('GET', args[0]) : nargs === 2 ? ref('SET', args[0], args[1]) : ref(...args));
      }
      const [bytes, count] = b._pending();
      expectBytes(bytes, Buffer.concat(expected), `round ${round}`);
      expect(count).toBe(commands);
      if (joined.mock.results.some((r) => r.value === true)) joinedRounds++;
    }
    // Most rounds split exactly; the rest (a surrogate pair formed across
    // two arguments) fell back, with the same bytes.
    expect(joinedRounds).toBeGreaterThan(10);
    expect(joinedRounds).toBeLessThan(40);
  });

  it('arguments over the join limit (1M UTF-16 units in all) cross one by one, with the same bytes', () => {
    const big = 'v'.repeat(700_000);
    const b = new Batch();
    const oneByOne = vi.spyOn(b._native, 'appendQueued');
    b.set('k1', big).set('k2', `${big}é`);
    expectBytes(b._pending()[0], Buffer.concat([ref('SET', 'k1', big), ref('SET', 'k2', `${big}é`)]));
    expect(oneByOne).toHaveBeenCalledTimes(1);
  });

  it('the native call refuses lengths or shapes that do not fit the text, appending nothing', () => {
    const b = new Batch();
    const n = b._native;
    // meta: the commands' shapes, then the arguments' lengths
    const get = (...lengths: number[]) => Int32Array.of(-1, ...lengths);
    expect(n.appendJoined('abc', get(5), 1, 1)).toBe(false); // lengths past the text
    expect(n.appendJoined('abc', get(2), 1, 1)).toBe(false); // text left over
    expect(n.appendJoined('ab', get(1, 1), 1, 2)).toBe(false); // an argument left over
    expect(n.appendJoined('ab', Int32Array.of(-2, 2), 1, 1)).toBe(false); // SET needs two
    expect(n.appendJoined('ab', Int32Array.of(0, 2), 1, 1)).toBe(false); // no arguments
    expect(n.appendJoined('ab', get(-1, 3), 1, 2)).toBe(false); // a negative length
    expect(n.appendJoined('a', get(2 ** 31 - 1), 1, 1)).toBe(false); // refused before sizing anything
    expect(b._pending()).toEqual([Buffer.alloc(0), 0]);
    expect(() => n.appendJoined(42 as unknown as string, get(2), 1, 1)).toThrow(TypeError);
    expect(() => n.appendJoined('ab', get(2), 1, 2)).toThrow(TypeError); // meta shorter than commands + args
    expect(() => n.appendQueued(['ab'], Int32Array.of(), 1)).toThrow(TypeError); // no shape for the command
    expect(b._pending()).toEqual([Buffer.alloc(0), 0]);
    expect(n.appendJoined('ab', get(2, 99), 1, 1)).toBe(true); // entries past commands + args are not read
    expectBytes(b._pending()[0], ref('GET', 'ab'));
  });

  it('long arguments (over 1 KiB on average) are appended one by one, with the same bytes and refusals', () => {
    // Short arguments are written into room made beforehand; long ones are
    // appended, so these cover the second way.
    const b = new Batch();
    const joined = vi.spyOn(b._native, 'appendJoined');
    const long = 'é€😀x'.repeat(1000);
    b.set('k', long).get('x'.repeat(3000));
    expectBytes(b._pending()[0], Buffer.concat([ref('SET', 'k', long), ref('GET', 'x'.repeat(3000))]));
    expect(joined).toHaveReturnedWith(true);

    const c = new Batch();
    const n = c._native;
    const text = 'x'.repeat(5000);
    expect(n.appendJoined(text, Int32Array.of(-1, 5001), 1, 1)).toBe(false); // lengths past the text
    expect(n.appendJoined(text, Int32Array.of(-1, 4999), 1, 1)).toBe(false); // text left over
    expect(n.appendJoined(text, Int32Array.of(-1, 3, 2500, 2500), 2, 2)).toBe(false); // a bad shape
    expect(c._pending()).toEqual([Buffer.alloc(0), 0]);
    expect(n.appendJoined(text, Int32Array.of(-1, -1, 2500, 2500), 2, 2)).toBe(true);
    const half = 'x'.repeat(2500);
    expectBytes(c._pending()[0], Buffer.concat([ref('GET', half), ref('GET', half)]));
  });

  it('batches built in turn keep their own queued commands, before and after a large one', () => {
    const [a, b, big] = [new Batch(), new Batch(), new Batch()];
    a.get('a1');
    b.set('b1', 'v1');
    a.cmd('HGET', 'h', 'f');
    for (let i = 0; i < 3000; i++) big.set(`k${i}`, `v${i}`); // more shapes and lengths than the first shared array holds
    b.get('b2');
    expectBytes(big._pending()[0], Buffer.concat(Array.from({ length: 3000 }, (_, i) => ref('SET', `k${i}`, `v${i}`))));
    expectBytes(b._pending()[0], Buffer.concat([ref('SET', 'b1', 'v1'), ref('GET', 'b2')]));
    a.get('a2');
    expectBytes(a._pending()[0], Buffer.concat([ref('GET', 'a1'), ref('HGET', 'h', 'f'), ref('GET', 'a2')]));
    expect([a.pendingCommands, b.pendingCommands, big.pendingCommands]).toEqual([3, 2, 3000]);
  });
});
