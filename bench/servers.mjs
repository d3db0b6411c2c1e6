// Throwaway redis-servers for the benchmark: free loopback ports, no
// persistence, one temp dir each. Everything started here is stopped by
// stopAll(), which is also safe to call from a process 'exit' handler
// (synchronous kill + rmSync).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, rawCommand } from '../test/helpers/shared.mjs';

const started = new Set();

/** Starts one redis-server; resolves once it answers PING. */
export async function startServer(name) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `libredis-bench-${name}-`));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const server = { name, port, host: '127.0.0.1', address: `127.0.0.1:${port}`, dir, child, exited: false };
  started.add(server);
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  child.on('exit', () => (server.exited = true));
  const until = Date.now() + 10_000;
  for (;;) {
    if (spawnError)
      throw new Error(
        `could not start redis-server (${spawnError.message}); install it, e.g. apt-get install redis-server`,
      );
    if (server.exited) throw new Error(`redis-server on port ${port} exited at start`);
    try {
      if ((await rawCommand(port, ['PING'], 500)) === '+PONG\r\n') return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not start within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stops every server started here and removes its temp dir. Synchronous. */
export function stopAll() {
  for (const s of started) {
    if (!s.exited) {
      try {
        s.child.kill('SIGKILL'); // no persistence configured, nothing to flush
      } catch {
        // already gone
      }
    }
    try {
      rmSync(s.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
    started.delete(s);
  }
}

/** "7.0.15" from `redis-server --version`. */
export function redisVersion() {
  try {
    const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return 'unknown';
  }
}
