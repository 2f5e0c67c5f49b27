// Connecting existing Docker engines as a lab (other machines, VMs), each reached by a docker
// context name, ssh://user@host or tcp://host:2376 with TLS files. The tool cannot stop those
// machines and has no login on them, so on each it keeps one small shell container
// (devcoin/shell: docker CLI, curl, openssl) that shares the machine's network, hostname and
// engine socket: a chapter's command runs there exactly as in a shell on the machine.
import { execa } from 'execa';
import type Docker from 'dockerode';
import { answerWithin, clientFor, connect, hostEngine, type TlsFiles } from '../../docker/engine.js';
import { execIn } from '../../docker/exec.js';
import { imageExists, tryPull } from '../../docker/build.js';
import { IMAGES } from '../../images/catalog.js';
import { stackDir } from '../../paths.js';
import { ExitCode, UserError } from '../../errors.js';
import { LABELS } from '../../labels.js';
import { withTimeout } from '../../retry.js';
import { takeInventory } from './inventory.js';
import { labLabels } from '../names.js';
import { WORKSHOP, isRemoteLab, parseEndpoint, parseNodeArgs, readSpec, removeSpec, shellName, writeSpec, type RemoteNode } from './spec.js';

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
  wanted.sort((a, b) => Number(a.name.slice(4)) - Number(b.name.slice(4)));
  // every machine answers before anything is made on any of them: a refused key on node4 must
  // not leave shell containers behind on node1..node3 with no connection file to remove them
  progress(`connecting to ${wanted.length} machine(s)`);
  const engines = await Promise.all(wanted.map((w) => connect(parseEndpoint(w.endpoint, opts.tls))));
  // the machines are prepared side by side (the shell image may have to be sent to each); if one
  // fails, a first connection takes back what it made on the others
  const results = await Promise.allSettled(
    wanted.map(async (w, i): Promise<RemoteNode> => {
      const { docker, endpoint } = engines[i];
      progress(`${w.name}: connected to ${endpoint.source}`);
      // an existing connection of this lab keeps its first inventory: what the lab made since is its own
      const before = previous?.nodes.find((n) => n.name === w.name && n.endpoint.host === endpoint.host)?.before ?? (await takeInventory(docker));
      const shell = await ensureShell(lab, docker, progress, w.name);
      const r = await execIn(docker, shell.id, ['sh', '-c', 'hostname -i | cut -d" " -f1']);
      return { name: w.name, role: i < managers ? 'manager' : 'worker', endpoint, address: r.stdout.trim() || new URL(endpoint.host.replace(/^ssh:/, 'http:')).hostname, before };
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    if (!previous) await Promise.all(engines.map(({ docker }) => removeShell(docker, lab)));
    throw failed.reason;
  }
  const nodes = results.map((r) => (r as PromiseFulfilledResult<RemoteNode>).value);
  writeSpec(lab, nodes);
  return nodes;
}

/** Removes this lab's shell container from a machine, if it is there and ours; true when it was. */
async function removeShell(docker: Docker, lab: string, timeoutMs = 5000): Promise<boolean> {
  const c = docker.getContainer(shellName(lab));
  const info = await withTimeout(c.inspect(), timeoutMs).catch(() => undefined);
  if (info?.Config.Labels?.[LABELS.lab] !== lab) return false;
  await c.remove({ force: true });
  return true;
}

/** Removes what `connect` made on each machine (its shell container) and the connection file. */
export async function disconnectLab(lab: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const spec = readSpec(lab);
  let containers = 0;
  for (const n of spec.nodes) {
    // a machine that is gone keeps nothing of ours we could remove
    if (await removeShell(clientFor(n.endpoint), lab, answerWithin(n.endpoint, 5000)).catch(() => false)) containers++;
  }
  removeSpec(lab);
  return { containers, volumes: 0, networks: 0 };
}
