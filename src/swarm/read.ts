// Reading the swarm's real state for checks and runners: through any reachable manager, so a
// stopped node1 or a lost leader does not blind `verify`.
import type Docker from 'dockerode';
import type { Lab } from '../lab/index.js';
import { withTimeout } from '../retry.js';

// The engine API's shapes, as far as the checks read them (@types/dockerode lacks most).
export interface SwarmNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string };
}
export interface SwarmTask {
  ID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string; ContainerStatus?: { ContainerID?: string } };
  Spec?: { ContainerSpec?: { Image?: string } };
}
export interface SwarmService {
  ID: string;
  Spec?: {
    Name?: string;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: { ContainerSpec?: { Image?: string } };
    EndpointSpec?: { Mode?: string; Ports?: { PublishedPort?: number; PublishMode?: string }[] };
  };
  UpdateStatus?: { State?: string; Message?: string };
}

// One verify pass asks for a manager many times; finding one costs a few round trips. The
// answer is kept for a moment (a pass takes well under that), never across a failure.
const FRESH_MS = 1500;
const recent = new WeakMap<Lab, { docker: Docker; at: number }>();

/** An engine of a manager that can answer for the swarm, or undefined when none can. */
export async function managerEngine(lab: Lab): Promise<Docker | undefined> {
  const hit = recent.get(lab);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.docker;
  recent.delete(lab);
  const found = await findManager(lab);
  if (found) recent.set(lab, { docker: found, at: Date.now() });
  return found;
}

async function findManager(lab: Lab): Promise<Docker | undefined> {
  const nodes = (await lab.nodes()).filter((n) => n.state === 'running');
  const ordered = [...nodes.filter((n) => n.plannedRole === 'manager'), ...nodes.filter((n) => n.plannedRole !== 'manager')];
  for (const n of ordered) {
    try {
      const docker = await lab.engine(n.name);
      const info = (await withTimeout(docker.info(), 4000)) as { Swarm?: { ControlAvailable?: boolean } };
      if (!info.Swarm?.ControlAvailable) continue;
      await withTimeout(docker.listNodes(), 4000); // answers only while the swarm has a leader
      return docker;
    } catch {
      /* try the next one */
    }
  }
  return undefined;
}

/**
 * No manager answers, but a manager's node is running: it may be electing a leader or its
 * engine may be starting (seconds after `lab start`), so the answer can change by itself.
 */
export async function managerStarting(lab: Lab): Promise<boolean> {
  const nodes = await lab.nodes().catch(() => []);
  return nodes.some((n) => n.plannedRole === 'manager' && n.state === 'running');
}

export async function swarmNodes(lab: Lab): Promise<SwarmNode[]> {
  const m = await managerEngine(lab);
  return m ? ((await m.listNodes()) as SwarmNode[]) : [];
}

export interface ServiceState {
  exists: boolean;
  image?: string;
  desired: number;
  running: number;
  tasks: SwarmTask[];
  service?: SwarmService;
  /** Swarm is still moving towards the spec (tasks on their way to running, an update going
   * on): a failing check on it may pass by itself in a moment, so verify waits */
  converging: boolean;
}

/** Task states on the way to running. */
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

export async function serviceState(lab: Lab, name: string): Promise<ServiceState> {
  const m = await managerEngine(lab);
  if (!m) return { exists: false, desired: 0, running: 0, tasks: [], converging: await managerStarting(lab) };
  const services = (await m.listServices({ filters: { name: [name] } })) as SwarmService[];
  const service = services.find((s) => s.Spec?.Name === name);
  if (!service) return { exists: false, desired: 0, running: 0, tasks: [], converging: false };
  const tasks = (await m.listTasks({ filters: { service: [name] } })) as SwarmTask[];
  const replicated = service.Spec?.Mode?.Replicated?.Replicas;
  const running = tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running').length;
  const starting = tasks.some((t) => t.DesiredState === 'running' && STARTING.has(t.Status?.State ?? ''));
  const updating = ['updating', 'rollback_started'].includes(service.UpdateStatus?.State ?? '');
  // fewer running than the service asks for: Swarm is on its way (a task that cannot be placed
  // waits in "pending", a state on the way too); asking for the wrong number is not converging
  const short = replicated !== undefined && running !== replicated;
  return {
    exists: true,
    image: service.Spec?.TaskTemplate?.ContainerSpec?.Image,
    desired: replicated ?? running,
    running,
    tasks,
    service,
    converging: starting || updating || short,
  };
}

/** Any of these services still converging (for checks that read the stack through the api). */
export async function anyConverging(lab: Lab, services: string[]): Promise<boolean> {
  for (const name of services) if ((await serviceState(lab, name)).converging) return true;
  return false;
}

/** node ID -> hostname */
export async function nodeNames(lab: Lab): Promise<Map<string, string>> {
  return new Map((await swarmNodes(lab)).map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
}

/** The node running a task of `service` (for "kill its container" steps). */
export async function nodeOfTask(lab: Lab, service: string): Promise<string | undefined> {
  const s = await serviceState(lab, service);
  const t = s.tasks.find((x) => x.Status?.State === 'running' && x.DesiredState === 'running');
  if (!t?.NodeID) return undefined;
  return (await nodeNames(lab)).get(t.NodeID);
}

