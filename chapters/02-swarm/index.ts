// Chapter 2 checks the cluster the student built: 3 managers with a leader, 2 workers ready.
import type { ChapterModule } from '../../src/workshop/types.js';
import { managersWithLeader, swarmActive, workersReady } from '../../src/workshop/checks/cluster.js';
import { leaveSwarm } from '../../src/swarm/index.js';
import { startAll } from '../../src/workshop/checks/cluster.js';

export const checks: ChapterModule['checks'] = [
  swarmActive('run `docker swarm init --advertise-addr $(hostname -i)` on node1'),
  managersWithLeader(3, 'join node2 and node3 with the manager token (`docker swarm join-token manager` on node1)'),
  workersReady(2, 'join node4 and node5 with the worker token (`docker swarm join-token worker` on node1)'),
];

// The chapter starts before any swarm exists.
export async function catchUp(lab: Parameters<ChapterModule['catchUp']>[0], progress: (t: string) => void) {
  await startAll(lab);
  progress('every node leaves any swarm');
  await leaveSwarm(lab);
  // chapter 1 leaves its compose stack running for this chapter's first command
  progress('no compose project on node1');
  await lab.exec('node1', 'docker compose -f /workshop/compose.yml down --remove-orphans >/dev/null 2>&1 || true');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['swarm', 'compose'];
