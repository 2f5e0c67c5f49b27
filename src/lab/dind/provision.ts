// Making and removing the built-in lab (kind's provision.go to provider.go): Docker engines in
// containers on the host engine, on one labelled bridge network with static addresses, TLS on
// 2376 published on 127.0.0.1 only, and a hub. Driving a lab that exists is provider.ts.
import type Docker from 'dockerode';
import { connect, hostEngine, forgetHost, readHostRecord, rememberHost, type Endpoint, type Engine, type HostRecord } from '../../docker/engine.js';
import { copyImages } from '../../docker/archive.js';
import { engineDisk } from '../../docker/disk.js';
import { execa } from 'execa';
import { isIP } from 'node:net';
import { basename, dirname } from 'node:path';
import { createDindContainer, dindHostConfig, runsInUserNamespace, type NodeLimits } from '../../docker/dind.js';
import { labCgroupParent, removeLabCgroup, setNodeCgroups } from './cgroups.js';
import { imageExists } from '../../docker/build.js';
import { containersWith, ensureVolume, freePort, networksWith, removeLabelled, usedSubnets } from '../../docker/containers.js';
import { IMAGES } from '../../images/catalog.js';
import { stackDir } from '../../paths.js';
import { UserError } from '../../errors.js';
import { LABELS } from '../../labels.js';
import { ensureCerts, nodeCertDir, removeCerts } from './certs.js';
import {
  LAB_VERSION, WEB_PORT_LABELS, WEB_PORTS, chooseSubnet, containerName, hubAddress, labLabels, networkName, planNodes, prefixOf,
  volumeName, type PlannedNode, type WebPort,
} from '../names.js';
import { HUB_CONTENT, seedHub, waitForHub, type SeedResult } from './hub.js';
import { DindLab, ON_THIS_MACHINE, PortTaken, applyNodeCgroups, hostPorts, startContainer, waitForEngine, type Reach } from './provider.js';

export interface UpOptions {
  managers: number;
  workers: number;
  progress?: (text: string) => void;
  /** more labels on everything this lab creates (a classroom marks its labs so) */
  labels?: Record<string, string>;
  /**
   * Another engine to run the lab on (a classroom spread over several machines); default: this
   * machine's. There nothing is bind-mounted from this machine: the stack sources go into a
   * volume and each node's certificates into its container, the images are copied where
   * missing, and the node ports are published on that machine's address.
   */
  engine?: Endpoint;
  /** what each node may take (memory, pids) and the lab's CPU cap in cores; none: no limit */
  limits?: LabLimits;
}

export interface LabLimits {
  nodeMemoryMiB?: number;
  nodePids?: number;
  /** the lab's CPU cap, in cores (all its nodes together, where the engine allows a lab cgroup) */
  labCpus?: number;
  /** the lab's nodes under one cgroup of its own, weighing as much as every other lab's (a fair share of the cores) */
  fairShare?: boolean;
}

/** How the lab's parts reach what lives on this machine: bind mounts here, copies on another engine. */
interface Placement {
  away: boolean;
  reach: Reach;
  /** the address node ports are published on, on the engine's machine ('' = all) */
  bindIp: string;
  /** the engine runs containers in a user namespace: nodes get the caged form (src/docker/dind.ts) */
  caged: boolean;
  /** the nodes sit under a cgroup of the lab's (a fair CPU share, and its cap) */
  labCgroup: boolean;
  limits: LabLimits;
}

function placementOf(engine?: Endpoint, traits: Pick<Placement, 'caged' | 'labCgroup' | 'limits'> = { caged: false, labCgroup: false, limits: {} }): Placement {
  if (!engine) return { away: false, reach: ON_THIS_MACHINE, bindIp: '127.0.0.1', ...traits };
  // an engine in a network namespace of its own (the classroom's): its ports on its veth address
  if (engine.publishAddress) return { away: true, reach: { address: engine.publishAddress, portsFromEngine: true }, bindIp: engine.publishAddress, ...traits };
  const url = new URL(engine.host.replace(/^ssh:/, 'http:').replace(/^tcp:/, 'http:'));
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (!address || engine.host.startsWith('unix:')) throw new UserError(`${engine.source}: a lab on another engine needs a tcp:// or ssh:// address`, 'give the engine as tcp://HOST:2376 (with TLS) or ssh://user@HOST, or a docker context of that kind');
  // publish on the address this machine reaches; a name (ssh://user@box) may mean several
  return { away: true, reach: { address, portsFromEngine: true }, bindIp: isIP(address) ? address : '', ...traits };
}

/** What the engine allows: a cage (user namespace), a lab cgroup (the cgroupfs driver). */
async function traitsOf(docker: Docker, limits: LabLimits = {}): Promise<Pick<Placement, 'caged' | 'labCgroup' | 'limits'>> {
  const caged = await runsInUserNamespace(docker);
  const driver = ((await docker.info()) as { CgroupDriver?: string }).CgroupDriver;
  return { caged, labCgroup: driver === 'cgroupfs' && (!!limits.fairShare || limits.labCpus !== undefined), limits };
}

/** The per-node limits of a placement; a lab CPU cap falls back to each node where no lab cgroup can hold it. */
function nodeLimits(place: Placement): NodeLimits {
  const l = place.limits;
  return { memoryMiB: l.nodeMemoryMiB, pids: l.nodePids, cpus: place.labCgroup ? undefined : l.labCpus };
}

/** Everything a lab's engine must hold: the node and registry images, and what the hub serves. */
const LAB_IMAGES = [...new Set([IMAGES.node, IMAGES.registry, ...HUB_CONTENT.map(([image]) => image)])];

export interface UpResult {
  created: string[];
  started: string[];
  unchanged: string[];
  seed: SeedResult;
  network: string;
  subnet: string;
}

/**
 * One network creation at a time in this process: two labs started together (a classroom's)
 * would otherwise both pick the same free subnet, and the second create fail on the overlap.
 */
let networkTurn: Promise<unknown> = Promise.resolve();
function ensureNetwork(docker: Docker, lab: string, extra: Record<string, string>, shape: string, avoid: string[] = []): Promise<{ subnet: string; shape?: string }> {
  const mine = networkTurn.then(() => createNetworkOnce(docker, lab, extra, shape, avoid));
  networkTurn = mine.catch(() => {});
  return mine;
}

/**
 * The lab's network, made first, carrying the shape the lab was asked for ("3+2"), so a `lab up`
 * killed before its nodes exist is finished in that shape by the next one. Returns its subnet and
 * the shape it remembers.
 */
async function createNetworkOnce(docker: Docker, lab: string, extra: Record<string, string>, shape: string, avoid: string[]): Promise<{ subnet: string; shape?: string }> {
  const existing = await networksWith(docker, { [LABELS.lab]: lab, [LABELS.kind]: 'network' });
  if (existing.length) return { subnet: existing[0].IPAM?.Config?.[0]?.Subnet ?? '', shape: existing[0].Labels?.[LABELS.shape] };
  const subnet = chooseSubnet([...(await usedSubnets(docker)), ...avoid]);
  const prefix = prefixOf(subnet);
  try {
    await docker.createNetwork({
      Name: networkName(lab),
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `${prefix}.1` }] },
      Labels: { ...extra, ...labLabels(lab, { [LABELS.kind]: 'network', [LABELS.shape]: shape }) },
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
  return { subnet, shape };
}

async function createAndStart(
  docker: Docker,
  lab: string,
  part: string,
  spec: Docker.ContainerCreateOptions,
  ports: number[] = [],
  extra: Record<string, string> = {},
  beforeStart?: (c: Docker.Container) => Promise<void>,
): Promise<string> {
  const name = containerName(lab, part);
  let c: Docker.Container;
  try {
    c = await createDindContainer(docker, { ...spec, name, Labels: { ...extra, ...spec.Labels } });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 409) {
      throw new UserError(`a container named ${name} exists but was not made by this lab`, 'remove or rename it, or use another --lab name');
    }
    throw err;
  }
  await beforeStart?.(c);
  await startContainer(docker, c.id, ports);
  return c.id;
}

export function nodeSpec(lab: string, n: PlannedNode, port: number, web: Record<WebPort, number>, place: Placement = placementOf()): Docker.ContainerCreateOptions {
  const host = dindHostConfig({ caged: place.caged, limits: nodeLimits(place) });
  const net = networkName(lab);
  return {
    Image: IMAGES.node,
    Hostname: n.name,
    Labels: labLabels(lab, {
      [LABELS.kind]: 'node', [LABELS.node]: n.name, [LABELS.role]: n.role, [LABELS.address]: n.address,
      // on another engine the engine picks the host ports (read from the container, never labels)
      ...(place.away ? {} : { [LABELS.port]: String(port), ...Object.fromEntries(WEB_PORTS.map((p) => [WEB_PORT_LABELS[p], String(web[p])])) }),
      ...(place.caged ? { [LABELS.caged]: 'yes' } : {}),
      ...(place.labCgroup ? { [LABELS.labCpus]: place.limits.labCpus ? String(place.limits.labCpus) : '' } : {}),
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
      ...host,
      ...(place.labCgroup ? { CgroupParent: labCgroupParent(lab) } : {}),
      Binds: place.away
        ? [`${volumeName(lab, 'workshop')}:/workshop:ro`, `${volumeName(lab, n.name)}:/var/lib/docker`]
        : [`${stackDir}:/workshop:ro`, `${nodeCertDir(lab, n.name)}:/certs:ro`, `${volumeName(lab, n.name)}:/var/lib/docker`],
      // the engine's TLS port, and the web ports the node's own engine publishes (compose, host-mode
      // services): on 127.0.0.1 only, the way in where container addresses are not routed (on
      // another engine: on the address this machine reaches it by, ports chosen by that engine)
      PortBindings: {
        '2376/tcp': [{ HostIp: place.bindIp, HostPort: place.away ? '' : String(port) }],
        ...Object.fromEntries(WEB_PORTS.map((p) => [`${p}/tcp`, [{ HostIp: place.bindIp, HostPort: place.away ? '' : String(web[p]) }]])),
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
function seederSpec(lab: string, port: number, away = false): Docker.ContainerCreateOptions {
  return {
    Image: IMAGES.registry,
    Labels: labLabels(lab, { [LABELS.kind]: 'hub-seeder', ...(away ? {} : { [LABELS.port]: String(port) }) }),
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: {
      Binds: [`${HUB_CACHE}:/var/lib/registry`],
      // on the engine's own loopback: its pushes reach it, nothing else does
      PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: away ? '' : String(port) }] },
    },
  };
}

/** Copies folder `dir` into `path` of a container that exists (started or not), streamed as a tar. */
async function putFolder(c: Docker.Container, dir: string, path: string, rename?: string): Promise<void> {
  const args = rename ? ['-C', dirname(dir), `--transform=s,^${basename(dir)},${rename},`, '-c', basename(dir)] : ['-C', dir, '--exclude=node_modules', '-c', '.'];
  const tar = execa('tar', args);
  await c.putArchive(tar.stdout!, { path });
  await tar;
}

/**
 * On another engine, the stack sources the nodes mount read-only at /workshop: a volume of the
 * lab's, filled once from this machine's stack/ (on this machine it is a bind mount).
 */
async function ensureWorkshopVolume(docker: Docker, lab: string, labels: Record<string, string>): Promise<void> {
  const name = volumeName(lab, 'workshop');
  if (await docker.getVolume(name).inspect().then(() => true, () => false)) return;
  await ensureVolume(docker, name, { ...labels, [LABELS.kind]: 'workshop' });
  const filler = await docker.createContainer({ Image: IMAGES.busybox, Cmd: ['true'], Labels: labLabels(lab, { [LABELS.kind]: 'filler' }), HostConfig: { Binds: [`${name}:/workshop`] } });
  try {
    await putFolder(filler, stackDir, '/workshop');
  } catch (err) {
    await docker.getVolume(name).remove().catch(() => {}); // half a copy is no copy: the next lab up fills it again
    throw err;
  } finally {
    await filler.remove({ force: true }).catch(() => {});
  }
}

/** The host port an engine chose for a container's `inner` port. */
async function publishedPort(docker: Docker, id: string, inner: string): Promise<number> {
  const info = await docker.getContainer(id).inspect();
  const port = Number(info.NetworkSettings.Ports?.[inner]?.[0]?.HostPort);
  if (!port) throw new Error(`the engine published no port for ${inner} of ${info.Name}`);
  return port;
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

/**
 * The hub (the nodes' registry mirror) and its seeding, which runs while the nodes start (their
 * engines do not pull yet) and is awaited at the end of `lab up`.
 */
async function startHub(
  docker: Docker,
  lab: string,
  all: Docker.ContainerInfo[],
  prefix: string,
  place: Placement,
  extra: Record<string, string>,
  result: UpResult,
  progress: (text: string) => void,
): Promise<Promise<SeedResult>> {
  progress('hub');
  await ensureHubCache(docker);
  const hub = all.find((c) => c.Labels[LABELS.kind] === 'hub');
  if (!hub) {
    await createAndStart(docker, lab, 'hub', hubSpec(lab, hubAddress(prefix)), [], extra);
    result.created.push('hub');
  } else if (hub.State !== 'running') {
    await startContainer(docker, hub.Id);
    result.started.push('hub');
  } else result.unchanged.push('hub');

  const seeder = all.find((c) => c.Labels[LABELS.kind] === 'hub-seeder');
  let seedPort: number;
  let seederId: string;
  if (!seeder) {
    seedPort = place.away ? 0 : await freePort(await reservedPorts(docker));
    seederId = await createAndStart(docker, lab, 'hub-seeder', seederSpec(lab, seedPort, place.away), place.away ? [] : [seedPort], extra);
  } else {
    seedPort = Number(seeder.Labels[LABELS.port] ?? 0);
    seederId = seeder.Id;
    if (seeder.State !== 'running') await startContainer(docker, seeder.Id, seedPort ? [seedPort] : []);
  }
  if (place.away) seedPort = await publishedPort(docker, seederId, '5000/tcp');
  // on another engine the seeder is on that machine's loopback: its pushes are checked by retrying,
  // not by asking it from here
  const seeding = (place.away ? Promise.resolve() : waitForHub(seedPort))
    .then(() => seedHub(docker, seedPort, progress, { askHub: !place.away }))
    .finally(() => docker.getContainer(seederId).stop({ t: 2 }).catch(() => {}));
  seeding.catch(() => {}); // awaited by the caller; never an unhandled rejection meanwhile
  return seeding;
}

/** The host ports every lab on this engine keeps in its labels: a stopped lab binds none, yet needs them back. */
async function reservedPorts(docker: Docker): Promise<number[]> {
  const cs = await docker.listContainers({ all: true, filters: { label: [LABELS.lab] } });
  return cs.flatMap((c) => hostPorts(c.Labels));
}

/** Creates the nodes that are missing and starts the stopped ones. */
async function ensureNodes(
  docker: Docker,
  lab: string,
  plan: PlannedNode[],
  existingNodes: Docker.ContainerInfo[],
  place: Placement,
  labels: Record<string, string>,
  extra: Record<string, string>,
  result: UpResult,
  progress: (text: string) => void,
): Promise<void> {
  progress(`nodes (${plan.map((n) => n.name).join(', ')})`);
  const reserved = place.away ? [] : await reservedPorts(docker);
  await Promise.all(
    plan.map(async (n) => {
      const c = existingNodes.find((x) => x.Labels[LABELS.node] === n.name);
      if (!c) {
        await ensureVolume(docker, volumeName(lab, n.name), { ...labels, [LABELS.kind]: 'node', [LABELS.node]: n.name });
        // on another engine the node's certificates are copied into it (nothing is bind-mounted from here)
        const certs = place.away ? (ct: Docker.Container) => putFolder(ct, nodeCertDir(lab, n.name), '/', 'certs') : undefined;
        // a port can still be taken between choosing and binding (by a program that starts
        // listening): the new node is made again with other ports, a few times
        for (let attempt = 1; ; attempt++) {
          const port = place.away ? 0 : await freePort(reserved);
          const web = place.away ? { 80: 0, 8080: 0 } : { 80: await freePort(reserved), 8080: await freePort(reserved) };
          try {
            await createAndStart(docker, lab, n.name, nodeSpec(lab, n, port, web, place), place.away ? [] : [port, web[80], web[8080]], extra, certs);
            break;
          } catch (err) {
            if (!(err instanceof PortTaken) || attempt >= 3) throw err;
            progress(`${n.name}: ${err.message.replace(/, so.*/, '')}; choosing other ports`);
            await docker.getContainer(containerName(lab, n.name)).remove({ force: true });
          }
        }
        result.created.push(n.name);
      } else if (c.State !== 'running') {
        await startContainer(docker, c.Id, hostPorts(c.Labels));
        result.started.push(n.name);
      } else result.unchanged.push(n.name);
    }),
  );
}

/**
 * The images every lab needs, copied from this machine's engine to another (once, before its labs
 * start together: two lab ups would otherwise both copy a gigabyte at once).
 */
export async function copyLabImages(engine: Endpoint, progress: (t: string) => void = () => {}): Promise<string[]> {
  progress(`images for ${engine.source}`);
  return copyImages((await hostEngine()).docker, (await connect(engine)).docker, LAB_IMAGES);
}

/** Brings the lab up, creating or starting only what is missing or stopped. */
export async function labUp(lab: string, opts: UpOptions): Promise<{ lab: DindLab; result: UpResult }> {
  const progress = opts.progress ?? (() => {});
  // a lab already on another engine is brought up there again (a repair keeps its place)
  const rec = readHostRecord(lab);
  const engineEp = opts.engine ?? (rec?.away ? recordedEndpoint(rec) : undefined);
  const host = engineEp ? await connect(engineEp) : await hostEngine();
  const docker = host.docker;
  const place = placementOf(engineEp, await traitsOf(docker, opts.limits));
  if (place.away) {
    // the images come from this machine's engine: the classroom's other machines need no internet
    progress(`images for ${engineEp!.source}`);
    const copied = await copyImages((await hostEngine()).docker, docker, LAB_IMAGES);
    if (copied.length) progress(`copied ${copied.length} images to ${engineEp!.source}`);
  }
  for (const image of [IMAGES.node, IMAGES.registry]) {
    if (!(await imageExists(docker, image))) {
      throw new UserError(`image ${image} is not built`, 'run `devcoin-workshop setup` first');
    }
  }
  const all = await containersWith(docker, { [LABELS.lab]: lab });
  checkVersion(all, lab);

  progress('network');
  const extra = opts.labels ?? {};
  // on another engine, never the subnet this machine reaches that engine by: a bridge of the same
  // subnet inside it takes the route back, and the engine stops answering (an engine that is
  // itself a lab node, 10.213.1.11, made its lab 10.213.1.0/24 too)
  const avoid = place.away ? [`${place.reach.address}/24`] : [];
  const net = await ensureNetwork(docker, lab, extra, `${opts.managers}+${opts.workers}`, avoid);
  const subnet = net.subnet;
  const prefix = prefixOf(subnet);
  const existingNodes = all.filter((c) => c.Labels[LABELS.kind] === 'node');
  // an existing lab keeps its shape (its nodes', or the one its network remembers from a lab up
  // cut short); --managers/--workers only shape a new one
  const [managers, workers] = (net.shape?.match(/^(\d+)\+(\d+)$/)?.slice(1).map(Number) ?? [opts.managers, opts.workers]) as [number, number];
  const plan = existingNodes.length
    ? existingNodes.map((c) => ({ name: c.Labels[LABELS.node], role: c.Labels[LABELS.role] as PlannedNode['role'], address: c.Labels[LABELS.address] }))
    : planNodes(prefix, managers, workers);

  progress('certificates');
  // a node on another machine is reached by that machine's address: its certificate names it
  await ensureCerts(lab, plan, place.away ? [place.reach.address] : []);

  const result: UpResult = { created: [], started: [], unchanged: [], seed: { pushed: [], current: [], missing: [] }, network: networkName(lab), subnet };
  const labels = { ...extra, ...labLabels(lab) };
  if (place.away) {
    progress('stack sources');
    await ensureWorkshopVolume(docker, lab, labels);
  }

  const seeding = await startHub(docker, lab, all, prefix, place, extra, result, progress);
  await ensureNodes(docker, lab, plan, existingNodes, place, labels, extra, result, progress);

  const labObj = new DindLab(lab, host, place.reach);
  const cs = await containersWith(docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' });
  // before the nested engines run anything: a caged node's cgroups to its root, the lab's CPU share
  await applyNodeCgroups(docker, lab, cs.filter((c) => c.State === 'running'));
  progress('waiting for the engines (TLS)');
  // a shell pointed at a node (lab env) still finds this engine as the lab's host; a lab on
  // another engine is found there again
  rememberHost(lab, host.endpoint, place.away ? [] : cs.map((c) => Number(c.Labels[LABELS.port])), place.away ? { address: place.reach.address } : undefined);
  await Promise.all(cs.map((c) => waitForEngine(labObj, c.Labels[LABELS.node], c.Id)));

  progress('seeding the hub');
  result.seed = await seeding;
  return { lab: labObj, result };
}

/** The endpoint `lab up` remembered for a lab on another engine (or on the classroom's, in its own network namespace). */
function recordedEndpoint(rec: HostRecord): Endpoint {
  return { host: rec.host, tls: rec.tls, source: rec.source, ...(rec.away && rec.host.startsWith('unix:') ? { publishAddress: rec.away.address } : {}) };
}

/** The engine that runs `lab` and how its nodes are reached: the one `lab up` remembered, or this machine's. */
async function engineOf(lab: string): Promise<{ engine: Engine; reach: Reach }> {
  const rec = readHostRecord(lab);
  if (rec?.away) return { engine: await connect(recordedEndpoint(rec)), reach: { address: rec.away.address, portsFromEngine: true } };
  return { engine: await hostEngine(), reach: ON_THIS_MACHINE };
}

/**
 * How an existing lab was made, so a fresh start (demo --fresh) makes it again the same way: on its
 * engine (a classroom's caged one, say), with its extra labels (its classroom's) and its limits.
 * Undefined when the lab has no nodes.
 */
export async function upOptionsOf(lab: string): Promise<Pick<UpOptions, 'engine' | 'labels' | 'limits'> | undefined> {
  const rec = readHostRecord(lab);
  const { engine } = await engineOf(lab);
  const [node] = await containersWith(engine.docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' });
  if (!node) return undefined;
  const host = (await engine.docker.getContainer(node.Id).inspect()).HostConfig;
  const cpus = node.Labels[LABELS.labCpus];
  return {
    engine: rec?.away ? recordedEndpoint(rec) : undefined,
    labels: node.Labels[LABELS.classroom] ? { [LABELS.classroom]: node.Labels[LABELS.classroom] } : undefined,
    limits: {
      nodeMemoryMiB: host.Memory ? host.Memory / 2 ** 20 : undefined,
      nodePids: host.PidsLimit || undefined,
      labCpus: cpus ? Number(cpus) : host.NanoCpus ? host.NanoCpus / 1e9 : undefined,
      fairShare: cpus !== undefined,
    },
  };
}

/**
 * A lab's disk: what its volumes hold (the nodes' engines: images, containers, the registry's
 * storage) and, when its engine runs on this machine, the free space where that engine keeps them.
 */
export async function labDiskOf(lab: string): Promise<{ usedBytes: number; engineFreeBytes?: number }> {
  const { engine } = await engineOf(lab);
  const df = (await engine.docker.df()) as { Volumes?: { Name: string; Labels?: Record<string, string> | null; UsageData?: { Size?: number } }[] };
  const usedBytes = (df.Volumes ?? []).filter((v) => v.Labels?.[LABELS.lab] === lab).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const disk = await engineDisk(engine).catch(() => undefined);
  return { usedBytes, engineFreeBytes: disk?.freeBytes };
}

/** Removes exactly what carries this lab's label, and its certificates. */
export async function labDown(lab: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const { engine } = await engineOf(lab);
  const hadCgroup = (await containersWith(engine.docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' })).some((c) => c.Labels[LABELS.labCpus] !== undefined);
  const removed = await removeLabelled(engine.docker, { [LABELS.lab]: lab });
  if (hadCgroup) await removeLabCgroup(engine.docker, lab);
  removeCerts(lab);
  forgetHost(lab);
  return removed;
}

/** The lab if its nodes exist, else undefined. */
export async function findDindLab(lab: string): Promise<DindLab | undefined> {
  const { engine, reach } = await engineOf(lab);
  const cs = await containersWith(engine.docker, { [LABELS.lab]: lab, [LABELS.kind]: 'node' });
  if (!cs.length) return undefined;
  checkVersion(cs, lab);
  return new DindLab(lab, engine, reach);
}
