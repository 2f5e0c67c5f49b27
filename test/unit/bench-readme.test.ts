// What bench/table.ts promises: the README quotes exactly what the committed full run
// (bench/results.json) measured. The generated table and hash-rate paragraph are compared whole;
// every other figure the README's prose quotes from the bench must be one of that run's numbers.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { readmeTable, scalingPoints, scalingProse, SCALING_END, SCALING_START, TABLE_END, TABLE_START, type Results } from '../../bench/table.js';

const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
const results = JSON.parse(readFileSync(join(packageRoot, 'bench', 'results.json'), 'utf8')) as Results;
const block = (start: string, end: string) => readme.slice(readme.indexOf(start), readme.indexOf(end) + end.length);
const fig = (id: string) => results.figures.find((f) => f.id === id)!;

/** Every way a number of the run may be written: as stored, rounded, in millions, with commas. */
function renderings(): Set<string> {
  const out = new Set<string>();
  const add = (x: number) => {
    if (!Number.isFinite(x)) return;
    for (const v of [x, x / 1e6]) for (const d of [0, 1, 2]) out.add(v.toFixed(d)), out.add(Number(v.toFixed(d)).toLocaleString('en'));
  };
  for (const f of results.figures) {
    for (const x of [f.value, f.baseline, f.ratio, ...f.runs]) if (x !== null) add(x);
    // numbers the run states in words: "8 students", "p95 of 3", "memory holds 18, CPU ... 4"
    for (const t of [f.title, f.note ?? '']) for (const m of t.matchAll(/\d+(\.\d+)?/g)) out.add(m[0]);
    out.add(String(f.runs.length));
  }
  for (const p of scalingPoints(results)) add(p.rate), out.add(String(p.miners));
  add(results.machine.cpus);
  add(results.machine.memoryGiB);
  out.add(results.date.slice(0, 10));
  return out;
}

/** The README's prose that quotes the bench: the classroom's sizing paragraph and Performance, without the generated blocks. */
function benchProse(): string {
  const sizing = readme.slice(readme.indexOf('**How many students one machine holds**'), readme.indexOf('**Bigger rooms.**'));
  const perf = readme.slice(readme.indexOf('## Performance'), readme.indexOf('## The VM lane'));
  return (sizing + perf.replace(block(TABLE_START, TABLE_END), '').replace(block(SCALING_START, SCALING_END), '')).replace(/\s+/g, ' ');
}

describe('the README and bench/results.json', () => {
  it('the Performance table is the one the committed run makes', () => {
    expect(block(TABLE_START, TABLE_END)).toBe(readmeTable(results));
  });

  it('the hash-rate paragraph is the one the committed run makes, and says what its numbers show', () => {
    expect(block(SCALING_START, SCALING_END)).toBe(scalingProse(results));
    // what the paragraph claims, checked against the numbers themselves
    const points = scalingPoints(results);
    expect(points.map((p) => p.miners)).toEqual([1, 2, 4, 8]);
    const two = points.find((p) => p.miners === 2)!.rate;
    for (const p of points.filter((x) => x.miners > 2)) expect(Math.abs(p.rate / two - 1)).toBeLessThan(0.1);
    expect(points.find((p) => p.miners === 2)!.rate).toBe(Math.round(fig('miner-scaling').value! / 1e4) * 1e4);
  });

  it('every figure the prose quotes is a number of the committed run', () => {
    const known = renderings();
    const prose = benchProse();
    // numbers with the units the bench measures in, or a date
    const quoted = [
      ...[...prose.matchAll(/\b\d{4}-\d\d-\d\d\b/g)].map((m) => m[0]),
      ...[...prose.matchAll(/\b(\d[\d,]*(?:\.\d+)?)(?= ?(?:MiB|GiB|cores|s\b|M\b|ms|labs|students|rounds|%|-core))/g)].map((m) => m[1]),
    ];
    // 2026-12-01, 2(-core), 24 GiB, 1203 MiB, 0.41 cores, 15 s, 18 labs, 2.5 s, 10.0 s, 8 students, 3 rounds
    expect(quoted.length).toBeGreaterThanOrEqual(11);
    expect(quoted.filter((q) => !known.has(q))).toEqual([]);
  });

  it('the sizing paragraph quotes the classroom figures themselves, each where it belongs', () => {
    const sizing = benchProse();
    expect(sizing).toContain(`takes ${Math.round(fig('classroom-lab-memory').value!)} MiB and ${fig('classroom-lab-cpu').value!.toFixed(2)} cores`);
    const [mem, cpu] = /memory holds (\d+), CPU .* (\d+)$/.exec(fig('classroom-capacity').note!)!.slice(1);
    expect(sizing).toContain(`memory holds ${mem} labs and the cores run ${cpu} well`);
    expect(sizing).toContain(`takes ${fig('classroom-radar-p95').baseline!.toFixed(1)} s a lab`);
    expect(sizing).toContain(`${fig('classroom-radar-p95').value!.toFixed(1)} s for 8 students (p95 of ${fig('classroom-radar-p95').runs.length} rounds)`);
    expect(sizing).toContain(results.date.slice(0, 10));
  });

  it('a row says "median" only of a value that is the median of its runs (the radar\'s p95 of 3 is the largest of them)', () => {
    const t = readmeTable({ ...results, figures: [fig('classroom-radar-p95'), fig('verify'), fig('setup-warm')] });
    expect(t).toMatch(/^\| radar round: .* \| the largest of 3; one verify pass/m);
    expect(t).toMatch(/^\| `verify` of a converged chapter .* \| median of 5 \|$/m);
    expect(t).toMatch(/^\| `setup` with nothing changed .* \| median of 3 \|$/m);
  });

  it('a figure that is not in the run is caught (the old paragraph: 6.50 M against 6.77 M)', () => {
    const known = renderings();
    expect(known.has('6.50')).toBe(false);
    expect(known.has('6.77')).toBe(false);
    expect(known.has('1085')).toBe(false);
  });
});
