// What a connected machine held before `lab connect`: it is the user's, never the lab's. The
// commands a student types (swarm init, service create, secret create) carry no label of ours, so
// the lab cannot tell its things from the user's by labels on a real machine; it tells them by
// this inventory instead. A catch-up that would remove something listed here asks first.
import type Docker from 'dockerode';
import type { CatchUpTouch } from '../types.js';

export interface Inventory {
  /** the swarm this engine was part of, if any */
  swarm?: { cluster: string; node: string };
  /** compose project "devcoin" containers */
  compose: string[];
  services: string[];
  secrets: string[];
  configs: string[];
  volumes: string[];
  /** repo:tag */
  images: string[];
}

/** The names a catch-up may remove, by kind (chapters/*\/index.ts say which kinds they touch). */
const TARGETS: Record<Exclude<CatchUpTouch, 'swarm' | 'compose'>, { of: keyof Inventory; match: RegExp }> = {
  services: { of: 'services', match: /^(sleeper|registry|devcoin_.*)$/ },
  'registry-storage': { of: 'volumes', match: /^registry-data$/ },
  images: { of: 'images', match: /^(node1:5000\/.*|devcoin-miner:dev)$/ },
  configs: { of: 'configs', match: /^devcoin-.*$/ },
  secrets: { of: 'secrets', match: /^redis_password$/ },
};

const names = (xs: { Spec?: { Name?: string } }[]) => xs.map((x) => x.Spec?.Name ?? '').filter(Boolean).sort();

export async function takeInventory(docker: Docker): Promise<Inventory> {
  const info = (await docker.info()) as { Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean; Cluster?: { ID?: string } } };
  const active = info.Swarm?.LocalNodeState === 'active';
  const manager = active && !!info.Swarm?.ControlAvailable;
  const [containers, volumes, images, services, secrets, configs] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: ['com.docker.compose.project=devcoin'] } }),
    docker.listVolumes(),
    docker.listImages(),
    manager ? docker.listServices() : Promise.resolve([]),
    manager ? docker.listSecrets() : Promise.resolve([]),
    manager ? docker.listConfigs() : Promise.resolve([]),
  ]);
  return {
    swarm: active ? { cluster: info.Swarm?.Cluster?.ID ?? '', node: info.Swarm?.NodeID ?? '' } : undefined,
    compose: containers.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, '')).sort(),
    services: names(services as { Spec?: { Name?: string } }[]),
    secrets: names(secrets as { Spec?: { Name?: string } }[]),
    configs: names(configs as { Spec?: { Name?: string } }[]),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    images: images.flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>').sort(),
  };
}

/**
 * What a catch-up touching `touches` would remove on this machine that was there before the lab
 * connected (`before`) and still is (`now`), one line each.
 */
export function preexisting(machine: string, touches: CatchUpTouch[], before: Inventory, now: Inventory): string[] {
  const out: string[] = [];
  const set = new Set(touches);
  if (set.has('swarm') && before.swarm && now.swarm?.node === before.swarm.node) {
    // a worker does not know its cluster's id: it is named by its own node id there
    const which = before.swarm.cluster ? `swarm ${before.swarm.cluster.slice(0, 12)}` : `a swarm, as worker node ${before.swarm.node.slice(0, 12)}`;
    out.push(`${machine}: its membership in ${which} (docker swarm leave --force)`);
  }
  if (set.has('compose')) {
    for (const c of now.compose.filter((x) => before.compose.includes(x))) out.push(`${machine}: compose container ${c} and its volumes`);
  }
  for (const [touch, t] of Object.entries(TARGETS) as [CatchUpTouch, (typeof TARGETS)[keyof typeof TARGETS]][]) {
    if (!set.has(touch)) continue;
    const was = (before[t.of] as string[]).filter((x) => t.match.test(x));
    for (const x of (now[t.of] as string[]).filter((y) => was.includes(y))) out.push(`${machine}: ${t.of.replace(/s$/, '')} ${x}`);
  }
  return out;
}
