// Miner scaling: total hashes/s the api reports for 1, 2, 4 and 8 miner processes with the
// speed limit off, against a real redis-server, on this machine's cores. The ratio quoted is
// 2 miners against 1 (target >= 1.8 on 2 cores); the whole curve goes to an SVG plot.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/docker/containers.js';
import { packageRoot } from '../src/paths.js';
import type { BenchOptions, Figure } from './types.js';
import { median } from './measure.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'ignore' });
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

async function stats(api: string): Promise<{ totalHashes: number; miners: number }> {
  const r = await fetch(`${api}/api/stats`, { signal: AbortSignal.timeout(3000) });
  return (await r.json()) as { totalHashes: number; miners: number };
}

async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

/** A small line chart of hashes/s against miners, as SVG text (no browser needed). */
function plot(points: { miners: number; rate: number }[], cores: number): string {
  const W = 520, H = 300, L = 70, B = 40, T = 30, R = 20;
  const maxX = Math.max(...points.map((p) => p.miners));
  const maxY = Math.max(...points.map((p) => p.rate)) * 1.15;
  const x = (m: number) => L + ((Math.log2(m)) / Math.log2(maxX)) * (W - L - R);
  const y = (v: number) => H - B - (v / maxY) * (H - B - T);
  const line = points.map((p) => `${x(p.miners).toFixed(1)},${y(p.rate).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#0f172a"/>
<text x="${L}" y="18" fill="#e2e8f0" font-size="14">DevCoin miners, speed limit off: total hashes/s (${cores} cores)</text>
${ticks.map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#334155"/><text x="${L - 8}" y="${(y(v) + 4).toFixed(1)}" fill="#94a3b8" text-anchor="end">${(v / 1e6).toFixed(1)}M</text>`).join('\n')}
${points.map((p) => `<text x="${x(p.miners).toFixed(1)}" y="${H - B + 18}" fill="#94a3b8" text-anchor="middle">${p.miners}</text>`).join('\n')}
<text x="${(L + W - R) / 2}" y="${H - 6}" fill="#94a3b8" text-anchor="middle">miners (processes, one thread each)</text>
<polyline points="${line}" fill="none" stroke="#fbbf24" stroke-width="2.5"/>
${points.map((p) => `<circle cx="${x(p.miners).toFixed(1)}" cy="${y(p.rate).toFixed(1)}" r="4" fill="#fbbf24"/>`).join('\n')}
</svg>
`;
}

export async function minerScaling(o: BenchOptions): Promise<Figure[]> {
  const counts = o.quick ? [1, 2] : [1, 2, 4, 8];
  const warmMs = o.quick ? 1500 : 3000;
  const measureMs = o.quick ? 3000 : 8000;
  const dir = mkdtempSync(join(tmpdir(), 'devcoin-bench-'));
  const cfg = join(dir, 'miner.yml');
  // difficulty 7: coins are rare, so the figure is hashing, not Redis writes
  writeFileSync(cfg, 'difficulty: 7\nspeedLimit: unlimited\nthreads: 1\nreportInterval: 0.5\n');
  const redisPort = await freePort();
  const redis = start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const apiPort = await freePort();
  const env = { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort) };
  const api = start('node', [join(packageRoot, 'stack', 'api', 'dist', 'api.js')], { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
  const base = `http://127.0.0.1:${apiPort}`;
  // rounds of every count, one after another, so noise spreads over all counts; each count's
  // figure is the median of its rounds
  const rounds = o.quick ? 1 : 3;
  const samples = new Map<number, number[]>();
  try {
    await until(async () => (await fetch(`${base}/healthz`)).ok, 15_000, 'the api to answer');
    for (let round = 0; round < rounds; round++) {
      for (const n of counts) {
        const miners = Array.from({ length: n }, (_, i) =>
          start('node', [join(packageRoot, 'stack', 'miner', 'dist', 'miner.js')], { ...env, MINER_CONFIG: cfg, MINER_ID: `bench-${round}-${n}-${i}`, NODE_NAME: 'bench' }),
        );
        try {
          await until(async () => (await stats(base)).miners === n, 15_000, `${n} miners reporting`);
          await sleep(warmMs);
          const a = await stats(base);
          const t0 = performance.now();
          await sleep(measureMs);
          const b = await stats(base);
          const rate = (b.totalHashes - a.totalHashes) / ((performance.now() - t0) / 1000);
          samples.set(n, [...(samples.get(n) ?? []), rate]);
          o.log(`  round ${round + 1}/${rounds}, ${n} miner(s): ${Math.round(rate).toLocaleString('en')} H/s`);
        } finally {
          await Promise.all(miners.map(stop));
        }
        // stopped miners' keys expire; wait so the next count starts from zero miners
        await until(async () => (await stats(base)).miners === 0, 15_000, 'the miners to leave');
      }
    }
  } finally {
    await stop(api);
    await stop(redis);
  }
  const points = counts.map((n) => ({ miners: n, rate: median(samples.get(n) ?? [NaN]) }));
  const one = points.find((p) => p.miners === 1)!.rate;
  const two = points.find((p) => p.miners === 2)!.rate;
  if (!o.quick) writeFileSync(join(packageRoot, 'bench', 'miner-scaling.svg'), plot(points, cpus().length));
  const ratio = two / one;
  return [
    {
      id: 'miner-scaling',
      title: '2 miners vs 1, speed limit off, total H/s from the api',
      value: Math.round(two),
      unit: 'hashes/s',
      baseline: Math.round(one),
      ratio,
      target: '>= 1.8',
      met: ratio >= 1.8,
      runs: (samples.get(2) ?? []).map((r, i) => r / (samples.get(1)?.[i] ?? NaN)),
      points: points.map((p) => ({ miners: p.miners, rate: Math.round(p.rate) })),
      note: `median of ${rounds} round(s); H/s for ${points.map((p) => `${p.miners}: ${(p.rate / 1e6).toFixed(2)}M`).join(', ')}${o.quick ? '' : ' (plot: bench/miner-scaling.svg)'}`,
    },
  ];
}
