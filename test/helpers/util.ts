// Small helpers shared by the test files.
import type { Batch, Reply } from '../../src/index';

/** Every reply node of the batch's last execution, in order (the cursor is left rewound). */
export function nodes(batch: Batch): Reply[] {
  batch.rewind();
  const out: Reply[] = [];
  for (let r = batch.nextReply(), n = 0; r !== null && n < 1_000_000; r = batch.nextReply(), n++) out.push(r);
  batch.rewind();
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seeded PRNG (mulberry32), so failures reproduce. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
