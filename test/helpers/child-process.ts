// Runs node in a child process (a fixture script) and collects what it did,
// killing it after a time limit: a hang is reported, never waited out.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';

export interface NodeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** killed at the time limit */
  timedOut: boolean;
  /** ms from spawn to exit */
  total: number;
  /** ms from spawn to each stdout line */
  lineTimes: Array<[string, number]>;
}

/** `node ...args`; `env` replaces the environment when given. */
export function runNode(args: string[], options: { env?: NodeJS.ProcessEnv; limitMs?: number } = {}): Promise<NodeRun> {
  const limitMs = options.limitMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    let timedOut = false;
    const lineTimes: Array<[string, number]> = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      partial += d.toString();
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        lineTimes.push([partial.slice(0, nl), performance.now() - t0]);
        partial = partial.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      stderr += `\n[test] killed after ${limitMs} ms: the process did not exit by itself`;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, total: performance.now() - t0, lineTimes });
    });
  });
}

/**
 * Runs `test/fixtures/<name>` with `args`, libredis's spin settings cleared
 * from the environment and `env` set on top, expects a clean exit (code 0,
 * nothing on stderr) and returns the one JSON line it printed.
 */
export async function runJsonFixture<T>(name: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const run = await runNode([path.join(__dirname, '..', 'fixtures', name), ...args], {
    env: { ...process.env, LIBREDIS_SPIN_US: '', LIBREDIS_JS_SPIN_US: '', LIBREDIS_SPREAD: '', ...env },
    limitMs: 20_000,
  });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout.trim()) as T;
}
