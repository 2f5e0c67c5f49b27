// Chapter 6: the DevCoin stack deployed from the registry, miners scaled over several nodes,
// coins rising.
import type { ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { nodeNames, serviceState } from '../../src/swarm/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { miningOnEveryNode, onlyDoor, runningNodes, stackServices } from '../../src/workshop/checks/stack.js';
import { registryKept } from '../../src/workshop/checks/registry.js';

/** The web UI's replicas in stack.vip.yml (the mesh form; the dnsrr form runs it global). */
const WEBUI_REPLICAS = 2;

export const checks: ChapterModule['checks'] = [
  {
    id: 'stack-converged',
    // without the mesh the web UI runs on every node (global, host-mode ports); with it, the
    // replicas stack.vip.yml asks for, reached through the mesh on any node
    title: 'stack devcoin: redis 1, api 1, miner 6 and the web UI (one on each of the 5 nodes, or its 2 replicas behind the routing mesh), running',
    hint: 'deploy with `REGISTRY=node1:5000/ docker stack deploy ...`, scale with `docker service scale devcoin_miner=6`; `docker stack services devcoin` shows what is missing',
    async run(lab) {
      const want: Record<string, number> = { redis: 1, api: 1, miner: 6, webui: 5 };
      const seen: string[] = [];
      let ok = true;
      let converging = false;
      for (const [svc, n] of Object.entries(want)) {
        const s = await serviceState(lab, `devcoin_${svc}`);
        seen.push(`${svc} ${s.running}`);
        // the web UI: global, one task per node (dnsrr); replicated, the 2 replicas stack.vip.yml
        // asks for (mesh), as the hint's 2/2 says: any other count is not the chapter's stack
        const global = !!s.service?.Spec?.Mode?.Global;
        const wanted = svc === 'webui' && !global ? WEBUI_REPLICAS : n;
        if (!s.exists || s.running !== wanted || ((svc !== 'webui' || !global) && s.desired !== wanted)) ok = false;
        converging ||= s.converging;
      }
      return { ok, detail: seen.join(', '), converging };
    },
  },
  {
    id: 'from-registry',
    title: 'every service of the stack runs an image from node1:5000',
    hint: 'deploy again with `REGISTRY=node1:5000/` in front of `docker stack deploy`',
    async run(lab) {
      const services = await stackServices(lab);
      if (!services.length) return { ok: false, detail: 'no stack devcoin' };
      const other = services.filter((s) => !(s.image ?? '').startsWith('node1:5000/'));
      return { ok: other.length === 0, detail: other.length ? other.map((s) => `${s.name}: ${s.image?.split('@')[0]}`).join(', ') : `${services.length} services from node1:5000` };
    },
  },
  {
    id: 'miners-spread',
    title: 'the miners run on at least 3 different nodes',
    hint: 'scale the miners (`docker service scale devcoin_miner=6`) and look at `docker service ps devcoin_miner`',
    async run(lab) {
      const nodes = await runningNodes(lab, 'devcoin_miner', await nodeNames(lab));
      return { ok: nodes.size >= 3, detail: nodes.size ? `on ${[...nodes].sort().join(', ')}` : 'no miner running' };
    },
  },
  {
    id: 'coins-rising',
    title: 'the api, through the web UI on port 8080 of every node, sees 6 miners hashing now',
    hint: 'ask `curl -s localhost:8080/api/stats` on node1, and `curl -s node2:8080/api/stats` and so on for the others; if one does not answer, see `docker service ps devcoin_webui` and `docker service logs devcoin_api`',
    run: (lab) => miningOnEveryNode(lab, 8080, 6),
  },
  {
    id: 'one-door',
    title: 'of the stack, only the web UI publishes a port (8080); redis and the api stay inside',
    hint: 'only webui has `ports:` in stack.dnsrr.yml; remove a stray one with `docker service update --publish-rm`',
    run: (lab) => onlyDoor(lab, 'devcoin_webui', 8080),
  },
  registryKept(),
];

/** Chapter 5's end, by running chapter 5. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await lab.exec('node1', 'docker stack rm devcoin >/dev/null 2>&1; true');
  await replayChapter(lab, 'registry', progress);
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images'];

/** node1's port 8080 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 8080;
