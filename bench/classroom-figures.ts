// Classroom figures (issue #13): what one student lab costs at the secrets chapter's state (its
// memory and CPU, as `docker stats` counts them), how long the radar takes to verify a room, and
// so how many student labs this machine holds. `classroom up` reads the memory and CPU figures
// from bench/results.json (src/classroom/capacity.ts) to refuse a room that does not fit.
//
// The full run measures on the demo's lab right after the demo, that is at the end of chapter 8
// (the whole stack with its secret: the heaviest state of the day, so the capacity is on the safe
// side); the quick run measures the quick lab as it is (chapter 4's state), to prove the code.
// The radar's round is the real Radar (src/classroom/radar.ts) over N students whose verifies all
// go to this one lab, 2 at a time: the verify load of N labs, without N labs.
import { cpus, totalmem } from 'node:os';
import { hostEngine } from '../src/docker/engine.js';
import { LABELS } from '../src/labels.js';
import { progressOf, verify } from '../src/workshop/index.js';
import { Radar, p95 } from '../src/classroom/radar.js';
import { CPU_SHARE, RESERVE_MIB } from '../src/classroom/capacity.js';
import type { BenchOptions, Figure } from './types.js';
import { median } from './measure.js';

/** Memory (usage less page cache, as `docker stats`) and CPU (cores, averaged over `seconds`) of a lab's containers. */
export async function labCost(lab: string, seconds: number): Promise<{ mib: number; cores: number }> {
  const { docker } = await hostEngine();
  const cs = await docker.listContainers({ filters: { label: [`${LABELS.lab}=${lab}`] } });
  const read = () => Promise.all(cs.map((c) => docker.getContainer(c.Id).stats({ stream: false })));
  const a = await read();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = await read();
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpuNs = b.reduce((sum, s, i) => sum + (s.cpu_stats.cpu_usage.total_usage - a[i].cpu_stats.cpu_usage.total_usage), 0);
  const bytes = b.reduce((sum, s) => sum + (s.memory_stats.usage - (s.memory_stats.stats?.cache ?? 0)), 0);
  return { mib: bytes / 2 ** 20, cores: cpuNs / wallNs };
}

/** The radar's round times over `students` students, all verifying `lab`, `rounds` rounds. */
export async function radarRounds(lab: string, students: number, rounds: number): Promise<{ rounds: number[]; verifies: number[] }> {
  const names = Array.from({ length: students }, (_, i) => `s${i + 1}`);
  const verifies: number[] = [];
  const radar = new Radar(
    names,
    {
      progress: (l) => progressOf(l),
      health: async () => ({ up: true, nodes: [] }),
      verify: async (l) => {
        const t0 = performance.now();
        const r = await verify(l, undefined, 0);
        verifies.push(performance.now() - t0);
        return r;
      },
      student: (name) => ({ name, lab, engine: 'local' }),
      chapterSeen: () => {},
    },
    // back to back: the round time is the radar's refresh when verifying is all it does
    { concurrency: 2, intervalMs: 0 },
  );
  radar.start();
  while (radar.snapshot().refresh.rounds < rounds) await new Promise((r) => setTimeout(r, 100));
  await radar.stop();
  return { rounds: radar.roundTimes().slice(0, rounds), verifies };
}

export async function classroomFigures(o: BenchOptions, lab: string, state: string): Promise<Figure[]> {
  const cost = await labCost(lab, o.quick ? 3 : 15);
  const students = o.quick ? 2 : 8;
  const { rounds, verifies } = await radarRounds(lab, students, o.quick ? 1 : 3);
  const memFits = Math.floor((totalmem() / 2 ** 20 - RESERVE_MIB) / cost.mib);
  const cpuHolds = Math.floor((cpus().length * CPU_SHARE) / cost.cores);
  const capacity = Math.max(0, Math.min(memFits, cpuHolds));
  const roundP95 = p95(rounds)! / 1000;
  return [
    {
      id: 'classroom-lab-memory', title: `memory of one student lab (5 nodes and hub) at ${state} (docker stats)`,
      value: cost.mib, unit: 'MiB', baseline: null, ratio: null, target: '< 1536 MiB', met: cost.mib < 1536, runs: [],
    },
    {
      id: 'classroom-lab-cpu', title: `CPU of one student lab at ${state}, averaged over ${o.quick ? 3 : 15} s`,
      value: cost.cores, unit: 'cores', baseline: cpus().length, ratio: cost.cores / cpus().length, target: '—', met: null, runs: [],
    },
    {
      id: 'classroom-radar-p95', title: `radar round: every one of ${students} students verified once (${state}, 2 at a time), p95 of ${rounds.length}`,
      value: roundP95, unit: 's', baseline: median(verifies) / 1000, ratio: roundP95 / (median(verifies) / 1000), target: '< 60 s', met: roundP95 < 60, runs: rounds.map((r) => r / 1000),
      note: `one verify pass median ${(median(verifies) / 1000).toFixed(2)} s; a room of N refreshes in about N/2 of them`,
    },
    {
      id: 'classroom-capacity', title: `student labs this machine holds at ${state} (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${RESERVE_MIB} MiB kept free)`,
      value: capacity, unit: 'labs', baseline: null, ratio: null, target: '>= 1', met: capacity >= 1, runs: [],
      note: `memory holds ${memFits}, CPU (${Math.round(CPU_SHARE * 100)}% of the cores) ${cpuHolds}`,
    },
  ];
}

/**
 * Brings `lab` to the state the classroom figures are about (the end of the secrets chapter; in
 * a quick run chapter 4's): goto replays the chapters before it, its commands run, the stack
 * settles (the figure is about a lab in use, not one starting). Returns that state's name.
 */
export async function toClassroomState(o: BenchOptions, lab: string): Promise<string> {
  const { join } = await import('node:path');
  const { execa } = await import('execa');
  const { packageRoot } = await import('../src/paths.js');
  const cli = join(packageRoot, 'bin', 'devcoin-workshop');
  const env = { NO_COLOR: '1', DEVCOIN_HOME: process.env.DEVCOIN_HOME };
  const chapter = o.quick ? 'drain' : 'secrets';
  o.log(`bench: classroom: goto ${chapter} and run it (replays the chapters before it)`);
  await execa('node', [cli, '--lab', lab, 'goto', chapter], { env });
  await execa('node', [cli, '--lab', lab, 'run', chapter], { env });
  await new Promise((r) => setTimeout(r, o.quick ? 2000 : 20_000));
  return o.quick ? "chapter 4's state (quick run)" : 'the end of the secrets chapter';
}

/**
 * `npm run bench -- --only classroom`: the classroom figures alone (a full run measures them on
 * the demo's lab): a lab of its own brought to the end of the secrets chapter, measured, removed.
 */
export async function classroomAlone(o: BenchOptions): Promise<Figure[]> {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { labDown, labUp } = await import('../src/lab/index.js');
  process.env.DEVCOIN_HOME = mkdtempSync(join(tmpdir(), 'devcoin-bench-class-'));
  try {
    await labUp(o.lab, { managers: 3, workers: 2 });
    return await classroomFigures(o, o.lab, await toClassroomState(o, o.lab));
  } finally {
    await labDown(o.lab).catch(() => {});
  }
}
