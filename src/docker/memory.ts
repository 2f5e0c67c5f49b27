// How much memory an engine's machine has, and how much is still free for new work: read from
// /proc/meminfo in a throw-away container, so it is that machine's kernel (a VM's, Docker
// Desktop's, another classroom machine's) and never this one's by mistake.
import type Docker from 'dockerode';
import { runOnce, trialLabels } from './trial.js';

export interface EngineMemory {
  totalBytes: number;
  /** MemAvailable: what new containers can take without the machine swapping */
  availableBytes: number;
}

/** MemTotal and MemAvailable of a /proc/meminfo text, in bytes. */
export function parseMeminfo(text: string): EngineMemory | undefined {
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return Number.isFinite(total) && Number.isFinite(available) ? { totalBytes: total * 1024, availableBytes: available * 1024 } : undefined;
}

export async function engineMemory(docker: Docker, image: string): Promise<EngineMemory> {
  const r = await runOnce(docker, { image, cmd: ['cat', '/proc/meminfo'], labels: trialLabels('meminfo'), timeoutMs: 20_000 });
  const m = r.exitCode === 0 ? parseMeminfo(r.stdout) : undefined;
  if (!m) throw new Error(`could not read the memory of the engine's machine: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.exitCode}`}`);
  return m;
}
