// `npm test` runs the benchmarks once in quick mode, to prove they work (figures are for
// `npm run bench`, not pass/fail here: only that each was measured, none missing).
import { describe, it, expect } from 'vitest';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

describe('bench --quick', () => {
  it('measures every figure against its baseline and writes bench/results.json', async () => {
    const r = await execa('node', [join(packageRoot, 'dist', 'bench', 'run.js'), '--quick'], { reject: false, timeout: 900_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(packageRoot, 'bench', 'results.quick.json'), 'utf8'));
    expect(results.quick).toBe(true);
    const ids = results.figures.map((f: { id: string }) => f.id);
    // the quick run measures these (the demo and the full stack's memory only in a full run)
    expect([...ids].sort()).toEqual(['classroom-capacity', 'classroom-lab-cpu', 'classroom-lab-memory', 'classroom-radar-p95', 'lab-start', 'memory-idle', 'miner-efficiency', 'miner-scaling', 'setup-warm', 'verify']);
    for (const f of results.figures) {
      expect(f.note ?? '', f.id).not.toMatch(/^failed|not measured/);
      // every figure is measured: a positive number, never a gap
      expect(f.value, f.id).not.toBeNull();
      expect(f.value, f.id).toBeGreaterThan(0);
    }
    expect(results.figures.find((f: { id: string }) => f.id === 'lab-start').baseline).toBeGreaterThan(0);
    console.log(r.stdout);
  }, 900_000);
});
