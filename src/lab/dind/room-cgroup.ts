// The room's plumbing (the classroom engine, its containerd and shims, the room's name server and
// the classroom server) carries every student's keystroke and verify. It gets a CPU cgroup of its
// own whose weight is 8 labs', so a busy lab or another process of this machine does not make it
// wait its turn (48's noisy neighbour, one core of other load: B's keystroke median 5.3 -> 3.0 ms
// and verify 157 -> 60 ms with A busy; B's p95 tail was not fixed, see docs/decisions.md). It is
// a weight, not a cap: an idle room's plumbing takes nothing from the labs.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NAME = 'devcoin-room';

/** The plumbing's cpu cgroup on this machine (made once), or undefined where there is none to make. */
function roomCpuCgroup(): string | undefined {
  try {
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const dir = join('/sys/fs/cgroup', NAME);
      if (!readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').split(/\s+/).includes('cpu')) writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.weight'), '800'); // 8x the default 100
      return dir;
    }
    const base = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'].find((d) => existsSync(join(d, 'cpu.shares')));
    if (!base) return undefined;
    const dir = join(base, NAME);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.shares'), String(8 * 1024));
    return dir;
  } catch {
    return undefined;
  }
}

/** The processes of this machine whose command line mentions `marker` (the engine's exec root: its containerd and shims). */
function processesMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Moves `pids`, and every process whose command line names `marker`, into the plumbing's cgroup;
 * their future children start there. Best effort (returns how many moved): without it the room
 * works, only with less headroom.
 */
export function raiseRoomPlumbing(pids: number[], marker?: string): number {
  const dir = roomCpuCgroup();
  if (!dir) return 0;
  let moved = 0;
  for (const pid of new Set([...pids, ...(marker ? processesMentioning(marker) : [])])) {
    try {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      moved++;
    } catch {
      // gone, or a kernel thread
    }
  }
  return moved;
}
