// A scripted TCP server for faults a real redis-server will not produce:
// stalls, garbage, replies cut short. `onData` decides what to send back.
import * as net from 'node:net';

export interface FakeServer {
  address: string;
  port: number;
  /** Every byte received, across connections. */
  received(): string;
  connections(): number;
  close(): Promise<void>;
}

export type Responder = (chunk: Buffer, socket: net.Socket, state: { received: string }) => void;

export function startFakeServer(onData: Responder = () => {}): Promise<FakeServer> {
  return new Promise((resolve) => {
    let received = '';
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      const state = { received: '' };
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        state.received += chunk.toString('latin1');
        onData(chunk, socket, state);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        address: `127.0.0.1:${port}`,
        port,
        received: () => received,
        connections: () => connections,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Number of complete RESP multibulk requests in `text` (counts "*N\r\n" headers at request starts). */
export function countRequests(text: string): number {
  let n = 0;
  let i = 0;
  while (i < text.length) {
    const m = /^\*(\d+)\r\n/.exec(text.slice(i));
    if (!m) break;
    i += m[0].length;
    for (let k = 0; k < Number(m[1]); k++) {
      const b = /^\$(\d+)\r\n/.exec(text.slice(i));
      if (!b) return n;
      i += b[0].length + Number(b[1]) + 2;
    }
    if (i > text.length) break;
    n++;
  }
  return n;
}

const started: FakeServer[] = [];

/** startFakeServer, remembered so closeFakeServers() can close it after the file's tests. */
export async function fakeServer(onData?: Responder): Promise<FakeServer> {
  const f = await startFakeServer(onData);
  started.push(f);
  return f;
}

export async function closeFakeServers(): Promise<void> {
  await Promise.all(started.splice(0).map((f) => f.close()));
}
