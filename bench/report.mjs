// Output: the console table, the JSON document and the SVG chart.
import { CLIENTS } from './workloads.mjs';

export const fmtInt = (v) => Math.round(v).toLocaleString('en-US');
export const fmtRatio = (v) => (v === null || !Number.isFinite(v) ? '-' : `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}x`);
export const fmtBytes = (b) => {
  const a = Math.abs(b);
  if (a >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (a >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (a >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${Math.round(b)} B`;
};
const mbps = (rate, bytes) => (rate * bytes) / 1e6;

/** best / ioredis best, best / redis-benchmark best, for one row. */
export function ratios(result) {
  const best = (c) => (result[c] && result[c].error === null && result[c].best > 0 ? result[c].best : null);
  const ours = best('libredis');
  const io = best('ioredis');
  const rb = best('redis-benchmark');
  const vsIoredis = {};
  for (const c of CLIENTS) vsIoredis[c] = best(c) !== null && io !== null ? best(c) / io : null;
  return {
    vsIoredis,
    oursVsIoredis: ours !== null && io !== null ? ours / io : null,
    oursVsRedisBenchmark: ours !== null && rb !== null ? ours / rb : null,
  };
}

function cell(result, client, transform = (v) => v) {
  const r = result[client];
  if (!r) return '-';
  if (r.error !== null) return 'FAIL';
  return fmtInt(transform(r.best));
}

/** The aligned results table, as lines. */
export function table(rows, results) {
  const head = ['workload', 'unit', ...CLIENTS, 'ours/ioredis', 'ours/redis-bench'];
  const lines = [];
  rows.forEach((row) => {
    const res = results[row.id];
    const q = ratios(res);
    lines.push([
      `${row.target}. ${row.short}`,
      row.unit,
      ...CLIENTS.map((c) => cell(res, c)),
      fmtRatio(q.oursVsIoredis),
      fmtRatio(q.oursVsRedisBenchmark),
    ]);
    if (row.bytes) lines.push(['', 'MB/s', ...CLIENTS.map((c) => cell(res, c, (v) => mbps(v, row.bytes))), '', '']);
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(head), rule, ...lines.map(fmt)];
}

/** Target checks, from the best of the repeats. */
export function targets(rows, results) {
  const byTarget = (t) => rows.filter((r) => r.target === t);
  const out = [];
  const ratioCheck = (n, text, value, min) =>
    out.push({ target: n, text, value, min, pass: value !== null && value >= min, shown: fmtRatio(value) });
  const checks = [
    [1, 'GET batch of 1000: ours vs ioredis', 'oursVsIoredis', 5],
    [1, 'GET batch of 1000: ours vs redis-benchmark -P 1000', 'oursVsRedisBenchmark', 0.75],
    [2, 'single awaited GET: ours vs ioredis', 'oursVsIoredis', 2],
    [3, '50 concurrent GETs: ours vs ioredis', 'oursVsIoredis', 3],
    [4, 'sharded MGET 200 keys: ours vs ioredis', 'oursVsIoredis', 2],
  ];
  for (const [n, text, ratio, min] of checks) {
    const [row] = byTarget(n);
    if (row !== undefined) ratioCheck(n, text, ratios(results[row.id])[ratio], min); // rows left out (--only) have no check
  }
  for (const row of byTarget(6).filter((r) => r.check !== false)) {
    const r = results[row.id].libredis;
    const v = r && r.error === null ? r.best : null;
    out.push({
      target: 6,
      text: row.title,
      value: v,
      min: 5_000_000,
      pass: v !== null && v >= 5_000_000,
      shown: v === null ? 'FAIL' : `${fmtInt(v)}/s`,
    });
  }
  return out;
}

export function targetLines(checks) {
  const w = Math.max(...checks.map((c) => c.text.length));
  return checks.map((c) => {
    const min = c.target === 6 ? `>= ${fmtInt(c.min)}/s` : `>= ${c.min}x`;
    return `  (${c.target}) ${c.text.padEnd(w)}  ${c.shown.padStart(14)}  ${min.padEnd(16)} ${c.pass ? 'PASS' : 'FAIL'}`;
  });
}

// ---------------------------------------------------------------------------
// SVG chart: one group per workload, one bar per client, as ratio to ioredis
// on a log2 axis (so 0.5x and 2x are equally far from the ioredis line).

const COLORS = { libredis: '#2563eb', ioredis: '#f59e0b', 'node-redis': '#10b981', 'redis-benchmark': '#6b7280' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function svgChart(doc) {
  const rows = doc.rows.filter((r) => r.results.ioredis !== undefined);
  const notes = doc.rows.filter((r) => r.results.ioredis === undefined);
  const bar = 30;
  const barGap = 4;
  const groupGap = 34;
  const groupW = CLIENTS.length * (bar + barGap) - barGap;
  const left = 78;
  const right = 84;
  const top = 104;
  const plotH = 340;
  const bottom = top + plotH;
  const width = left + rows.length * (groupW + groupGap) + right;
  const height = bottom + 92 + notes.length * 18;

  const values = rows.flatMap((r) => CLIENTS.map((c) => r.ratios.vsIoredis[c]).filter((v) => v !== null && v > 0));
  const lo = Math.min(-2, Math.floor(Math.log2(Math.min(1, ...values))));
  const hi = Math.max(2, Math.ceil(Math.log2(Math.max(1, ...values)) + 0.15));
  const y = (v) => bottom - ((Math.log2(v) - lo) / (hi - lo)) * plotH;

  const o = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  o.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  o.push(
    `<text x="${left}" y="30" font-size="20" font-weight="bold" fill="#111">libredis vs ioredis, node-redis and redis-benchmark: throughput relative to ioredis</text>`,
  );
  const m = doc.machine;
  o.push(
    `<text x="${left}" y="52" font-size="12" fill="#444">${esc(`${doc.mode} run, best of ${doc.config.repeats}, ${doc.date.slice(0, 16).replace('T', ' ')} UTC - ${m.cpuModel}, ${m.cores} cores - Node ${m.node} - redis ${m.redis} - one connection per server, loopback`)}</text>`,
  );
  // legend
  let lx = left;
  for (const c of CLIENTS) {
    o.push(`<rect x="${lx}" y="66" width="14" height="14" fill="${COLORS[c]}"/>`);
    o.push(
      `<text x="${lx + 20}" y="78" font-size="13" fill="#222">${esc(c === 'libredis' ? 'libredis (ours)' : c)}</text>`,
    );
    lx += 20 + (c === 'libredis' ? 110 : c.length * 8 + 30);
  }
  // axis, grid and ticks
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e;
    const yy = y(v).toFixed(1);
    const label = v >= 1 ? `${v}x` : `1/${1 / v}x`;
    o.push(
      `<line x1="${left}" x2="${width - right + 2}" y1="${yy}" y2="${yy}" stroke="${e === 0 ? '#f59e0b' : '#e5e7eb'}" stroke-width="${e === 0 ? 1.5 : 1}"${e === 0 ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    o.push(
      `<text x="${left - 8}" y="${(+yy + 4).toFixed(1)}" font-size="12" text-anchor="end" fill="#333">${label}</text>`,
    );
  }
  o.push(`<line x1="${left}" x2="${left}" y1="${top - 6}" y2="${bottom}" stroke="#333"/>`);
  o.push(`<line x1="${left}" x2="${width - right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  o.push(
    `<text transform="translate(20 ${(top + bottom) / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#222">ops/s relative to ioredis (log scale, higher is better)</text>`,
  );
  o.push(
    `<text x="${width - right + 6}" y="${(y(1) + 4).toFixed(1)}" font-size="11" fill="#b45309">ioredis = 1x</text>`,
  );

  rows.forEach((row, g) => {
    const gx = left + groupGap / 2 + g * (groupW + groupGap);
    CLIENTS.forEach((c, i) => {
      const x = gx + i * (bar + barGap);
      const res = row.results[c];
      const v = row.ratios.vsIoredis[c];
      if (res === undefined) return;
      if (v === null || !(v > 0)) {
        o.push(
          `<text x="${x + bar / 2}" y="${bottom - 6}" font-size="10" text-anchor="middle" fill="#b91c1c">${res.error !== null ? 'FAIL' : 'n/a'}</text>`,
        );
        return;
      }
      const yy = Math.max(top - 4, y(v));
      const title = `${c}: ${fmtInt(res.best)} ${row.unit} (${fmtRatio(v)} ioredis)`;
      o.push(
        `<rect x="${x}" y="${yy.toFixed(1)}" width="${bar}" height="${(bottom - yy).toFixed(1)}" fill="${COLORS[c]}"><title>${esc(title)}</title></rect>`,
      );
      o.push(
        `<text x="${x + bar / 2}" y="${(yy - 4).toFixed(1)}" font-size="10" text-anchor="middle" fill="#111">${esc(fmtRatio(v))}</text>`,
      );
    });
    const cx = gx + groupW / 2;
    const io = row.results.ioredis;
    const ioText = io && io.error === null ? `ioredis ${fmtInt(io.best)} ${row.unit}` : 'ioredis: n/a';
    o.push(
      `<text x="${cx}" y="${bottom + 18}" font-size="12" font-weight="bold" text-anchor="middle" fill="#111">${esc(row.chart)}</text>`,
    );
    o.push(`<text x="${cx}" y="${bottom + 34}" font-size="10" text-anchor="middle" fill="#555">${esc(ioText)}</text>`);
    const ours = row.results.libredis;
    if (ours && ours.error === null)
      o.push(
        `<text x="${cx}" y="${bottom + 48}" font-size="10" text-anchor="middle" fill="#1e40af">${esc(`ours ${fmtInt(ours.best)} ${row.unit}`)}</text>`,
      );
  });
  let ny = bottom + 74;
  for (const row of notes) {
    const r = row.results.libredis;
    const text =
      r && r.error === null ? `${row.title} (ours only, no peer): ${fmtInt(r.best)} ${row.unit}` : `${row.title}: FAIL`;
    o.push(`<text x="${left}" y="${ny}" font-size="12" fill="#333">${esc(text)}</text>`);
    ny += 18;
  }
  o.push('</svg>');
  return o.join('\n') + '\n';
}
