// Chapter 5: a registry service pinned to node1 holding the five DevCoin images, and a node
// that built nothing able to pull them.
import type { ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { nodeNames, serviceState, swarmNodes } from '../../src/swarm/index.js';
import { catchUp as drainCatchUp } from '../04-drain/index.js';
import { manifestDigest, registryHolds } from '../../src/workshop/checks/registry.js';


interface Mount {
  Type?: string;
  Source?: string;
  Target?: string;
}

export const checks: ChapterModule['checks'] = [
  {
    id: 'registry-service',
    title: 'service registry runs 1/1, on node1',
    hint: 'create it with the `docker service create --name registry ... --mount type=volume,...` command of this chapter; `docker service ps registry` says why a task fails',
    async run(lab) {
      const s = await serviceState(lab, 'registry');
      if (!s.exists) return { ok: false, detail: 'no service registry' };
      const names = await nodeNames(lab);
      const on = s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running').map((t) => names.get(t.NodeID ?? '') ?? '?');
      const mounts = ((s.service?.Spec?.TaskTemplate?.ContainerSpec as { Mounts?: Mount[] } | undefined)?.Mounts ?? []);
      const kept = mounts.some((m) => m.Type === 'volume' && m.Target === '/var/lib/registry');
      const where = on.length ? `running on ${on.join(', ')}` : 'no running task';
      return {
        ok: on.length === 1 && on[0] === 'node1' && kept,
        detail: `${where}; ${kept ? 'storage in a volume' : 'no volume at /var/lib/registry: its images go with its task'}`,
        converging: s.converging,
      };
    },
  },
  {
    id: 'catalog',
    title: 'the registry at node1:5000 holds miner, api, webui, redis and proxy, each tagged latest',
    hint: 'push them: `docker push node1:5000/devcoin/<name>` on node1, then `curl -s http://node1:5000/v2/_catalog`',
    run: registryHolds,
  },
  {
    id: 'pulled-on-node2',
    title: 'node2, which built nothing, has pulled node1:5000/devcoin/miner',
    hint: 'on node2: `docker run --rm node1:5000/devcoin/miner node /app/miner.js --bench 2`',
    async run(lab) {
      // pulled, not built or tagged there: the image's repo digest is the one node1:5000 serves
      const want = await manifestDigest(lab, 'devcoin/miner');
      if (!want) return { ok: false, detail: 'node1:5000 has no devcoin/miner:latest to compare with' };
      const r = await lab.exec('node2', `docker image inspect --format '{{join .RepoDigests " "}}' node1:5000/devcoin/miner:latest`);
      if (r.exitCode !== 0) return { ok: false, detail: 'node2 does not have node1:5000/devcoin/miner:latest' };
      const digests = r.stdout.trim().split(/\s+/).filter(Boolean);
      const pulled = digests.includes(`node1:5000/devcoin/miner@${want}`);
      return {
        ok: pulled,
        detail: pulled ? `pulled from node1:5000 (${want.slice(0, 19)}…)` : `node2's image was not pulled from node1:5000 (repo digests: ${digests.join(', ') || 'none: built or tagged on node2'})`,
      };
    },
  },
  {
    id: 'all-active',
    title: 'all 5 nodes ready and active (node5 back from its drain)',
    hint: 'on node1: `docker node update --availability active node5`',
    async run(lab) {
      const nodes = await swarmNodes(lab);
      const bad = nodes.filter((n) => n.Spec?.Availability !== 'active' || n.Status?.State !== 'ready');
      return {
        ok: nodes.length === 5 && bad.length === 0,
        detail: bad.length ? bad.map((n) => `${n.Description?.Hostname} ${n.Spec?.Availability}/${n.Status?.State}`).join(', ') : `${nodes.length} nodes active`,
      };
    },
  },
];

/** Chapter 4's end: the sleeper service, node5 drained, no registry, no image built on any node. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await drainCatchUp(lab, progress);
  progress('node5 drained, no registry, no devcoin stack');
  await lab.exec(
    'node1',
    'docker stack rm devcoin >/dev/null 2>&1; docker service rm registry >/dev/null 2>&1; ' +
      'docker node update --availability drain node5 >/dev/null',
  );
  // the registry's volume outlives the service: an old one would hold images nobody pushed yet
  await lab.exec('node1', 'for i in $(seq 30); do docker volume rm registry-data >/dev/null 2>&1 && break; docker volume inspect registry-data >/dev/null 2>&1 || break; sleep 1; done; true');
  progress('no image built or pulled from node1:5000 on any node');
  const names = (await lab.nodes()).map((n) => n.name);
  await Promise.all(
    names.map((n) =>
      lab.exec(n, `docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^(node1:5000/|devcoin-miner:dev)' | xargs -r docker image rm -f >/dev/null 2>&1; true`),
    ),
  );
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images'];
