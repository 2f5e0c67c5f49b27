// Free disk where the engine keeps its images.
import { existsSync, statfsSync } from 'node:fs';
import type { Engine } from './engine.js';

export interface DiskInfo {
  /** the folder measured */
  path: string;
  freeBytes: number;
  totalBytes: number;
}

/** True when the engine runs on this machine (its files are ours to measure). */
export function isLocalEngine(engine: Engine): boolean {
  return engine.endpoint.host.startsWith('unix://') || engine.endpoint.host.startsWith('npipe://');
}

/**
 * Free space on the engine's data root (docker info DockerRootDir) when the engine is local;
 * `/` when that folder is not visible from here (e.g. Docker Desktop's VM). undefined for
 * remote engines: their disk is not ours to see.
 */
export async function engineDisk(engine: Engine): Promise<DiskInfo | undefined> {
  if (!isLocalEngine(engine)) return undefined;
  const info = (await engine.docker.info()) as { DockerRootDir?: string };
  const path = info.DockerRootDir && existsSync(info.DockerRootDir) ? info.DockerRootDir : '/';
  const st = statfsSync(path);
  return { path, freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize };
}

export function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/**
 * Below this much free disk no new work starts: a build of all images would fill the disk half-way
 * through, and so would a lab's catch-up. DEVCOIN_MIN_FREE_GIB raises it (a classroom machine that
 * must keep room for other work) or lowers it.
 */
export function minFreeBytes(): number {
  const gibs = Number(process.env.DEVCOIN_MIN_FREE_GIB);
  return (Number.isFinite(gibs) && gibs > 0 ? gibs : 3) * 1024 ** 3;
}
