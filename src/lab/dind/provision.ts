// The built-in lab: Docker engines in containers on the host engine, on one labelled bridge
// network with static addresses, TLS on 2376 published on 127.0.0.1 only, and a hub.
import type Docker from 'dockerode';
import { hostEngine, clientFor, forgetHost, rememberHost, type Engine } from '../../docker/engine.js';
import { execIn, type ExecOptions, type ExecResult } from '../../docker/exec.js';
import { createDindContainer, dindHostConfig } from '../../docker/dind.js';
import { imageExists } from '../../docker/build.js';
import {
  containersWith, ensureVolume, freePort, logTail, networksWith, removeLabelled, usedSubnets,
} from '../../docker/containers.js';
import { IMAGES } from '../../images/catalog.js';
import { stackDir } from '../../paths.js';
import { ExitCode, UserError } from '../../errors.js';
import {type Lab, type LabNode} from '../types.js';
import { clientTls, ensureCerts, nodeCertDir, removeCerts } from './certs.js';
import {LAB_VERSION, WEB_PORT_LABELS, WEB_PORTS, chooseSubnet, containerName, hubAddress, labLabels, networkName, planNodes, prefixOf, volumeName, type PlannedNode, type WebPort} from '../names.js';
import { seedHub, waitForHub, type SeedResult } from './hub.js';
import { LABELS } from '../../labels.js';

const nodeNumber = (name: string) => Number(name.replace(/^node/, ''));

/** The 127.0.0.1 URLs of a node's web ports, from its container's labels. */
export function webUrls(labels: Record<string, string>): Partial<Record<WebPort, string>> {
  const urls: Partial<Record<WebPort, string>> = {};
  for (const p of WEB_PORTS) if (labels[WEB_PORT_LABELS[p]]) urls[p] = `http://127.0.0.1:${labels[WEB_PORT_LABELS[p]]}/`;
  return urls;
}

/** Every host port a node container publishes (TLS, then web), from its labels. */
function hostPorts(labels: Record<string, string>): number[] {
  return [labels[LABELS.port], ...WEB_PORTS.map((p) => labels[WEB_PORT_LABELS[p]])].filter(Boolean).map(Number);
}

export class DindLab implements Lab {
  readonly provider = 'dind' as const;
  readonly canStopNodes = true;
  constructor(
    readonly name: string,
    readonly host: Engine,
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
      port: Number(c.Labels[LABELS.port]),
      web: webUrls(c.Labels),
    }));
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

  async exec(node: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const c = await this.container(node);
    if (c.State !== 'running') {
      throw new UserError(`${node} is stopped`, `start it with: devcoin-workshop${this.labFlag()} lab start ${node}`);
    }
    return execIn(this.host.docker, c.Id, ['sh', '-c', command], opts);
  }

  private labFlag(): string {
    return this.name === 'devcoin' ? '' : ` --lab ${this.name}`;
  }

  private clients = new Map<string, Docker>();

  async engine(node: string): Promise<Docker> {
    const c = await this.container(node);
    const host = `tcp://127.0.0.1:${c.Labels[LABELS.port]}`;
    // one client per endpoint: its keep-alive connections spare a TLS handshake per call
    let d = this.clients.get(host);
    if (!d) {
      d = clientFor({ host, tls: clientTls(this.name), source: `lab ${this.name} ${node}` });
      this.clients.set(host, d);
    }
    return d;
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
    await Promise.all(
      cs.map(async (c) => {
        if (c.State !== 'running') await startContainer(this.host.docker, c.Id, hostPorts(c.Labels));
        await waitForEngine(this, c.Labels[LABELS.node], c.Id);
      }),
    );
  }
}

async function startContainer(docker: Docker, id: string, ports: number[] = []): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    const msg = (err as Error).message ?? '';
    if ((err as { statusCode?: number }).statusCode === 304) return; // already running
    if (ports.length && /address already in use|port is already allocated/i.test(msg)) {
      const taken = ports.filter((p) => msg.includes(String(p)));
      const which = taken.length ? `port ${taken.join(', ')}` : ports.length === 1 ? `port ${ports[0]}` : `one of its ports ${ports.join(', ')}`;
      throw new UserError(
        `${which} on 127.0.0.1 is taken by another program, so the node cannot start`,
        'stop that program, or run `devcoin-workshop lab down` and `lab up` to get new ports',
      );
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
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface UpOptions {
  managers: number;
  workers: number;
  progress?: (text: string) => void;
}

export interface UpResult {
  created: string[];
  started: string[];
  unchanged: string[];
  seed: SeedResult;
  network: string;
  subnet: string;
}

async function ensureNetwork(docker: Docker, lab: string): Promise<string> {
  const existing = await networksWith(docker, { [LABELS.lab]: lab, [LABELS.kind]: 'network' });
  if (existing.length) return existing[0].IPAM?.Config?.[0]?.Subnet ?? '';
  const subnet = chooseSubnet(await usedSubnets(docker));
  const prefix = prefixOf(subnet);
  try {
    await docker.createNetwork({
      Name: networkName(lab),
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `${prefix}.1` }] },
      Labels: labLabels(lab, { [LABELS.kind]: 'network' }),
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) {
      throw new UserError(
        `a network named ${networkName(lab)} exists but was not made by this lab`,
        'remove or rename it, or use another lab name with --lab',
      );
    }
    throw err;
  }
  return subnet;
}

async function createAndStart(
  docker: Docker,
  lab: string,
  part: string,
  spec: Docker.ContainerCreateOptions,
  ports: number[] = [],
): Promise<string> {
  const name = containerName(lab, part);
  let c: Docker.Container;
  try {
    c = await createDindContainer(docker, { ...spec, name });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) {
      throw new UserError(`a container named ${name} exists but was not made by this lab`, 'remove or rename it, or use another --lab name');
    }
    throw err;
  }
  await startContainer(docker, c.id, ports);
  return c.id;
}

export function nodeSpec(lab: string, n: PlannedNode, port: number, web: Record<WebPort, number>): Docker.ContainerCreateOptions {
  const net = networkName(lab);
  return {
    Image: IMAGES.node,
    Hostname: n.name,
    Labels: labLabels(lab, {
      [LABELS.kind]: 'node', [LABELS.node]: n.name, [LABELS.role]: n.role, [LABELS.address]: n.address, [LABELS.port]: String(port),
      ...Object.fromEntries(WEB_PORTS.map((p) => [WEB_PORT_LABELS[p], String(web[p])])),
    }),
    // the node image's entrypoint execs dockerd with these arguments
    Cmd: [
      '--host=unix:///var/run/docker.sock',
      '--host=tcp://0.0.0.0:2376',
      '--tlsverify', '--tlscacert=/certs/ca.pem', '--tlscert=/certs/server.pem', '--tlskey=/certs/server-key.pem',
      '--registry-mirror=http://hub:5000', '--insecure-registry=hub:5000',
      // chapter 5's in-swarm registry, pinned to node1 (docs/decisions.md)
      '--insecure-registry=node1:5000',
    ],
    ExposedPorts: { '2376/tcp': {}, ...Object.fromEntries(WEB_PORTS.map((p) => [`${p}/tcp`, {}])) },
    HostConfig: {
      ...dindHostConfig(),
      Binds: [`${stackDir}:/workshop:ro`, `${nodeCertDir(lab, n.name)}:/certs:ro`, `${volumeName(lab, n.name)}:/var/lib/docker`],
      // the engine's TLS port, and the web ports the node's own engine publishes (compose, host-mode
      // services): on 127.0.0.1 only, the way in where container addresses are not routed
      PortBindings: {
        '2376/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }],
        ...Object.fromEntries(WEB_PORTS.map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(web[p]) }]])),
      },
      NetworkMode: net,
    },
    NetworkingConfig: { EndpointsConfig: { [net]: { IPAMConfig: { IPv4Address: n.address }, Aliases: [n.name] } } },
  };
}

/**
 * The hubs' storage: one volume shared by every lab on this engine and kept by `lab down`, like
 * the images it copies. A new lab's hub then starts with the images already in it, and seeding
 * is a check of manifests instead of a push of a gigabyte (most of a lab start, measured).
 */
export const HUB_CACHE = 'devcoin-hub-cache';

async function ensureHubCache(docker: Docker): Promise<void> {
  const info = await docker.getVolume(HUB_CACHE).inspect().catch(() => undefined);
  if (!info) {
    await docker.createVolume({ Name: HUB_CACHE, Labels: { [LABELS.cache]: 'hub' } });
  } else if (info.Labels?.[LABELS.cache] !== 'hub') {
    throw new UserError(`a volume named ${HUB_CACHE} exists that devcoin-workshop did not make`, 'rename or remove it (docker volume rm), then run lab up again');
  }
}

/** The hub: read-only (images/registry/hub.yml), on the lab network only; nodes pull, never push. */
function hubSpec(lab: string, address: string): Docker.ContainerCreateOptions {
  const net = networkName(lab);
  return {
    Image: IMAGES.registry,
    Hostname: 'hub',
    Cmd: ['serve', '/etc/docker/registry/hub.yml'],
    Labels: labLabels(lab, { [LABELS.kind]: 'hub', [LABELS.address]: address }),
    HostConfig: {
      Binds: [`${HUB_CACHE}:/var/lib/registry`],
      NetworkMode: net,
      RestartPolicy: { Name: 'unless-stopped' },
    },
    NetworkingConfig: { EndpointsConfig: { [net]: { IPAMConfig: { IPv4Address: address }, Aliases: ['hub'] } } },
  };
}

/**
 * The seeder: a writable registry on the hub's storage, published on 127.0.0.1 for the host's
 * pushes and on no lab network, so no node can reach it. It runs only while `lab up` seeds.
 */
function seederSpec(lab: string, port: number): Docker.ContainerCreateOptions {
  return {
    Image: IMAGES.registry,
    Labels: labLabels(lab, { [LABELS.kind]: 'hub-seeder', [LABELS.port]: String(port) }),
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: {
      Binds: [`${HUB_CACHE}:/var/lib/registry`],
      PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] },
    },
  };
}

/** Refuses a lab whose parts were made by another version of this tool. */
function checkVersion(cs: Docker.ContainerInfo[], lab: string): void {
  const old = cs.find((c) => c.Labels[LABELS.labVersion] !== LAB_VERSION);
  if (old) {
    throw new UserError(
      `lab ${lab} was made by another version of devcoin-workshop`,
      `remove it with \`devcoin-workshop lab down${lab === 'devcoin' ? '' : ` --lab ${lab}`}\` and run \`lab up\` again`,
    );
  }
}

/** Brings the lab up, creating or starting only what is missing or stopped. */
export async function labUp(lab: string, opts: UpOptions): Promise<{ lab: DindLab; result: UpResult }> {
  const progress = opts.progress ?? (() => {});
  const host = await hostEngine();
  const docker = host.docker;
  for (const image of [IMAGES.node, IMAGES.registry]) {
    if (!(await imageExists(docker, image))) {
      throw new UserError(`image ${image} is not built`, 'run `devcoin-workshop setup` first');
    }
  }
  const all = await containersWith(docker, { [LABELS.lab]: lab });
  checkVersion(all, lab);

  progress('network');
  const subnet = await ensureNetwork(docker, lab);
  const prefix = prefixOf(subnet);
  const existingNodes = all.filter((c) => c.Labels[LABELS.kind] === 'node');
  // an existing lab keeps its shape; --managers/--workers only shape a new one
  const plan = existingNodes.length
    ? existingNodes.map((c) => ({ name: c.Labels[LABELS.node], role: c.Labels[LABELS.role] as PlannedNode['role'], address: c.Labels[LABELS.address] }))
    : planNodes(prefix, opts.managers, opts.workers);

  progress('certificates');
  await ensureCerts(lab, plan);

  const result: UpResult = { created: [], started: [], unchanged: [], seed: { pushed: [], current: [], missing: [] }, network: networkName(lab), subnet };
  const labels = labLabels(lab);

  // the hub first: nodes use it as their mirror
  progress('hub');
  await ensureHubCache(docker);
  const hub = all.find((c) => c.Labels[LABELS.kind] === 'hub');
  if (!hub) {
    await createAndStart(docker, lab, 'hub', hubSpec(lab, hubAddress(prefix)));
    result.created.push('hub');
  } else if (hub.State !== 'running') {
    await startContainer(docker, hub.Id);
    result.started.push('hub');
  } else result.unchanged.push('hub');

  // seeding needs only the seeder: it runs while the nodes start (their engines do not pull yet)
  const seeder = all.find((c) => c.Labels[LABELS.kind] === 'hub-seeder');
  let seedPort: number;
  let seederId: string;
  if (!seeder) {
    seedPort = await freePort();
    seederId = await createAndStart(docker, lab, 'hub-seeder', seederSpec(lab, seedPort), [seedPort]);
  } else {
    seedPort = Number(seeder.Labels[LABELS.port]);
    seederId = seeder.Id;
    if (seeder.State !== 'running') await startContainer(docker, seeder.Id, [seedPort]);
  }
  const seeding = waitForHub(seedPort)
    .then(() => seedHub(docker, seedPort, progress))
    .finally(() => docker.getContainer(seederId).stop({ t: 2 }).catch(() => {}));
  seeding.catch(() => {}); // awaited below; never an unhandled rejection meanwhile

  progress(`nodes (${plan.map((n) => n.name).join(', ')})`);
  await Promise.all(
    plan.map(async (n) => {
      const c = existingNodes.find((x) => x.Labels[LABELS.node] === n.name);
      if (!c) {
        const port = await freePort();
        const web = { 80: await freePort(), 8080: await freePort() };
        await ensureVolume(docker, volumeName(lab, n.name), { ...labels, [LABELS.kind]: 'node', [LABELS.node]: n.name });
        await createAndStart(docker, lab, n.name, nodeSpec(lab, n, port, web), [port, web[80], web[8080]]);
        result.created.push(n.name);
      } else if (c.State !== 'running') {
        await startContainer(docker, c.Id, hostPorts(c.Labels));
        result.started.push(n.name);
      } else result.unchanged.push(n.name);
    }),
  );

  const labObj = new DindLab(lab, host);
  progress('waiting for the engines (TLS)');
  const cs = await containersWith(docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' });
  // a shell pointed at a node (lab env) still finds this engine as the lab's host
  rememberHost(lab, host.endpoint, cs.map((c) => Number(c.Labels[LABELS.port])));
  await Promise.all(cs.map((c) => waitForEngine(labObj, c.Labels[LABELS.node], c.Id)));

  progress('seeding the hub');
  result.seed = await seeding;
  return { lab: labObj, result };
}

/** Removes exactly what carries this lab's label, and its certificates. */
export async function labDown(lab: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const host = await hostEngine();
  const removed = await removeLabelled(host.docker, { [LABELS.lab]: lab });
  removeCerts(lab);
  forgetHost(lab);
  return removed;
}

/** The lab if its nodes exist, else undefined. */
export async function findDindLab(lab: string, host?: Engine): Promise<DindLab | undefined> {
  const engine = host ?? (await hostEngine());
  const cs = await containersWith(engine.docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' });
  if (!cs.length) return undefined;
  checkVersion(cs, lab);
  return new DindLab(lab, engine);
}
