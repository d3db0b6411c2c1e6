// Replays the fuzz corpus (test/fuzz/corpus, grown by scripts/fuzz.sh) through
// the real parser: the same property the fuzz target checks, as a regression
// test in every run. Each file's first byte picks a split point, as in
// native/fuzz/resp_parser_fuzz.cc.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native } from '../src/native';

const dir = path.join(__dirname, 'fuzz', 'corpus');
const files = fs.readdirSync(dir).sort();
const limits = { maxDepth: 32, maxBulkBytes: 1 << 20 };

function parse(chunks: Buffer[]) {
  const [records, payload, error, completed] = native.parseChunks(chunks, 64, limits);
  return { records: Array.from(records), payload: payload.toString('latin1'), failed: error !== null, completed };
}

/** Only complete replies count: a cut-short reply may leave nodes that a later byte would finish. */
function committed(r: ReturnType<typeof parse>) {
  return r.failed ? { failed: true } : { failed: false, completed: r.completed };
}

describe('fuzz corpus', () => {
  it('has seed inputs', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const name of files) {
    it(`${name}: no crash, and the result does not depend on how the bytes are split`, () => {
      const file = fs.readFileSync(path.join(dir, name));
      if (file.length === 0) return;
      const data = file.subarray(1);
      const whole = parse([data]);
      const at = file[0] % (data.length + 1);
      const split = parse([data.subarray(0, at), data.subarray(at)]);
      const bytes = parse(Array.from(data, (b) => Buffer.from([b])));
      expect(committed(split)).toEqual(committed(whole));
      expect(committed(bytes)).toEqual(committed(whole));
    });
  }
});
