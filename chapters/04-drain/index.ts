// Chapter 4: node5 drained with its tasks moved, and the quorum lost and restored.
import type { ChapterModule } from '../../src/workshop/types.js';
import { availability, managersWithLeader, serviceRunning, startAll } from '../../src/workshop/checks/cluster.js';
import { managerStarting, nodeNames, serviceState, swarmNodes } from '../../src/swarm/index.js';
import { until } from '../../src/retry.js';
import { formSwarm } from '../../src/swarm/index.js';
import type { Lab } from '../../src/lab/index.js';

export const checks: ChapterModule['checks'] = [
  {
    id: 'node5-drained',
    title: 'node5 is drained',
    hint: 'drain it with `docker node update --availability drain node5`',
    async run(lab) {
      const a = await availability(lab, 'node5');
      return { ok: a === 'drain', detail: `node5 is ${a ?? 'not in the swarm'}` };
    },
  },
  {
    id: 'node5-empty',
    title: 'no sleeper task runs on node5',
    hint: 'a drained node runs nothing; see `docker service ps sleeper --filter node=node5`',
    async run(lab) {
      const s = await serviceState(lab, 'sleeper');
      const names = await nodeNames(lab);
      const on5 = s.tasks.filter((t) => t.DesiredState === 'running' && names.get(t.NodeID ?? '') === 'node5').length;
      return { ok: s.exists && on5 === 0, detail: s.exists ? `${on5} task(s) on node5` : 'no service sleeper' };
    },
  },
  serviceRunning('sleeper', 5, 'the tasks of node5 should have moved; see `docker service ps sleeper`'),
  {
    id: 'nodes-ready',
    title: 'every node is ready again, all active but node5 (drained)',
    hint: 'a stopped node is not a drained one: start it with `devcoin-workshop lab start NODE`; see `docker node ls`',
    async run(lab) {
      const nodes = await swarmNodes(lab);
      if (!nodes.length) return { ok: false, detail: 'no manager answers', converging: await managerStarting(lab) };
      const bad = nodes.filter((n) => n.Status?.State !== 'ready' || n.Spec?.Availability !== (n.Description?.Hostname === 'node5' ? 'drain' : 'active'));
      return {
        ok: nodes.length === 5 && bad.length === 0,
        detail: bad.length ? bad.map((n) => `${n.Description?.Hostname} ${n.Status?.State}/${n.Spec?.Availability}`).join(', ') : `${nodes.length} nodes ready`,
        converging: nodes.some((n) => n.Status?.State === 'unknown'),
      };
    },
  },
  managersWithLeader(3, 'start the stopped managers: `devcoin-workshop lab start node2 node3`'),
];

/** The chapter starts from chapter 3's end: sleeper with 5 replicas, every node active. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await startAll(lab);
  // chapter 1's compose stack holds the names the swarm's stack needs (devcoin_private, port 80)
  progress('no compose project on node1');
  await lab.exec('node1', 'docker compose -f /workshop/compose.yml down --remove-orphans >/dev/null 2>&1 || true');
  progress('forming the swarm');
  await formSwarm(lab, progress);
  progress('sleeper with 5 replicas');
  await lab.exec(
    'node1',
    // what later chapters add (the registry, the devcoin stack) is not there yet at this point
    'docker stack rm devcoin >/dev/null 2>&1; docker service rm registry >/dev/null 2>&1; ' +
      'for n in $(docker node ls -q); do docker node update --availability active $n >/dev/null; done; ' +
      'docker service inspect sleeper >/dev/null 2>&1 || docker service create --detach --name sleeper busybox sleep 100000 >/dev/null; ' +
      'docker service update --detach --replicas 5 sleeper >/dev/null',
  );
  const ok = await until(async () => {
    const s = await serviceState(lab, 'sleeper');
    return s.running === 5;
  }, 60_000);
  if (!ok) throw new Error('sleeper did not reach 5 running tasks');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services'];
