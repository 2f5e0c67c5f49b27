// Chapter 1: the compose stack on node1 with three miners, two networks, one published port,
// and three miners really mining faster than one could.
import type { ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { startAll } from '../../src/workshop/checks/cluster.js';
import { leaveSwarm } from '../../src/swarm/index.js';

const PROJECT = 'com.docker.compose.project=devcoin';
/** one miner's speed limit in stack/configs/miner-v1.yml */
const ONE_MINER = 250_000;

interface Container {
  service: string;
  state: string;
  ports: string;
  networks: string[];
}

async function containers(lab: Lab): Promise<Container[]> {
  const fmt = `{{.Label "com.docker.compose.service"}}|{{.State}}|{{.Ports}}|{{.Networks}}`;
  const r = await lab.exec('node1', `docker ps --filter label=${PROJECT} --format '${fmt}'`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [service, state, ports, networks] = l.split('|');
      return { service, state, ports, networks: networks.split(',').filter(Boolean).sort() };
    });
}

async function apiStats(lab: Lab): Promise<{ miners: number; hashRate10s: number; coins: number } | undefined> {
  const r = await lab.exec('node1', 'curl -fs --max-time 3 localhost/api/stats');
  if (r.exitCode !== 0) return undefined;
  try {
    return JSON.parse(r.stdout);
  } catch {
    return undefined;
  }
}

export const checks: ChapterModule['checks'] = [
  {
    id: 'compose-up',
    title: 'the devcoin compose project runs redis, api, webui, proxy and 3 miners on node1',
    hint: 'start it with `docker compose -f /workshop/compose.yml up -d --scale miner=3` on node1',
    async run(lab) {
      const cs = (await containers(lab)).filter((c) => c.state === 'running');
      const count = (s: string) => cs.filter((c) => c.service === s).length;
      const ok = ['redis', 'api', 'webui', 'proxy'].every((s) => count(s) === 1) && count('miner') === 3;
      const seen = ['redis', 'api', 'webui', 'proxy', 'miner'].map((s) => `${s} ${count(s)}`).join(', ');
      return { ok, detail: seen };
    },
  },
  {
    id: 'one-door',
    title: 'only the proxy publishes a port (80)',
    hint: 'only the proxy service has `ports:` in compose.yml; `docker compose ps` shows who publishes what',
    async run(lab) {
      const cs = await containers(lab);
      const publishing = cs.filter((c) => c.ports.includes('->'));
      const proxy80 = publishing.length === 1 && publishing[0].service === 'proxy' && /:80->80\/tcp/.test(publishing[0].ports);
      return { ok: proxy80, detail: publishing.length ? publishing.map((c) => `${c.service} ${c.ports}`).join('; ') : 'nothing publishes a port' };
    },
  },
  {
    id: 'networks',
    title: 'every service on devcoin_private, only the proxy also on devcoin_proxy',
    hint: 'compare `docker network inspect devcoin_private` and `devcoin_proxy` with the networks in compose.yml',
    async run(lab) {
      const cs = await containers(lab);
      if (!cs.length) return { ok: false, detail: 'no container of the project runs' };
      const wrong = cs.filter((c) => c.networks.join(',') !== (c.service === 'proxy' ? 'devcoin_private,devcoin_proxy' : 'devcoin_private'));
      return { ok: wrong.length === 0, detail: wrong.length ? wrong.map((c) => `${c.service} on ${c.networks.join('+') || 'no network'}`).join('; ') : `${cs.length} containers as described` };
    },
  },
  {
    id: 'scaled-rate',
    title: 'through the proxy the api reports 3 miners, hashing faster than one miner can, and coins stored',
    hint: 'scale with `--scale miner=3`, wait ten seconds, then `curl -s localhost/api/stats` on node1',
    async run(lab) {
      const s = await apiStats(lab);
      if (!s) return { ok: false, detail: 'no answer from http://node1/api/stats' };
      return {
        ok: s.miners === 3 && s.hashRate10s > 1.5 * ONE_MINER && s.coins > 0,
        detail: `${s.miners} miners, ${s.hashRate10s.toLocaleString('en')} H/s over 10 s (one miner: at most ${ONE_MINER.toLocaleString('en')}), ${s.coins} coins stored`,
      };
    },
  },
];

/** The workshop starts here: every node up, no swarm, no compose project on node1. */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await startAll(lab);
  progress('every node leaves any swarm');
  await leaveSwarm(lab);
  progress('no compose project on node1');
  await lab.exec('node1', 'docker compose -f /workshop/compose.yml down --volumes --remove-orphans >/dev/null 2>&1 || true');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['swarm', 'compose'];

/** node1's port 80 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 80;
