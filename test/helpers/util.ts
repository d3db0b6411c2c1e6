// Small helpers shared by the test files.
import type { Batch, Ketama, Libredis, Reply } from '../../src/index';

/** Every reply node of the batch's last execution, in order (the cursor is left rewound). */
export function nodes(batch: Batch): Reply[] {
  batch.rewind();
  const out: Reply[] = [];
  for (let r = batch.nextReply(), n = 0; r !== null && n < 1_000_000; r = batch.nextReply(), n++) out.push(r);
  batch.rewind();
  return out;
}

/** A built ring of servers on 127.0.0.1 at `ports`, weight 100 each unless given. */
export function loopbackRing(libredis: Libredis, ports: number[], weights?: number[]): Ketama {
  const ring = libredis.createKetama();
  ports.forEach((port, i) => {
    ring.addServer('127.0.0.1', port, weights?.[i] ?? 100);
  });
  return ring.createContinuum();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export { prng } from './shared.mjs';
