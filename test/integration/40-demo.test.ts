// The test that the workshop works: the whole demo, from a fresh lab, every chapter's
// commands run for real and every verify passing. 40-hosts, 41-faults and 42-negative then reuse
// this lab, which it leaves at the end of chapter 10.
import { describe, it, expect } from 'vitest';
import { cli, errorLines } from '../helpers/cli.js';
import { DEMO_LAB, demoEnv } from '../helpers/demo-lab.js';

describe('demo', () => {
  it('runs every chapter from a fresh lab and verifies each', async () => {
    const t0 = Date.now();
    const r = await cli(['--lab', DEMO_LAB, '--json', 'demo', '--fresh', '--auto', '--speed', '0'], demoEnv, 1_500_000);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.exitCode, errorLines(String(r.stderr)).join('\n')).toBe(0);
    // with --json, stdout is one JSON document and nothing else
    const summary = JSON.parse(String(r.stdout));
    expect(summary.ok).toBe(true);
    expect(summary.chapters.map((c: { chapter: string }) => c.chapter)).toEqual(['compose', 'swarm', 'services', 'drain', 'registry', 'stack', 'proxy', 'secrets', 'update', 'observe']);
    for (const c of summary.chapters) expect(c.passed).toBe(c.checks);
    const slowest = [...summary.chapters].sort((a, b) => b.seconds - a.seconds)[0];
    console.log(`demo: ${seconds.toFixed(1)} s in all (chapters ${summary.totalSeconds.toFixed(1)} s); slowest: ${slowest.chapter} ${slowest.seconds.toFixed(1)} s`);
    console.log(`demo chapters: ${summary.chapters.map((c: { chapter: string; seconds: number }) => `${c.chapter} ${c.seconds.toFixed(1)} s`).join(', ')}`);
  }, 1_500_000);

  it('records the progress: every chapter done', async () => {
    const r = await cli(['--lab', DEMO_LAB, '--json', 'list'], demoEnv);
    const data = JSON.parse(String(r.stdout));
    expect(data.chapters.map((c: { status: string }) => c.status)).toEqual(Array(10).fill('done'));
  });
});
