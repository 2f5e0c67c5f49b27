// Making and removing the built-in lab (kind's provision.go to provider.go): Docker engines in
// containers on the host engine, on one labelled bridge network with static addresses, TLS on
// 2376 published on 127.0.0.1 only, and a hub. Driving a lab that exists is provider.ts.
import type Docker from 'dockerode';
import { hostEngine, forgetHost, rememberHost, type Engine } from '../../docker/engine.js';
import { createDindContainer, dindHostConfig } from '../../docker/dind.js';
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
import { seedHub, waitForHub, type SeedResult } from './hub.js';
import { DindLab, hostPorts, startContainer, waitForEngine } from './provider.js';

export interface UpOptions {
  managers: number;
  workers: number;
  progress?: (text: string) => void;
  /** more labels on everything this lab creates (a classroom marks its labs so) */
  labels?: Record<string, string>;
}

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
function ensureNetwork(docker: Docker, lab: string, extra: Record<string, string>): Promise<string> {
  const mine = networkTurn.then(() => createNetworkOnce(docker, lab, extra));
  networkTurn = mine.catch(() => {});
  return mine;
}

async function createNetworkOnce(docker: Docker, lab: string, extra: Record<string, string>): Promise<string> {
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
      Labels: { ...extra, ...labLabels(lab, { [LABELS.kind]: 'network' }) },
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
  extra: Record<string, string> = {},
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
  const extra = opts.labels ?? {};
  const subnet = await ensureNetwork(docker, lab, extra);
  const prefix = prefixOf(subnet);
  const existingNodes = all.filter((c) => c.Labels[LABELS.kind] === 'node');
  // an existing lab keeps its shape; --managers/--workers only shape a new one
  const plan = existingNodes.length
    ? existingNodes.map((c) => ({ name: c.Labels[LABELS.node], role: c.Labels[LABELS.role] as PlannedNode['role'], address: c.Labels[LABELS.address] }))
    : planNodes(prefix, opts.managers, opts.workers);

  progress('certificates');
  await ensureCerts(lab, plan);

  const result: UpResult = { created: [], started: [], unchanged: [], seed: { pushed: [], current: [], missing: [] }, network: networkName(lab), subnet };
  const labels = { ...extra, ...labLabels(lab) };

  // the hub first: nodes use it as their mirror
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

  // seeding needs only the seeder: it runs while the nodes start (their engines do not pull yet)
  const seeder = all.find((c) => c.Labels[LABELS.kind] === 'hub-seeder');
  let seedPort: number;
  let seederId: string;
  if (!seeder) {
    seedPort = await freePort();
    seederId = await createAndStart(docker, lab, 'hub-seeder', seederSpec(lab, seedPort), [seedPort], extra);
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
        await createAndStart(docker, lab, n.name, nodeSpec(lab, n, port, web), [port, web[80], web[8080]], extra);
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
