// Checks that several chapters share, written once. Each returns what it saw, so a failing
// verify says "2/5 running", not just "failed".
import type { Lab } from '../../lab/index.js';
import type { Check } from '../types.js';
import { managerEngine, managerStarting, serviceState, swarmNodes } from '../../swarm/index.js';

/** The lab's planned managers and workers by name (node1-3 and node4-5 in the built-in lab). */
async function plannedNames(lab: Lab, role: 'manager' | 'worker'): Promise<string[]> {
  return (await lab.nodes()).filter((n) => n.plannedRole === role).map((n) => n.name).sort();
}

type NodeView = { Description?: { Hostname?: string }; Spec?: { Role?: string }; Status?: { State?: string }; ManagerStatus?: { Reachability?: string } };

/**
 * Nodes still settling: a state of "unknown", or one that is down/unreachable while its machine
 * runs (it just started and is rejoining). A node whose machine is stopped is plainly down.
 */
async function settling(lab: Lab, nodes: NodeView[]): Promise<boolean> {
  const running = new Set((await lab.nodes()).filter((n) => n.state === 'running').map((n) => n.name));
  return nodes.some((n) => {
    const state = n.Status?.State;
    const reach = n.ManagerStatus?.Reachability;
    if (state === 'unknown' || reach === 'unknown') return true;
    // just promoted: the spec says manager, the raft has not counted it yet (no manager status)
    if (n.Spec?.Role === 'manager' && !n.ManagerStatus) return running.has(n.Description?.Hostname ?? '');
    const notUp = state !== 'ready' || (reach !== undefined && reach !== 'reachable');
    return notUp && running.has(n.Description?.Hostname ?? '');
  });
}

export function managersWithLeader(expected: number, hint: string): Check {
  return {
    id: 'managers',
    title: `${expected} managers reachable (the lab's planned managers), one of them the leader`,
    hint,
    async run(lab: Lab) {
      const nodes = await swarmNodes(lab);
      if (!nodes.length) return { ok: false, detail: 'no manager answers (no swarm, or no leader)', converging: await managerStarting(lab) };
      const managers = nodes.filter((n) => n.Spec?.Role === 'manager');
      const reachable = managers.filter((n) => n.ManagerStatus?.Reachability === 'reachable');
      const leaders = managers.filter((n) => n.ManagerStatus?.Leader);
      const names = managers.map((n) => n.Description?.Hostname ?? '?').sort();
      const planned = (await plannedNames(lab, 'manager')).slice(0, expected);
      const right = names.join(',') === planned.join(',');
      return {
        ok: managers.length === expected && reachable.length === expected && leaders.length === 1 && right,
        detail: `${managers.length} managers (${names.join(', ') || 'none'}${right ? '' : `; expected ${planned.join(', ')}`}), ${reachable.length} reachable, ${leaders.length} leader`,
        converging: await settling(lab, managers),
      };
    },
  };
}

export function workersReady(expected: number, hint: string): Check {
  return {
    id: 'workers',
    title: `${expected} workers ready (the lab's planned workers)`,
    hint,
    async run(lab: Lab) {
      const workers = (await swarmNodes(lab)).filter((n) => n.Spec?.Role === 'worker');
      const ready = workers.filter((n) => n.Status?.State === 'ready');
      const names = workers.map((n) => n.Description?.Hostname ?? '?').sort();
      const planned = (await plannedNames(lab, 'worker')).slice(0, expected);
      const right = names.join(',') === planned.join(',');
      return {
        ok: workers.length === expected && ready.length === expected && right,
        detail: `${ready.length}/${workers.length} workers ready (${names.join(', ') || 'none'}${right ? '' : `; expected ${planned.join(', ')}`})`,
        converging: await settling(lab, workers),
      };
    },
  };
}

export function serviceRunning(name: string, replicas: number, hint: string): Check {
  return {
    id: `${name}-running`,
    title: `service ${name} runs ${replicas}/${replicas}`,
    hint,
    async run(lab: Lab) {
      const s = await serviceState(lab, name);
      if (!s.exists) return { ok: false, detail: `no service ${name}`, converging: s.converging };
      return { ok: s.desired === replicas && s.running === replicas, detail: `${s.running}/${s.desired} running`, converging: s.converging };
    },
  };
}

export function swarmActive(hint: string): Check {
  return {
    id: 'swarm',
    title: 'node1 is a manager of a swarm',
    hint,
    async run(lab: Lab) {
      const r = await lab.exec('node1', "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'");
      return { ok: r.stdout.trim() === 'active true', detail: r.stdout.trim() || r.stderr.trim() };
    },
  };
}

/** Availability of a node as the swarm sees it (active, pause, drain), or undefined. */
export async function availability(lab: Lab, node: string): Promise<string | undefined> {
  return (await swarmNodes(lab)).find((n) => n.Description?.Hostname === node)?.Spec?.Availability;
}

export { managerEngine };

/** Starts every stopped node (catch-up begins from a whole lab). */
export async function startAll(lab: Lab): Promise<void> {
  const stopped = (await lab.nodes()).filter((n) => n.state !== 'running').map((n) => n.name);
  if (stopped.length) await lab.start(stopped);
}
