// CPU time the hypervisor gave to other guests while this VM wanted it
// ("steal" in /proc/stat). On a shared VM it is a main reason one 0.5 s
// window runs much slower than the next, so every measurement records it.
import { readFileSync } from 'node:fs';

/** Cumulative { steal, total } clock ticks over all CPUs, or null where /proc/stat has no steal column. */
function cpuTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    if (fields[0] !== 'cpu' || fields.length < 9) return null;
    const n = fields.slice(1).map(Number);
    // user nice system idle iowait irq softirq steal; guest time is already in user.
    return { steal: n[7], total: n.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Percent of all CPU time stolen between two cpuTicks() readings, or null when unknown. */
function stealPercent(before, after) {
  if (before === null || after === null || after.total <= before.total) return null;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

/** Runs `timed` (a measurement resolving to its ops/s): { rate, steal }, steal as stealPercent over it. */
export async function withSteal(timed) {
  const before = cpuTicks();
  const rate = await timed();
  return { rate, steal: stealPercent(before, cpuTicks()) };
}

/** Below this much steal a window counts as calm in the summary. */
export const CALM_STEAL_PERCENT = 2;

/** Over every recorded window of every cell: { windows, median, max, calm }, or null if none was known. */
export function stealSummary(results) {
  const all = Object.values(results)
    .flatMap((row) => Object.values(row))
    .flatMap((cell) => cell.steal.filter((x) => x !== null))
    .sort((x, y) => x - y);
  if (all.length === 0) return null;
  return {
    windows: all.length,
    median: all[all.length >> 1],
    max: all[all.length - 1],
    calm: all.filter((x) => x < CALM_STEAL_PERCENT).length,
  };
}
