// Forming (and leaving) the swarm the way a student does in chapter 2, for catch-up and tests:
// init on node1, the other planned managers join as managers, the rest as workers.
import type { Lab } from '../lab/index.js';
import { poll } from '../retry.js';

async function sh(lab: Lab, node: string, cmd: string): Promise<string> {
  const r = await lab.exec(node, cmd);
  if (r.exitCode !== 0) throw new Error(`${node}: ${cmd} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout.trim();
}

export async function swarmState(lab: Lab, node: string): Promise<string> {
  return (await lab.exec(node, "docker info --format '{{.Swarm.LocalNodeState}}'")).stdout.trim();
}

/** Idempotent: nodes already in the swarm are left alone. Waits until every node is Ready. */
export async function formSwarm(lab: Lab, progress: (t: string) => void = () => {}): Promise<void> {
  const nodes = await lab.nodes();
  const [first, ...rest] = nodes;
  if ((await swarmState(lab, first.name)) !== 'active') {
    progress(`swarm init on ${first.name}`);
    await sh(lab, first.name, `docker swarm init --advertise-addr ${first.address}`);
  }
  const managerToken = await sh(lab, first.name, 'docker swarm join-token -q manager');
  const workerToken = await sh(lab, first.name, 'docker swarm join-token -q worker');
  const join = async (n: (typeof nodes)[number]) => {
    if ((await swarmState(lab, n.name)) === 'active') return;
    progress(`${n.name} joins as ${n.plannedRole}`);
    const token = n.plannedRole === 'manager' ? managerToken : workerToken;
    await sh(lab, n.name, `docker swarm join --advertise-addr ${n.address} --token ${token} ${first.address}:2377`);
  };
  // managers one at a time (raft membership changes are serialised anyway), workers together
  for (const n of rest.filter((x) => x.plannedRole === 'manager')) await join(n);
  await Promise.all(rest.filter((x) => x.plannedRole === 'worker').map(join));
  progress('waiting for every node to be Ready');
  let last: string[] = [];
  const ready = await poll(async () => {
    last = (await lab.exec(first.name, "docker node ls --format '{{.Status}}'")).stdout.trim().split('\n');
    return last.length === nodes.length && last.every((s) => s === 'Ready') ? true : undefined;
  }, 60_000);
  if (!ready) throw new Error(`swarm formed but not every node is Ready: ${last.join(', ')}`);
}

/** Every node leaves the swarm (workers first), for catch-up to a state before chapter 2. */
export async function leaveSwarm(lab: Lab): Promise<void> {
  const nodes = await lab.nodes();
  const order = [...nodes.filter((n) => n.plannedRole === 'worker'), ...nodes.filter((n) => n.plannedRole === 'manager').reverse()];
  for (const n of order) {
    if ((await swarmState(lab, n.name)) !== 'inactive') await lab.exec(n.name, 'docker swarm leave --force');
  }
}
