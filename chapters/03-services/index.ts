// Chapter 3: a service Swarm keeps alive (a failed task replaced) and scaled to 5.
import type { ChapterModule } from '../../src/chapters/types.js';
import { serviceRunning, startAll } from '../../src/chapters/checks.js';
import { serviceState } from '../../src/chapters/swarm-state.js';
import { formSwarm } from '../../src/lab/swarm.js';
import type { Lab } from '../../src/lab/types.js';

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
    title: 'a failed sleeper task was replaced',
    hint: "kill the task's container on its node (see `docker service ps sleeper`) and watch Swarm replace it",
    async run(lab) {
      const s = await serviceState(lab, 'sleeper');
      const failed = s.tasks.filter((t) => t.Status?.State === 'failed').length;
      return { ok: failed > 0, detail: `${failed} failed task(s) in the history` };
    },
  },
];

/** Removes the chapter's service so it can start again from a bare swarm. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await startAll(lab);
  progress('forming the swarm');
  await formSwarm(lab, progress);
  progress('removing services from earlier attempts');
  await lab.exec('node1', 'docker stack rm devcoin >/dev/null 2>&1; docker service rm sleeper registry >/dev/null 2>&1; for n in $(docker node ls -q); do docker node update --availability active $n >/dev/null; done; true');
}
