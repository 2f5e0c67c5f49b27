// How many student labs this machine holds, from the bench's figures (`npm run bench`: one lab
// at the secrets chapter's state, its memory and CPU) and the memory free now. `classroom up`
// refuses what does not fit in memory (saying how many do) and warns above what the CPU holds.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, freemem } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/**
 * Measured by a full `npm run bench` on this project's machine (2 cores, 24 GiB), 2026-12-01:
 * one lab (5 nodes and its hub) at the end of the secrets chapter, the whole DevCoin stack
 * running (its miners hash all the time: the CPU figure; `--only classroom` on 2026-11-30 read
 * 1085 MiB and 0.71 cores). Used when bench/results.json has no classroom figures.
 */
export const MEASURED = { labMiB: 1203, labCpuCores: 0.41 };

/** Memory kept free for the host, the engine and the classroom server. */
export const RESERVE_MIB = 2048;
/** Share of the cores the labs may use before the room is called slow. */
export const CPU_SHARE = 0.9;

export interface LabCost {
  labMiB: number;
  labCpuCores: number;
  source: string;
}

/** A lab's cost: the last full bench run's classroom figures, else MEASURED. */
export function labCost(resultsFile = join(packageRoot, 'bench', 'results.json')): LabCost {
  try {
    if (existsSync(resultsFile)) {
      const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as { figures?: { id: string; value: number | null }[] };
      const mem = r.figures?.find((f) => f.id === 'classroom-lab-memory')?.value;
      const cpu = r.figures?.find((f) => f.id === 'classroom-lab-cpu')?.value;
      if (mem && mem > 0 && cpu && cpu > 0) return { labMiB: mem, labCpuCores: cpu, source: 'bench/results.json' };
    }
  } catch {
    /* a damaged results file: the measured defaults */
  }
  return { ...MEASURED, source: 'measured defaults (src/classroom/capacity.ts)' };
}

/**
 * Memory this machine can give, in MiB: MemAvailable of /proc/meminfo (Linux), or where there is
 * none (macOS, Windows) or it lacks the line, node's os.freemem(): free memory, which leaves out
 * what the kernel could reclaim (caches), so it errs on the side of fewer labs. Before, such a
 * machine read undefined, taken as 0 MiB free, and every room was refused.
 */
export function availableMiB(meminfo = '/proc/meminfo', freeBytes: () => number = freemem): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync(meminfo, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* no /proc/meminfo here */
  }
  return freeBytes() / 2 ** 20;
}

export interface Capacity {
  /** labs that fit in memory (those already up count, as they already use theirs) */
  memoryFits: number;
  /** labs the cores hold at the secrets chapter's load */
  cpuHolds: number;
  availableMiB: number;
  cost: LabCost;
  cores: number;
}

/** `availableMiB`: this machine's, or one per engine the labs go to (each keeps its own reserve). */
export function capacity(opts: { existingLabs: number; availableMiB: number | number[]; cores?: number; cost?: LabCost }): Capacity {
  const cost = opts.cost ?? labCost();
  const cores = opts.cores ?? cpus().length;
  const frees = Array.isArray(opts.availableMiB) ? opts.availableMiB : [opts.availableMiB];
  return {
    memoryFits: opts.existingLabs + frees.reduce((n, f) => n + Math.floor(Math.max(0, f - RESERVE_MIB) / cost.labMiB), 0),
    cpuHolds: Math.max(1, Math.floor((cores * CPU_SHARE) / cost.labCpuCores)),
    availableMiB: frees.reduce((a, b) => a + b, 0),
    cost,
    cores,
  };
}
