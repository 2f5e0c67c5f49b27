// The README's Performance table and its hash-rate paragraph, made from bench/results.json: the
// README quotes exactly what the committed full run measured (test/unit/bench-readme.test.ts
// compares the two, and every bench figure quoted in the README's prose), and says for each
// figure whether it is a median and of how many runs.
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
  if (n >= 3 && f.value !== null) {
    // a value that is the largest of its runs and not their median is no median (the radar's
    // p95 of 3 rounds is the slowest of them)
    const sorted = [...f.runs].sort((a, b) => a - b);
    const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    if (f.value === sorted[n - 1] && f.value !== median) return `the largest of ${n}`;
  }
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

export const SCALING_START = '<!-- bench:scaling:start (made by `npm run bench` from bench/results.json; do not edit by hand) -->';
export const SCALING_END = '<!-- bench:scaling:end -->';

/**
 * The total hash rate for each number of miners, from the miner-scaling figure: its `points`, or
 * (runs before they were kept) the "H/s for 1: 3.17M, 2: ..." of its note.
 */
export function scalingPoints(r: Results): { miners: number; rate: number }[] {
  const f = r.figures.find((x) => x.id === 'miner-scaling');
  if (!f) return [];
  if (f.points?.length) return f.points;
  const list = /H\/s for ([^(]*)/.exec(f.note ?? '')?.[1] ?? '';
  return [...list.matchAll(/(\d+): ([\d.]+)M/g)].map((m) => ({ miners: Number(m[1]), rate: Number(m[2]) * 1e6 }));
}

/** The paragraph under the table about the hash rate against the number of miners. */
export function scalingProse(r: Results): string {
  const points = scalingPoints(r);
  const cores = r.machine.cpus;
  const m = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  const lines = [`Hash rate against the number of miners (processes of one thread, speed limit off), in the run above: ${points.map((p) => `${p.miners}: ${m(p.rate)}`).join(', ')} hashes/s.`];
  const base = points.find((p) => p.miners === cores);
  const beyond = points.filter((p) => p.miners > cores);
  if (base && beyond.length) {
    const pct = (p: { rate: number }) => Math.round((p.rate / base.rate - 1) * 100);
    const each = beyond.map((p) => `${p.miners} miners ${pct(p) >= 0 ? '+' : ''}${pct(p)} %`).join(', ');
    const flat = beyond.every((p) => Math.abs(pct(p)) < 10);
    lines.push(
      `Past ${cores}, the number of cores, it ${flat ? 'hardly grows' : 'still changes'} (${each} against ${cores}): the miners, Redis and the api share ${cores} cores and take turns.`,
    );
  }
  return [SCALING_START, lines.join(' '), SCALING_END].join('\n');
}

/** `text` with the block between `start` and `end` (markers included) replaced by `block`. */
export function withBlock(text: string, start: string, end: string, block: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start.slice(0, 24)}... markers`);
  return text.slice(0, a) + block + text.slice(b + end.length);
}

/** The README with the table and the hash-rate paragraph made from `r`. */
export function withResults(readme: string, r: Results): string {
  return withBlock(withTable(readme, readmeTable(r)), SCALING_START, SCALING_END, scalingProse(r));
}
