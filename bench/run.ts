// `npm run bench`: each figure measured against a baseline taken in the same run (these
// machines are noisy, so ratios are what we quote), several runs, median quoted.
// Writes bench/results.json. `--quick` does one short run of each, to prove the bench works.
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { withResults, type Results } from './table.js';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { median, opensslSha256PerSecond, repeat, timeIt } from './measure.js';
import { labFigures } from './lab-figures.js';
import { minerScaling } from './miner-scaling.js';
import { classroomAlone } from './classroom-figures.js';

import type { BenchOptions, Figure } from './types.js';

const cli = join(packageRoot, 'bin', 'devcoin-workshop');

async function minerEfficiency(o: BenchOptions): Promise<Figure> {
  const seconds = o.quick ? 1 : 3;
  const runs = o.quick ? 1 : 3;
  const miner = join(packageRoot, 'stack', 'miner', 'dist', 'miner.js');
  if (!existsSync(miner)) {
    return {
      id: 'miner-efficiency', title: 'one miner thread vs openssl sha256', value: null, unit: 'hashes/s',
      baseline: await opensslSha256PerSecond(1), ratio: null, target: '>= 0.5', met: null, runs: [],
      note: 'not measured: the miner is not built yet (stack/miner)',
    };
  }
  const pairs = await repeat(runs, async () => {
    const base = await opensslSha256PerSecond(seconds);
    const { stdout } = await execa('node', [miner, '--bench', String(seconds)]);
    const rate = JSON.parse(stdout.trim().split('\n').pop()!).hashesPerSecond as number;
    return { base, rate, ratio: rate / base };
  });
  const ratio = median(pairs.map((p) => p.ratio));
  return {
    id: 'miner-efficiency',
    title: 'one miner thread vs openssl sha256 (64-byte inputs, one core)',
    value: Math.round(median(pairs.map((p) => p.rate))),
    unit: 'hashes/s',
    baseline: Math.round(median(pairs.map((p) => p.base))),
    ratio,
    target: '>= 0.5',
    met: ratio >= 0.5,
    runs: pairs.map((p) => p.ratio),
  };
}

async function setupWarm(o: BenchOptions): Promise<Figure> {
  const runs = await repeat(o.quick ? 1 : 3, () => timeIt(() => execa('node', [cli, 'setup'], { env: { NO_COLOR: '1' } })));
  const value = median(runs);
  return {
    id: 'setup-warm',
    title: '`setup` with nothing changed',
    value,
    unit: 's',
    baseline: null,
    ratio: null,
    target: '< 5 s',
    met: value < 5,
    runs,
  };
}

async function main() {
  const args = process.argv.slice(2);
  const o: BenchOptions = {
    quick: args.includes('--quick'),
    lab: args.includes('--lab') ? args[args.indexOf('--lab') + 1] : 'devcoin-bench',
    log: (t) => process.stderr.write(t + '\n'),
  };
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
  const all: [string, (o: BenchOptions) => Promise<Figure | Figure[]>][] = [
    ['miner-efficiency', minerEfficiency],
    ['miner-scaling', minerScaling],
    ['setup-warm', setupWarm],
    ['lab', labFigures],
    // alone only when asked for (--only classroom): a whole run measures it on the lab's demo
    ['classroom', classroomAlone],
  ];
  const figures: Figure[] = [];
  for (const [id, fn] of all) {
    if (only ? !only.includes(id) : id === 'classroom') continue;
    o.log(`bench: ${id}${o.quick ? ' (quick)' : ''}`);
    try {
      const f = await fn(o);
      figures.push(...(Array.isArray(f) ? f : [f]));
    } catch (err) {
      figures.push({
        id, title: id, value: null, unit: '', baseline: null, ratio: null, target: '', met: false, runs: [],
        note: `failed: ${(err as Error).message.split('\n')[0]}`,
      });
    }
  }
  let commit = '';
  try {
    commit = (await execa('git', ['rev-parse', '--short', 'HEAD'], { cwd: packageRoot })).stdout;
  } catch { /* not a checkout */ }
  const results: Results = {
    date: new Date().toISOString(),
    commit,
    quick: o.quick,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, kernel: release() },
    figures,
  };
  // a full run is what the README quotes (tracked in git); a quick run only proves the bench works
  const out = join('bench', o.quick ? 'results.quick.json' : only ? 'results.partial.json' : 'results.json');
  writeFileSync(join(packageRoot, out), JSON.stringify(results, null, 2) + '\n');
  const rows = figures.map((f) => [
    f.id,
    f.value === null ? '—' : `${+f.value.toFixed(2)} ${f.unit}`,
    f.baseline === null ? '—' : String(+f.baseline.toFixed(2)),
    f.ratio === null ? '—' : f.ratio.toFixed(2),
    f.target,
    f.met === null ? '—' : f.met ? 'yes' : 'NO',
    f.note ?? '',
  ]);
  const head = ['figure', 'value', 'baseline', 'ratio', 'target', 'met', 'note'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd());
  console.log(`results: ${out}`);
  const failed = figures.some((f) => f.note?.startsWith('failed'));
  if (!o.quick && !only && !failed) {
    // the README quotes this run, and only a whole run
    const readme = join(packageRoot, 'README.md');
    writeFileSync(readme, withResults(readFileSync(readme, 'utf8'), results));
    console.log('README.md: Performance table and hash-rate paragraph updated');
  }
  if (failed) {
    console.log('README.md not updated: a figure failed');
    process.exitCode = 1;
  }
}

await main();
