// Chapter 5: a registry service pinned to node1 holding the five DevCoin images, and a node
// that built nothing able to pull them.
import type { ChapterModule } from '../../src/chapters/types.js';
import type { Lab } from '../../src/lab/types.js';
import { nodeNames, serviceState, swarmNodes } from '../../src/chapters/swarm-state.js';
import { catchUp as drainCatchUp } from '../04-drain/index.js';

export const REGISTRY_IMAGES = ['devcoin/miner', 'devcoin/api', 'devcoin/webui', 'devcoin/redis', 'devcoin/proxy'];

export const checks: ChapterModule['checks'] = [
  {
    id: 'registry-service',
    title: 'service registry runs 1/1, on node1',
    hint: 'create it with the `docker service create --name registry ...` command of this chapter; `docker service ps registry` says why a task fails',
    async run(lab) {
      const s = await serviceState(lab, 'registry');
      if (!s.exists) return { ok: false, detail: 'no service registry' };
      const names = await nodeNames(lab);
      const on = s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running').map((t) => names.get(t.NodeID ?? '') ?? '?');
      return { ok: on.length === 1 && on[0] === 'node1', detail: on.length ? `running on ${on.join(', ')}` : 'no running task' };
    },
  },
  {
    id: 'catalog',
    title: 'the registry at node1:5000 holds miner, api, webui, redis and proxy',
    hint: 'push them: `docker push node1:5000/devcoin/<name>` on node1, then `curl -s http://node1:5000/v2/_catalog`',
    async run(lab) {
      const r = await lab.exec('node1', 'curl -fs --max-time 3 http://node1:5000/v2/_catalog');
      if (r.exitCode !== 0) return { ok: false, detail: 'node1:5000 does not answer' };
      let repos: string[] = [];
      try {
        repos = JSON.parse(r.stdout).repositories ?? [];
      } catch {
        return { ok: false, detail: `not a catalog: ${r.stdout.slice(0, 60)}` };
      }
      const missing = REGISTRY_IMAGES.filter((i) => !repos.includes(i));
      return { ok: missing.length === 0, detail: missing.length ? `missing ${missing.join(', ')}` : `${repos.length} repositories` };
    },
  },
  {
    id: 'pulled-on-node2',
    title: 'node2, which built nothing, has pulled node1:5000/devcoin/miner',
    hint: 'on node2: `docker run --rm node1:5000/devcoin/miner node /app/miner.js --bench 2`',
    async run(lab) {
      const r = await lab.exec('node2', 'docker image inspect --format "{{.Id}}" node1:5000/devcoin/miner');
      return { ok: r.exitCode === 0, detail: r.exitCode === 0 ? 'image present on node2' : 'node2 does not have it' };
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
  progress('no image built or pulled from node1:5000 on any node');
  const names = (await lab.nodes()).map((n) => n.name);
  await Promise.all(
    names.map((n) =>
      lab.exec(n, `docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^(node1:5000/|devcoin-miner:dev)' | xargs -r docker image rm -f >/dev/null 2>&1; true`),
    ),
  );
}
