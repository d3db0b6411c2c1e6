// The package loads by its name both as CommonJS and as an ES module, and
// both give the very same classes (one native binding, one poll thread).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

describe('package entry points', () => {
  it("require('libredis') gives the API", () => {
    const out = run([
      '-e',
      "const m = require('libredis'); console.log([typeof m.Libredis, typeof m.Batch, m.ReplyType.MULTIBULK, typeof new m.Libredis().createKetama().getServerOrdinal].join(','))",
    ]);
    expect(out).toBe('function,function,5,function');
  });

  it("import { Libredis } from 'libredis' gives the same classes as require", () => {
    const out = run([
      '--input-type=module',
      '-e',
      "import { Libredis, TimeoutError } from 'libredis'; import { createRequire } from 'node:module'; const cjs = createRequire(process.cwd() + '/x.js')('libredis'); console.log(Libredis === cjs.Libredis, TimeoutError === cjs.TimeoutError, new Libredis().lastError() === '')",
    ]);
    expect(out).toBe('true true true');
  });

  it('ships type declarations for both entry points', () => {
    const pkg = require(path.join(root, 'package.json'));
    const fs = require('node:fs') as typeof import('node:fs');
    expect(pkg.exports['.'].types).toBe('./dist/index.d.ts');
    const dts = fs.readFileSync(path.join(root, 'dist', 'index.d.ts'), 'utf8');
    expect(dts).toMatch(/export \{ Libredis\b/);
    expect(fs.existsSync(path.join(root, 'dist', 'index.d.mts'))).toBe(true);
    // Internal members stay out of the public declarations.
    expect(fs.readFileSync(path.join(root, 'dist', 'batch.d.ts'), 'utf8')).not.toMatch(/_native/);
  });
});
