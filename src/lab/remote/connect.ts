// The second provider: Docker engines that already exist (other machines, VMs), each reached by
// a docker context name, ssh://user@host or tcp://host:2376 with TLS files. The CLI cannot stop
// those machines and has no login on them, so on each it keeps one small shell container
// (devcoin/shell: docker CLI, curl, openssl) that shares the machine's network, hostname and
// engine socket: a chapter's command runs there exactly as in a shell on the machine.
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type Docker from 'dockerode';
import { clientFor, connect, contextEndpoint, hostEngine, type Endpoint, type TlsFiles } from '../../docker/engine.js';
import { execIn, type ExecOptions, type ExecResult } from '../../docker/exec.js';
import { imageExists, tryPull } from '../../docker/build.js';
import { IMAGES } from '../../images/catalog.js';
import { labDir, stackDir } from '../../paths.js';
import { ExitCode, UserError } from '../../errors.js';
import {type CatchUpTouch, type Lab, type LabNode} from '../types.js';
import { preexisting, takeInventory, type Inventory } from './inventory.js';
import {labLabels} from '../names.js';
import { LABELS } from '../../labels.js';

const SPEC_FILE = 'remote.json';
/** Where the stack sources live on each machine: the path the chapters type. */
const WORKSHOP = '/workshop';

export interface RemoteNode {
  name: string;
  role: 'manager' | 'worker';
  endpoint: Endpoint;
  /** the machine's own address (`hostname -i` in its shell), what --advertise-addr uses */
  address: string;
  /** what the machine held before it was connected: the user's, never removed without asking */
  before?: Inventory;
}

interface RemoteSpec {
  version: 1;
  nodes: RemoteNode[];
}

const shellName = (lab: string) => `devcoin-${lab}-shell`;
const specPath = (lab: string) => join(labDir(lab), SPEC_FILE);

export function isRemoteLab(lab: string): boolean {
  return existsSync(specPath(lab));
}

function readSpec(lab: string): RemoteSpec {
  try {
    const spec = JSON.parse(readFileSync(specPath(lab), 'utf8')) as RemoteSpec;
    if (spec.version !== 1 || !Array.isArray(spec.nodes)) throw new Error('unknown format');
    return spec;
  } catch (err) {
    throw new UserError(`the connection file of lab ${lab} (${specPath(lab)}) is damaged: ${(err as Error).message}`, `connect again: devcoin-workshop --lab ${lab} lab connect node1=... (it replaces the file)`);
  }
}

/** `node1=ENDPOINT`: a context name, ssh://..., tcp://... (TLS files from `tls`), or unix://... */
export function parseEndpoint(text: string, tls?: TlsFiles): Endpoint {
  if (/^(ssh|unix):\/\//.test(text)) return { host: text, source: text };
  if (/^tcp:\/\//.test(text)) return { host: text, tls, source: text };
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/.test(text)) {
    const ep = contextEndpoint(text);
    if (!ep) throw new UserError(`no docker context named "${text}"`, 'see `docker context ls`, or give ssh://user@host or tcp://host:2376', ExitCode.usage);
    return ep;
  }
  throw new UserError(`"${text}" is not an engine address`, 'use a docker context name, ssh://user@host or tcp://host:2376', ExitCode.usage);
}

export function parseNodeArgs(args: string[]): { name: string; endpoint: string }[] {
  const seen = new Set<string>();
  return args.map((a) => {
    const m = /^(node[1-9][0-9]?)=(.+)$/.exec(a);
    if (!m) throw new UserError(`"${a}" is not NODE=ENDPOINT`, 'e.g. node1=ssh://me@10.0.0.5 node2=tcp://10.0.0.6:2376 node3=mycontext', ExitCode.usage);
    if (seen.has(m[1])) throw new UserError(`${m[1]} is given twice`, 'name each machine once', ExitCode.usage);
    seen.add(m[1]);
    return { name: m[1], endpoint: m[2] };
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

/** Copies the host's image to an engine that lacks it (docker save | docker load, streamed). */
async function sendImage(to: Docker, name: string): Promise<void> {
  const host = await hostEngine();
  if (!(await imageExists(host.docker, name))) throw new UserError(`${name} is not built here`, 'run `devcoin-workshop setup` first');
  const tar = (await host.docker.getImage(name).get()) as NodeJS.ReadableStream;
  const res = (await to.loadImage(tar)) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => {
    res.on('data', () => {});
    res.on('end', resolve);
    res.on('error', reject);
  });
}

/** The shell container on one machine, with /workshop there as well. */
async function ensureShell(lab: string, docker: Docker, progress: (t: string) => void, node: string): Promise<Docker.Container> {
  // a registry mirror (the built-in lab's hub) may have it; otherwise it is sent from here
  if (!(await imageExists(docker, IMAGES.shell)) && !(await tryPull(docker, IMAGES.shell, 10_000))) {
    progress(`${node}: sending ${IMAGES.shell}`);
    await sendImage(docker, IMAGES.shell);
  }
  const name = shellName(lab);
  const existing = await docker.getContainer(name).inspect().catch(() => undefined);
  if (existing && existing.Config.Labels?.[LABELS.lab] !== lab) {
    throw new UserError(`${node} already has a container named ${name} that this lab did not make`, 'remove or rename it, or connect under another --lab name');
  }
  if (existing) {
    if (!existing.State.Running) await docker.getContainer(name).start();
    return docker.getContainer(name);
  }
  // the machine may have /workshop already (the built-in lab's nodes do, read-only): use it as is
  const probe = await docker.createContainer({ Image: IMAGES.shell, Cmd: ['test', '-f', `${WORKSHOP}/compose.yml`], HostConfig: { Binds: [`${WORKSHOP}:${WORKSHOP}:ro`], AutoRemove: false } });
  await probe.start();
  const hasSources = ((await probe.wait()) as { StatusCode: number }).StatusCode === 0;
  await probe.remove({ force: true });
  const shell = await docker.createContainer({
    name,
    Image: IMAGES.shell,
    Cmd: ['sleep', 'infinity'],
    Labels: labLabels(lab, { [LABELS.kind]: 'shell' }),
    HostConfig: {
      NetworkMode: 'host',
      UTSMode: 'host',
      // the same path on the machine and in the shell, so compose's bind mounts resolve
      Binds: ['/var/run/docker.sock:/var/run/docker.sock', `${WORKSHOP}:${WORKSHOP}${hasSources ? ':ro' : ''}`],
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  if (!hasSources) {
    progress(`${node}: copying the stack sources to ${WORKSHOP}`);
    const tar = execa('tar', ['-C', stackDir, '--exclude=node_modules', '-c', '.']);
    await shell.putArchive(tar.stdout!, { path: WORKSHOP });
    await tar;
  }
  await shell.start();
  return shell;
}

export async function connectLab(
  lab: string,
  args: string[],
  opts: { managers?: number; tls?: TlsFiles; progress?: (t: string) => void } = {},
): Promise<RemoteNode[]> {
  const progress = opts.progress ?? (() => {});
  const wanted = parseNodeArgs(args);
  if (!wanted.length) throw new UserError('no machines given', 'e.g. devcoin-workshop lab connect node1=ssh://me@host1 node2=ssh://me@host2 ...', ExitCode.usage);
  const managers = opts.managers ?? Math.min(3, wanted.length);
  const previous = isRemoteLab(lab) ? readSpec(lab) : undefined;
  const nodes: RemoteNode[] = [];
  for (const [i, w] of wanted.sort((a, b) => Number(a.name.slice(4)) - Number(b.name.slice(4))).entries()) {
    const endpoint = parseEndpoint(w.endpoint, opts.tls);
    progress(`${w.name}: connecting to ${endpoint.source}`);
    const { docker } = await connect(endpoint);
    // an existing connection of this lab keeps its first inventory: what the lab made since is its own
    const before = previous?.nodes.find((n) => n.name === w.name && n.endpoint.host === endpoint.host)?.before ?? (await takeInventory(docker));
    const shell = await ensureShell(lab, docker, progress, w.name);
    const r = await execIn(docker, shell.id, ['sh', '-c', 'hostname -i | cut -d" " -f1']);
    nodes.push({ name: w.name, role: i < managers ? 'manager' : 'worker', endpoint, address: r.stdout.trim() || new URL(endpoint.host.replace(/^ssh:/, 'http:')).hostname, before });
  }
  mkdirSync(labDir(lab), { recursive: true });
  writeFileSync(specPath(lab), JSON.stringify({ version: 1, nodes } satisfies RemoteSpec, null, 2) + '\n', { mode: 0o600 });
  return nodes;
}

/** Removes what `connect` made on each machine (its shell container) and the connection file. */
export async function disconnectLab(lab: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const spec = readSpec(lab);
  let containers = 0;
  for (const n of spec.nodes) {
    try {
      const docker = clientFor(n.endpoint);
      const c = docker.getContainer(shellName(lab));
      const info = await withTimeout(c.inspect(), 5000);
      if (info.Config.Labels?.[LABELS.lab] === lab) {
        await c.remove({ force: true });
        containers++;
      }
    } catch {
      /* a machine that is gone keeps nothing of ours we could remove */
    }
  }
  rmSync(specPath(lab), { force: true });
  return { containers, volumes: 0, networks: 0 };
}

export class RemoteLab implements Lab {
  readonly provider = 'remote' as const;
  readonly canStopNodes = false;
  private readonly spec: RemoteSpec;
  private clients = new Map<string, Docker>();

  constructor(readonly name: string) {
    this.spec = readSpec(name);
  }

  private node(name: string): RemoteNode {
    const n = this.spec.nodes.find((x) => x.name === name);
    if (!n) throw new UserError(`lab ${this.name} has no node "${name}"`, `its nodes are ${this.spec.nodes.map((x) => x.name).join(', ')}`, ExitCode.usage);
    return n;
  }

  async engine(node: string): Promise<Docker> {
    const n = this.node(node);
    let d = this.clients.get(node);
    if (!d) {
      d = clientFor(n.endpoint);
      this.clients.set(node, d);
    }
    return d;
  }

  async nodes(): Promise<LabNode[]> {
    return Promise.all(
      this.spec.nodes.map(async (n) => {
        let state = 'running';
        try {
          await withTimeout((await this.engine(n.name)).ping(), 3000);
        } catch {
          state = 'unreachable';
        }
        // a real machine: the browser goes to its own address (nothing is published for it)
        return { name: n.name, plannedRole: n.role, address: n.address, state, web: { 80: `http://${n.address}/`, 8080: `http://${n.address}:8080/` } };
      }),
    );
  }

  async exec(node: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const n = this.node(node);
    const docker = await this.engine(node);
    try {
      await withTimeout(docker.ping(), 5000);
    } catch {
      throw new UserError(`${node} does not answer at ${n.endpoint.source}`, 'check that the machine and its Docker engine are up');
    }
    return execIn(docker, shellName(this.name), ['sh', '-c', command], opts);
  }

  endpointOf(node: string): Endpoint {
    return this.node(node).endpoint;
  }

  /** `lab shell`: the docker CLI's own exec -it into the machine's shell container. */
  async interactiveShell(node: string): Promise<{ exitCode?: number }> {
    const ep = this.node(node).endpoint;
    const env: Record<string, string> = { DOCKER_HOST: ep.host };
    if (ep.tls) Object.assign(env, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dirname(ep.tls.ca) });
    return execa('docker', ['exec', '-it', '-e', `PS1=${node}:\\w$ `, shellName(this.name), 'sh'], { stdio: 'inherit', reject: false, env });
  }

  async preexisting(touches: CatchUpTouch[]): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const n of this.spec.nodes) {
      // a connection made before inventories existed: everything on the machine may be the user's
      if (!n.before) {
        out.push(`${n.name}: unknown (connected by an older version: lab down, then lab connect again)`);
        continue;
      }
      const now = await takeInventory(await this.engine(n.name)).catch(() => undefined);
      if (!now) throw new UserError(`${n.name} does not answer at ${n.endpoint.source}`, 'check that the machine and its Docker engine are up');
      // swarm objects (services, secrets, configs) are the cluster's: listed once
      for (const line of preexisting(n.name, touches, n.before, now)) {
        const key = line.replace(/^node\d+: (service|secret|config) /, 'cluster: $1 ');
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(line);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    throw new UserError(`the nodes of lab ${this.name} are real machines`, 'stop them yourself');
  }

  async kill(): Promise<void> {
    throw new UserError(`the nodes of lab ${this.name} are real machines`, 'stop them yourself');
  }

  async start(nodes: string[]): Promise<void> {
    const down = (await this.nodes()).filter((n) => nodes.includes(n.name) && n.state !== 'running');
    if (down.length) throw new UserError(`${down.map((n) => n.name).join(', ')} not answering`, 'start those machines (and their Docker engines) yourself');
  }
}
