/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number>;
/** One command over a fresh plain socket (independent of every client under test); the raw reply text. */
export function rawCommand(port: number, args: string[], timeoutMs?: number): Promise<string>;
/** Seeded PRNG (mulberry32), so runs and failures reproduce. Returns floats in [0, 1). */
export function prng(seed: number): () => number;
