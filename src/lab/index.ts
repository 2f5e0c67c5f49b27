// The one door to a lab. Everything outside src/lab (the workshop core, the swarm module, the
// CLI, the classroom, the bench, the chapters) imports this file and nothing else of src/lab:
// which provider runs a lab (engines in containers, or connected machines) stays behind it.
import { rmSync } from 'node:fs';
import { routingFile } from '../paths.js';
import { UserError } from '../errors.js';
import { connect, hostEngine, type Endpoint } from '../docker/engine.js';
import { engineMemory, type EngineMemory } from '../docker/memory.js';
import { copyImages } from '../docker/archive.js';
import { runsInUserNamespace } from '../docker/dind.js';
import { IMAGES } from '../images/catalog.js';
import { findDindLab, labDown as dindDown, labUp } from './dind/provision.js';
import { checkClientTls } from './dind/certs.js';
import { RemoteLab } from './remote/provider.js';
import { connectLab, disconnectLab } from './remote/connect.js';
import { isRemoteLab, parseEndpoint } from './remote/spec.js';
import type { Lab } from './types.js';
import { LABELS } from '../labels.js';

export type { Lab, LabNode, CatchUpTouch, Terminal } from './types.js';
export { ALL_TOUCHES } from './types.js';
export type { UpOptions, UpResult, LabLimits } from './dind/provision.js';
export { raiseRoomPlumbing } from './dind/room-cgroup.js';
export { cagedEndpoint as classroomEngineEndpoint, ensureCagedEngine as ensureClassroomEngine, stopCagedEngine as stopClassroomEngine, cagedEngineRunning as classroomEngineRunning } from './dind/caged-engine.js';
export type { Endpoint } from '../docker/engine.js';
export type { EngineMemory } from '../docker/memory.js';
export { minFreeBytes, gib } from '../docker/disk.js';
export { withLabLock } from './lock.js';
export { labUsage, limitNews, parseUsage, USAGE_SCRIPT, type NodeUsage } from './usage.js';
export { webUrl, webUrlOf, type WebPort } from './web.js';
export { labUp, connectLab };
export { copyLabImages, upOptionsOf, labDiskOf } from './dind/provision.js';
/** An engine as people give it (a docker context, ssh://user@host, tcp://host:2376 with TLS files). */
export { parseEndpoint as engineEndpoint };

/** Connected to existing machines (`lab connect`), as opposed to the built-in lab. */
export function isConnected(name: string): boolean {
  return isRemoteLab(name);
}

/**
 * How much memory the machine of an engine (default: this machine's) has, and how much is free:
 * what a classroom places labs by.
 */
export async function engineMemoryOf(endpoint?: Endpoint): Promise<EngineMemory> {
  const engine = endpoint ? await connect(endpoint) : await hostEngine();
  // a new engine has none of the images yet (a lab up copies them): the 2 MB busybox goes first
  if (endpoint) await copyImages((await hostEngine()).docker, engine.docker, [IMAGES.busybox]);
  return engineMemory(engine.docker, IMAGES.busybox);
}

/** Whether an engine runs its containers in a user namespace (--userns-remap): a lab there is caged. */
export async function engineIsCaged(endpoint: Endpoint): Promise<boolean> {
  return runsInUserNamespace((await connect(endpoint)).docker);
}

/** Whether a built-in lab of that name has nodes on the host engine. */
export async function builtInLabExists(name: string): Promise<boolean> {
  return !isRemoteLab(name) && (await findDindLab(name)) !== undefined;
}

export async function openLab(name: string): Promise<Lab> {
  // a lab connected to existing engines is known by its connection file
  if (isRemoteLab(name)) return new RemoteLab(name);
  const lab = await findDindLab(name);
  if (!lab) {
    const flag = name === 'devcoin' ? '' : ` --lab ${name}`;
    throw new UserError(`lab ${name} is not up`, `run \`devcoin-workshop${flag} lab up\``);
  }
  checkClientTls(name);
  return lab;
}

/**
 * Removes the lab: a built-in one whole (exactly what carries its label, and its certificates);
 * of connected machines only what `connect` made on each (its shell container) and the record.
 */
export async function labDown(name: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const removed = isRemoteLab(name) ? await disconnectLab(name) : await dindDown(name);
  // what was learnt about the lab's machines goes with it (the next lab may run elsewhere)
  rmSync(routingFile(name), { force: true });
  return removed;
}

/**
 * The built-in labs on an engine (default: this machine's) with a container (node, hub) that
 * carries `label` (`KEY` or `KEY=VALUE`): a classroom finds its labs by the label it gave them
 * (labUp's `labels`), on each engine it put labs on.
 */
export async function labsLabelled(label: string, engine?: Endpoint): Promise<string[]> {
  const { docker } = engine ? await connect(engine) : await hostEngine();
  const cs = await docker.listContainers({ all: true, filters: { label: [label, LABELS.lab] } });
  return [...new Set(cs.map((c) => c.Labels[LABELS.lab]).filter(Boolean))].sort();
}
