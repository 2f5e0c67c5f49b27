// Chapter 10: Prometheus in the stack, behind the proxy, scraping every miner task, the api and
// a node exporter on every node (found through Swarm's DNS), answering the hash rate per node;
// nothing published but the proxy (and chapter 5's registry).
import type { ChapterModule, CheckResult } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { mining, runningNodes } from '../../src/workshop/checks/stack.js';
import { anyConverging, managerEngine, nodeNames, serviceState, swarmNodes, type SwarmService } from '../../src/swarm/index.js';
import { promQuery, promTargets } from '../../src/workshop/checks/prometheus.js';
import { registryKept } from '../../src/workshop/checks/registry.js';
import { goodVersion } from '../09-update/index.js';

/** The query the chapter teaches: hashes per second per node, over the last 10 s. */
export const PER_NODE = 'sum by (node) (rate(devcoin_miner_hashes_total[10s]))';

/** The services whose tasks Prometheus scrapes, by job. */
const JOBS: { job: string; service: string }[] = [
  { job: 'miner', service: 'devcoin_miner' },
  { job: 'api', service: 'devcoin_api' },
  { job: 'node', service: 'devcoin_node-exporter' },
];
const OBSERVED = ['devcoin_prometheus', ...JOBS.map((j) => j.service)];

/** The ports the swarm may publish at the end of the workshop: the one door and chapter 5's registry. */
const ALLOWED_PORTS: Record<string, number[]> = { devcoin_proxy: [80], registry: [5000] };

const rate = (v: number) => `${Math.round(v).toLocaleString('en')} H/s`;

export const checks: ChapterModule['checks'] = [
  {
    id: 'targets-up',
    title: 'Prometheus (through the proxy, /prometheus) scrapes every miner task, the api and a node exporter on every node, all up',
    hint: 'deploy /workshop/swarm/observe.dnsrr.yml; `curl -sG localhost/prometheus/api/v1/query --data-urlencode query=up` on node1 lists the targets, and `docker service ps` of a missing one says why',
    async run(lab): Promise<CheckResult> {
      const t = await promTargets(lab);
      if (!t.ok) return { ok: false, detail: t.why, converging: await anyConverging(lab, ['devcoin_prometheus', 'devcoin_proxy']) };
      const ready = (await swarmNodes(lab)).filter((n) => n.Status?.State === 'ready').length;
      const parts: string[] = [];
      const errors: string[] = [];
      let ok = true;
      let converging = false;
      for (const { job, service } of JOBS) {
        const s = await serviceState(lab, service);
        // a node exporter on every ready node; one target per running task for the others
        const expected = job === 'node' ? ready : s.running;
        const mine = t.value.filter((x) => x.job === job);
        const up = mine.filter((x) => x.health === 'up').length;
        parts.push(`${job} ${up}/${expected} up${mine.length !== expected ? ` (${mine.length} found)` : ''}`);
        const down = mine.find((x) => x.health === 'down');
        if (down) errors.push(`${down.instance}: ${down.lastError ?? 'down'}`);
        if (!s.exists || expected === 0 || up !== expected || mine.length !== expected) ok = false;
        // new targets are found within 2 s (DNS) and scraped within 2 s more; tasks may be starting
        converging ||= s.converging || mine.some((x) => x.health === 'unknown') || (s.exists && mine.length !== s.running);
      }
      return { ok, detail: parts.join(', ') + (errors.length ? `; ${errors.join('; ')}` : ''), converging: !ok && converging };
    },
  },
  {
    id: 'per-node-rate',
    title: `Prometheus answers ${PER_NODE} with a rate for every node that runs a miner`,
    hint: `ask it on node1: curl -sG localhost/prometheus/api/v1/query --data-urlencode 'query=${PER_NODE}'; a node missing there has a miner Prometheus cannot scrape (see targets)`,
    async run(lab): Promise<CheckResult> {
      const want = [...(await runningNodes(lab, 'devcoin_miner', await nodeNames(lab)))].sort();
      if (!want.length) return { ok: false, detail: 'no miner task runs', converging: await anyConverging(lab, ['devcoin_miner']) };
      const q = await promQuery(lab, PER_NODE);
      if (!q.ok) return { ok: false, detail: q.why, converging: await anyConverging(lab, OBSERVED) };
      const by = new Map(q.value.map((x) => [x.metric.node ?? '?', x.value]));
      const missing = want.filter((n) => !(Number(by.get(n)) > 0));
      const seen = [...by].sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => `${n} ${rate(v)}`).join(', ') || 'no series';
      return {
        ok: missing.length === 0,
        detail: missing.length ? `no rate for ${missing.join(', ')} (runs a miner); Prometheus answers: ${seen}` : seen,
        // a miner started a moment ago needs two scrapes (up to 4 s) before it has a rate
        converging: missing.length > 0 && (await anyConverging(lab, OBSERVED)),
      };
    },
  },
  {
    id: 'one-door',
    title: "of all the swarm's services only devcoin_proxy (80) and the registry (5000) publish a port: Prometheus and the exporters none",
    hint: 'reach Prometheus through the proxy (localhost/prometheus), never by its own port; remove a stray one with `docker service update --publish-rm`',
    async run(lab): Promise<CheckResult> {
      const m = await managerEngine(lab);
      if (!m) return { ok: false, detail: 'no manager answers' };
      const services = (await m.listServices()) as SwarmService[];
      const publishing = services
        .map((s) => ({ name: s.Spec?.Name ?? '?', ports: (s.Spec?.EndpointSpec?.Ports ?? []).map((p) => p.PublishedPort ?? 0) }))
        .filter((s) => s.ports.length)
        .sort((a, b) => a.name.localeCompare(b.name));
      const extra = publishing.filter((s) => (ALLOWED_PORTS[s.name] ?? []).join() !== s.ports.join());
      const proxy = publishing.some((s) => s.name === 'devcoin_proxy' && s.ports.join() === '80');
      const seen = publishing.map((s) => `${s.name}: ${s.ports.join(',')}`).join('; ') || 'nothing publishes a port';
      return { ok: extra.length === 0 && proxy, detail: proxy ? seen : `${seen} (devcoin_proxy does not publish 80)` };
    },
  },
  // chapter 9's promise: this chapter's deploy keeps v2 (MINER_TAG=v2)
  goodVersion,
  {
    id: 'still-mining',
    title: 'through the proxy the api sees 2 miners hashing now (scaled back), and coins rising',
    hint: 'scale back with `docker service scale devcoin_miner=2`; `curl -s localhost/api/stats` on node1',
    run: (lab) => mining(lab, 'localhost', 2),
  },
  registryKept(),
];

/** Chapter 9's end, by running chapter 9. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await replayChapter(lab, 'update', progress);
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images', 'configs', 'secrets'];

/** node1's port 80 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 80;
