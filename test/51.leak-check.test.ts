// LeakSanitizer over 100,000 executes with connection failures mixed in.
// Runs only under `npm run test:asan` (the ASan build of the addon, with the
// runtime preloaded); a plain `npm test` skips it. A control run with a
// deliberately leaking library proves LSan is really watching.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RedisServer, startRedis, stopAll } from './helpers/redis-server';

const preload = process.env.LD_PRELOAD ?? '';
const underAsan = preload.includes('libasan') && !!process.env.LIBREDIS_ADDON;
const run = promisify(execFile);

let redis: RedisServer;
beforeAll(async () => {
  if (underAsan) redis = await startRedis();
});
afterAll(stopAll);

function lsanEnv(extraPreload = ''): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LD_PRELOAD: [preload, extraPreload].filter(Boolean).join(':'),
    ASAN_OPTIONS: 'detect_leaks=1:fast_unwind_on_malloc=0',
  };
}

describe.skipIf(!underAsan)('LeakSanitizer', () => {
  it('catches a planted leak (control)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libredis-lsan-'));
    const src = path.join(dir, 'leak.c');
    fs.writeFileSync(
      src,
      '#include <stdlib.h>\nvoid* volatile sink;\n__attribute__((constructor)) static void leak(void) { sink = malloc(77); sink = 0; }\n',
    );
    const lib = path.join(dir, 'libleak.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O0', src, '-o', lib]);
    const result = await run(process.execPath, ['-e', '0'], { env: lsanEnv(lib) }).catch((e) => e);
    expect(result.stderr).toMatch(/Direct leak of 77 byte/);
  });

  it('finds no leak over 100,000 executes, a tenth of them refused', async () => {
    const refused = `127.0.0.1:${await freePort()}`;
    const fixture = path.join(__dirname, 'fixtures', 'leak-loop.js');
    const { stdout, stderr } = await run(process.execPath, [fixture, redis.address, refused], {
      env: lsanEnv(),
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ done: 90_000, failed: 10_000 });
    expect(stderr).not.toMatch(/LeakSanitizer|AddressSanitizer/);
  }, 300_000);
});
