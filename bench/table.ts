// The README's Performance table, made from bench/results.json: the README quotes exactly what
// the committed full run measured (a unit test compares the two), and says for each figure
// whether it is a median and of how many runs.
import type { Figure } from './types.js';

export interface Results {
  date: string;
  commit?: string;
  quick: boolean;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string; kernel?: string };
  figures: Figure[];
}

export const TABLE_START = '<!-- bench:start (made by `npm run bench` from bench/results.json; do not edit by hand) -->';
export const TABLE_END = '<!-- bench:end -->';

function num(x: number, unit: string): string {
  if (unit === 'hashes/s') return `${(x / 1e6).toFixed(2)} M hashes/s`;
  if (unit === 's') return `${x < 10 ? x.toFixed(2) : x.toFixed(1)} s`;
  if (unit === 'MiB') return `${Math.round(x)} MiB`;
  return `${+x.toFixed(2)} ${unit}`.trim();
}

function baselineOf(f: Figure): string {
  if (f.baseline === null) return '—';
  return f.unit === 'hashes/s' ? `${(f.baseline / 1e6).toFixed(2)} M/s` : num(f.baseline, f.unit);
}

function runsOf(f: Figure): string {
  const n = f.runs.length;
  return n >= 3 ? `median of ${n}` : n === 0 ? 'one reading' : n === 1 ? 'one run' : `${n} runs`;
}

export function readmeTable(r: Results): string {
  const head = `Full run of ${r.date.slice(0, 10)}${r.commit ? ` (commit ${r.commit})` : ''} on ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB${r.machine.cpuModel ? `, ${r.machine.cpuModel}` : ''}, Node ${r.machine.node}:`;
  const rows = r.figures.map((f) =>
    `| ${f.title} | ${f.value === null ? '—' : num(f.value, f.unit)} | ${baselineOf(f)} | ${f.ratio === null ? '—' : f.ratio.toFixed(2)} | ${f.target || '—'} | ${f.met === null ? '—' : f.met ? 'yes' : 'no'} | ${runsOf(f)}${f.note ? `; ${f.note}` : ''} |`,
  );
  return [TABLE_START, head, '', '| figure | value | baseline (same run) | ratio | target | met | runs |', '|---|---|---|---|---|---|---|', ...rows, TABLE_END].join('\n');
}

/** The README with its table replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(TABLE_START);
  const b = readme.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('README.md has no bench table markers');
  return readme.slice(0, a) + table + readme.slice(b + TABLE_END.length);
}
