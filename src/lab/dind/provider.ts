// The built-in lab as the rest of the program sees it (the Lab interface): its nodes are
// containers on the host engine, each running an engine of its own. How a lab is made and
// removed is provision.ts; this file only drives one that exists.
import type Docker from 'dockerode';
import { dirname } from 'node:path';
import { clientFor, type Engine } from '../../docker/engine.js';
import { execIn, openTty, type ExecOptions, type ExecResult } from '../../docker/exec.js';
import { containersWith, logTail } from '../../docker/containers.js';
import { ExitCode, UserError } from '../../errors.js';
import { LABELS } from '../../labels.js';
import { sleep } from '../../retry.js';
import { routingMeshAvailable } from '../../docker/ipvs.js';
import type { Lab, LabNode, Terminal } from '../types.js';
import { clientTls } from './certs.js';
import { setNodeCgroups } from './cgroups.js';
import { WEB_PORT_LABELS, WEB_PORTS, containerName, type WebPort } from '../names.js';

const nodeNumber = (name: string) => Number(name.replace(/^node/, ''));

/**
 * Where a lab's node ports are reached from this machine. On the host engine: 127.0.0.1, the
 * ports chosen at `lab up` and kept in labels. On another engine (a classroom's second machine):
 * that machine's address, the ports the engine chose, read from the container each time.
 */
export interface Reach {
  address: string;
  portsFromEngine: boolean;
}
export const ON_THIS_MACHINE: Reach = { address: '127.0.0.1', portsFromEngine: false };

/** The host ports of a node container: its TLS engine and its web ports. */
export function nodePorts(c: Docker.ContainerInfo, reach: Reach): { tls?: number; web: Partial<Record<WebPort, number>> } {
  if (!reach.portsFromEngine) {
    const web: Partial<Record<WebPort, number>> = {};
    for (const p of WEB_PORTS) if (c.Labels[WEB_PORT_LABELS[p]]) web[p] = Number(c.Labels[WEB_PORT_LABELS[p]]);
    return { tls: Number(c.Labels[LABELS.port]) || undefined, web };
  }
  const published = (inner: number) => (c.Ports ?? []).find((x) => x.PrivatePort === inner && x.PublicPort)?.PublicPort;
  const web: Partial<Record<WebPort, number>> = {};
  for (const p of WEB_PORTS) if (published(p)) web[p] = published(p);
  return { tls: published(2376), web };
}

/** The 127.0.0.1 URLs of a node's web ports, from its container's labels. */
export function webUrls(labels: Record<string, string>): Partial<Record<WebPort, string>> {
  const urls: Partial<Record<WebPort, string>> = {};
  for (const p of WEB_PORTS) if (labels[WEB_PORT_LABELS[p]]) urls[p] = `http://127.0.0.1:${labels[WEB_PORT_LABELS[p]]}/`;
  return urls;
}

/** Every host port a node container publishes (TLS, then web), from its labels. */
export function hostPorts(labels: Record<string, string>): number[] {
  return [labels[LABELS.port], ...WEB_PORTS.map((p) => labels[WEB_PORT_LABELS[p]])].filter(Boolean).map(Number);
}

export class DindLab implements Lab {
  readonly kind = 'built-in' as const;
  readonly canStopNodes = true;
  constructor(
    readonly name: string,
    readonly host: Engine,
    readonly reach: Reach = ON_THIS_MACHINE,
  ) {}

  private async nodeContainers(): Promise<Docker.ContainerInfo[]> {
    const cs = await containersWith(this.host.docker, { [LABELS.lab]: this.name, [LABELS.kind]: 'node' });
    return cs.sort((a, b) => nodeNumber(a.Labels[LABELS.node]) - nodeNumber(b.Labels[LABELS.node]));
  }

  async nodes(): Promise<LabNode[]> {
    return (await this.nodeContainers()).map((c) => ({
      name: c.Labels[LABELS.node],
      plannedRole: c.Labels[LABELS.role] === 'manager' ? 'manager' : 'worker',
      address: c.Labels[LABELS.address],
      state: c.State,
      ...this.portsAndUrls(c),
    }));
  }

  private portsAndUrls(c: Docker.ContainerInfo): Pick<LabNode, 'port' | 'web'> {
    const ports = nodePorts(c, this.reach);
    const web: LabNode['web'] = {};
    for (const p of WEB_PORTS) if (ports.web[p]) web[p] = `http://${this.reach.address}:${ports.web[p]}/`;
    return { port: ports.tls, web };
  }

  private tlsEndpoint(c: Docker.ContainerInfo): string {
    const port = nodePorts(c, this.reach).tls;
    if (!port) throw new UserError(`${c.Labels[LABELS.node]} of lab ${this.name} publishes no engine port (is it stopped?)`, `start it: devcoin-workshop${this.labFlag()} lab start ${c.Labels[LABELS.node]}`);
    return `tcp://${this.reach.address}:${port}`;
  }

  /** The node's container, or a one-line error naming the nodes there are. */
  async container(node: string): Promise<Docker.ContainerInfo> {
    const cs = await this.nodeContainers();
    const c = cs.find((x) => x.Labels[LABELS.node] === node);
    if (!c) {
      const names = cs.map((x) => x.Labels[LABELS.node]).join(', ');
      throw new UserError(`lab ${this.name} has no node "${node}"`, `its nodes are ${names || 'none'}`, ExitCode.usage);
    }
    return c;
  }

  /** The node's container, or one line saying it is stopped and how to start it. */
  private async running(node: string): Promise<Docker.ContainerInfo> {
    const c = await this.container(node);
    if (c.State !== 'running') {
      throw new UserError(`${node} is stopped`, `start it with: devcoin-workshop${this.labFlag()} lab start ${node}`);
    }
    return c;
  }

  async exec(node: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(this.host.docker, (await this.running(node)).Id, ['sh', '-c', command], opts);
  }

  private labFlag(): string {
    return this.name === 'devcoin' ? '' : ` --lab ${this.name}`;
  }

  private clients = new Map<string, Docker>();

  async engine(node: string): Promise<Docker> {
    const c = await this.container(node);
    const host = this.tlsEndpoint(c);
    // one client per endpoint: its keep-alive connections spare a TLS handshake per call
    let d = this.clients.get(host);
    if (!d) {
      d = clientFor({ host, tls: clientTls(this.name), source: `lab ${this.name} ${node}` });
      this.clients.set(host, d);
    }
    return d;
  }

  /** A login shell in the node container (its prompt shows node and address), at /workshop. */
  async terminal(node: string, size?: { cols: number; rows: number }): Promise<Terminal> {
    const c = await this.running(node);
    // at /workshop (the stack sources) where the node has it; bash with the lab's prompt, else sh
    return openTty(this.host.docker, c.Id, ['sh', '-c', 'cd /workshop 2>/dev/null; command -v bash >/dev/null && exec bash || exec sh'], size);
  }

  /** The node's TLS endpoint (127.0.0.1 on the host engine), with this lab's client certificates. */
  async dockerEnv(node: string): Promise<Record<string, string>> {
    const c = await this.container(node);
    return { DOCKER_HOST: this.tlsEndpoint(c), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(clientTls(this.name).ca) };
  }

  /** The nodes share the kernel of the engine that runs them: ask that engine. */
  routingMesh(): Promise<boolean> {
    return routingMeshAvailable(this.host.docker);
  }

  /** Every engine of the built-in lab is the lab's own: a catch-up removes nothing of anybody else's. */
  async preexisting(): Promise<string[]> {
    return [];
  }

  async stop(nodes: string[]): Promise<void> {
    const cs = await Promise.all(nodes.map((n) => this.container(n)));
    await Promise.all(cs.map((c) => (c.State === 'running' ? this.host.docker.getContainer(c.Id).stop({ t: 10 }) : undefined)));
  }

  async kill(nodes: string[]): Promise<void> {
    const cs = await Promise.all(nodes.map((n) => this.container(n)));
    await Promise.all(cs.map((c) => (c.State === 'running' ? this.host.docker.getContainer(c.Id).kill() : undefined)));
  }

  async start(nodes: string[]): Promise<void> {
    const cs = await Promise.all(nodes.map((n) => this.container(n)));
    const started = (
      await Promise.all(
        cs.map(async (c) => {
          if (c.State === 'running') return undefined;
          await startContainer(this.host.docker, c.Id, hostPorts(c.Labels));
          return c;
        }),
      )
    ).filter((c): c is Docker.ContainerInfo => !!c);
    // a started container has new cgroups: hand them over again before its engine runs anything
    await applyNodeCgroups(this.host.docker, this.name, started);
    await Promise.all(cs.map((c) => waitForEngine(this, c.Labels[LABELS.node], c.Id)));
  }
}

/**
 * After nodes start: a caged node's cgroups go to its root, and the lab's cgroup gets its CPU cap
 * (what the nodes' labels say the lab was made with). Nothing for nodes of neither kind.
 */
export async function applyNodeCgroups(docker: Docker, lab: string, nodes: Docker.ContainerInfo[]): Promise<void> {
  const caged = nodes.some((c) => c.Labels[LABELS.caged] === 'yes');
  const labCgroup = nodes.some((c) => c.Labels[LABELS.labCpus] !== undefined);
  const cpus = Number(nodes.find((c) => c.Labels[LABELS.labCpus])?.Labels[LABELS.labCpus]) || undefined;
  await setNodeCgroups(docker, lab, nodes.map((c) => c.Id), { caged, labCgroup, cpus });
}

/** A node's host port is taken: a new node gets other ports (lab up retries), a stopped one says so. */
export class PortTaken extends UserError {
  constructor(message: string) {
    super(message, 'stop that program, or run `devcoin-workshop lab down` and `lab up` to get new ports');
  }
}

export async function startContainer(docker: Docker, id: string, ports: number[] = []): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    const msg = (err as Error).message ?? '';
    if ((err as { statusCode?: number }).statusCode === 304) return; // already running
    if (ports.length && /address already in use|port is already allocated/i.test(msg)) {
      const taken = ports.filter((p) => msg.includes(String(p)));
      const which = taken.length ? `port ${taken.join(', ')}` : ports.length === 1 ? `port ${ports[0]}` : `one of its ports ${ports.join(', ')}`;
      throw new PortTaken(`${which} on 127.0.0.1 is taken by another program, so the node cannot start`);
    }
    throw err;
  }
}

/** Waits until the node's engine answers over TLS; on timeout says so with its last log lines. */
export async function waitForEngine(lab: DindLab, node: string, id: string, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const docker = await lab.engine(node);
  for (;;) {
    try {
      await docker.ping();
      return;
    } catch {
      /* not yet */
    }
    const state = await lab.host.docker.getContainer(id).inspect().then((i) => i.State).catch(() => undefined);
    if (!state?.Running || Date.now() > until) {
      const tail = await logTail(lab.host.docker, id, 8);
      throw new UserError(
        `${node} did not come up${state?.Running ? ` within ${timeoutMs / 1000} s` : ' (its engine exited)'}; last log lines:\n${tail}`,
        `see \`docker logs ${containerName(lab.name, node)}\`, then run \`devcoin-workshop lab up\` again`,
      );
    }
    await sleep(300);
  }
}

