// Starts real redis-server processes on free loopback ports for the tests,
// and stops them afterwards. Each server gets its own temporary directory.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, rawCommand } from './shared.mjs';

export interface RedisServer {
  host: string;
  port: number;
  /** "127.0.0.1:port" */
  address: string;
  /** Unix socket path, when started with `unixSocket: true`. */
  socketPath?: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL at once and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Sends one command with a plain socket (independent of the code under test). */
  command(...args: string[]): Promise<string>;
}

export { freePort, rawCommand };

async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}`);
    try {
      // A server with requirepass answers NOAUTH: it is up all the same.
      const reply = await rawCommand(port, ['PING'], 500);
      if (reply === '+PONG\r\n' || reply.startsWith('-NOAUTH')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface StartOptions {
  unixSocket?: boolean;
  extraArgs?: string[];
}

export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libredis-test-'));
  const port = await freePort();
  const socketPath = options.unixSocket ? path.join(dir, 'redis.sock') : undefined;
  const args = [
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
    '--logfile',
    path.join(dir, 'redis.log'),
    '--daemonize',
    'no',
    ...(socketPath ? ['--unixsocket', socketPath, '--unixsocketperm', '700'] : []),
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitReady(port, child);
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  await launch();
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    socketPath,
    async stop() {
      child.kill('SIGTERM');
      await exited();
    },
    async kill() {
      child.kill('SIGKILL');
      await exited();
    },
    async restart() {
      await launch();
    },
    command: (...a: string[]) => rawCommand(port, a),
  };
  running.add(server);
  return server;
}

const running = new Set<RedisServer>();

/** Stops every server this test file started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
  running.clear();
}
