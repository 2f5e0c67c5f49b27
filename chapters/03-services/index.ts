// Chapter 3: a service Swarm keeps alive (a failed task replaced) and scaled to 5.
import type { ChapterModule } from '../../src/workshop/types.js';
import { serviceRunning, startAll } from '../../src/workshop/checks/cluster.js';
import { serviceState, type SwarmTask } from '../../src/swarm/index.js';

/** A task up for this long is not crash-looping (busybox sleep never exits by itself). */
const STEADY_MS = 10_000;
import { formSwarm } from '../../src/swarm/index.js';
import type { Lab } from '../../src/lab/index.js';

export const checks: ChapterModule['checks'] = [
  {
    id: 'sleeper-image',
    title: 'service sleeper runs busybox',
    hint: 'create it with `docker service create --name sleeper busybox sleep 100000`',
    async run(lab) {
      const s = await serviceState(lab, 'sleeper');
      return { ok: s.exists && /^busybox(:|@|$)/.test(s.image ?? ''), detail: s.exists ? s.image : 'no service sleeper' };
    },
  },
  serviceRunning('sleeper', 5, 'scale it with `docker service update --replicas 5 sleeper`'),
  {
    id: 'sleeper-healed',
    title: 'a failed sleeper task was replaced, and every sleeper now stays up',
    hint: "kill the task's container on its node (see `docker service ps sleeper`) and watch Swarm replace it; a sleeper that keeps failing by itself is not healed (`docker service ps sleeper` shows why)",
    async run(lab) {
      const s = await serviceState(lab, 'sleeper');
      if (!s.exists) return { ok: false, detail: 'no service sleeper' };
      const now = Date.now();
      const age = (t: SwarmTask) => now - Date.parse(t.Status?.Timestamp ?? '');
      const failed = s.tasks.filter((t) => t.Status?.State === 'failed');
      const live = s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running');
      // judged from the current state: the failed task's slot runs again, nobody fails by itself
      const unhealed = [...new Set(failed.map((t) => t.Slot))].filter((slot) => !live.some((t) => t.Slot === slot));
      const recentFails = new Map<number | undefined, number>();
      for (const t of failed.filter((x) => age(x) < 60_000)) recentFails.set(t.Slot, (recentFails.get(t.Slot) ?? 0) + 1);
      const looping = Math.max(0, ...recentFails.values()) >= 3;
      const young = live.filter((t) => age(t) < STEADY_MS).length;
      if (!failed.length) return { ok: false, detail: 'no failed task in the history', converging: s.converging };
      if (looping) return { ok: false, detail: `sleeper tasks keep failing by themselves (${Math.max(...recentFails.values())} failures of one slot in the last minute): a crash loop, not a heal` };
      if (unhealed.length) return { ok: false, detail: `${unhealed.length} failed slot(s) with no running task`, converging: true };
      if (young) return { ok: false, detail: `${young} running task(s) started less than ${STEADY_MS / 1000} s ago`, converging: true };
      return { ok: true, detail: `${failed.length} failed task(s) replaced; ${live.length} running steadily` };
    },
  },
];

/** Removes the chapter's service so it can start again from a bare swarm. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await startAll(lab);
  // chapter 1's compose stack holds the names the swarm's stack needs (devcoin_private, port 80)
  progress('no compose project on node1');
  await lab.exec('node1', 'docker compose -f /workshop/compose.yml down --remove-orphans >/dev/null 2>&1 || true');
  progress('forming the swarm');
  await formSwarm(lab, progress);
  progress('removing services from earlier attempts');
  await lab.exec('node1', 'docker stack rm devcoin >/dev/null 2>&1; docker service rm sleeper registry >/dev/null 2>&1; for n in $(docker node ls -q); do docker node update --availability active $n >/dev/null; done; true');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services'];
