// Chapter 7: HAProxy as the only published port, its config a Docker config, and the miner's
// config rotated from v1 to v2 and in effect.
import type { ChapterModule, CheckResult } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { apiGet, onlyDoor, runningNodes, stackServices } from '../../src/workshop/checks/stack.js';
import { anyConverging, nodeNames, serviceState } from '../../src/swarm/index.js';
import { registryKept } from '../../src/workshop/checks/registry.js';

/** The speed limits in stack/configs/miner-v2.yml and miner-v1.yml */
export const V2_LIMIT = 500_000;
export const V1_LIMIT = 250_000;

const hs = (n: number) => `${Math.round(n).toLocaleString('en')} H/s`;

/**
 * The service's configs and the miners' own reports (`/api/miners`: each miner's configured
 * `speedLimit` and its measured `rate`, hashes per second over its last report): v2 is in effect
 * when the service has only devcoin-miner-v2 and every live miner reports v2's limit and a rate
 * above v1's limit, which a miner still on v1 cannot reach. A rate below that with the limit right
 * may be a miner that just started or a machine short of CPU: converging, so verify waits, and
 * then says which miner measured what.
 */
export function minerConfigV2(names: string[], miners: { status: number; body: any } | undefined, converging: boolean): CheckResult {
  const configs = `service configs: ${names.join(', ') || 'none'}`;
  if (!miners || miners.status !== 200 || !Array.isArray(miners.body)) {
    return { ok: false, detail: `${configs}; http://node1/api/miners answers ${miners?.status ?? 'nothing'}: no miner's rate to measure`, converging };
  }
  const reports = miners.body as { node?: string; speedLimit?: number | string; rate?: number }[];
  const onV2 = reports.filter((m) => m.speedLimit === V2_LIMIT);
  const fast = onV2.filter((m) => typeof m.rate === 'number' && m.rate > V1_LIMIT);
  const configured = names.length === 1 && names[0] === 'devcoin-miner-v2';
  const ok = configured && reports.length > 0 && onV2.length === reports.length && fast.length === reports.length;
  const rates = reports.map((m) => `${m.node ?? '?'} ${typeof m.rate === 'number' ? hs(m.rate) : 'no rate'}`).join(', ');
  return {
    ok,
    detail: `${configs}; ${onV2.length}/${reports.length} live miners report the ${hs(V2_LIMIT)} limit, ${fast.length}/${reports.length} measure more than v1's ${hs(V1_LIMIT)}${reports.length ? ` (${rates})` : ''}`,
    // the limit is right and the rate lags: a miner that just started or re-read its config
    converging: converging || (configured && reports.length > 0 && onV2.length === reports.length && !ok),
  };
}

/** Where the proxy image's HAProxy reads its configuration (images/proxy/Dockerfile, CMD). */
const HAPROXY_CFG = '/usr/local/etc/haproxy/haproxy.cfg';

function configsOf(spec: any): { name: string; target: string }[] {
  return (spec?.TaskTemplate?.ContainerSpec?.Configs ?? []).map((c: { ConfigName?: string; File?: { Name?: string } }) => ({ name: c.ConfigName ?? '?', target: c.File?.Name ?? '?' }));
}

function configNames(spec: any): string[] {
  return configsOf(spec).map((c) => c.name);
}

export const checks: ChapterModule['checks'] = [
  {
    id: 'proxy-routes',
    title: 'on every node that runs a proxy, port 80 serves the web UI at / and the api at /api',
    hint: 'deploy proxy.dnsrr.yml; `docker service ps devcoin_proxy` and `docker service logs devcoin_proxy` show what it does',
    async run(lab) {
      const s = await serviceState(lab, 'devcoin_proxy');
      if (!s.exists) return { ok: false, detail: 'no service devcoin_proxy', converging: s.converging };
      const on = [...(await runningNodes(lab, 'devcoin_proxy', await nodeNames(lab)))].sort();
      if (!on.length) return { ok: false, detail: 'no proxy task runs', converging: s.converging };
      const seen: string[] = [];
      let ok = true;
      for (const node of on) {
        const page = await lab.exec('node1', `curl -fs --max-time 3 http://${node}/`);
        const api = await apiGet(lab, `http://${node}/api/stats`);
        const good = /<title>DevCoin<\/title>/.test(page.stdout) && api?.status === 200 && typeof api.body?.coins === 'number';
        if (!good) ok = false;
        seen.push(`${node}: page ${page.exitCode === 0 ? 'ok' : 'no'}, api ${api?.status ?? 'no answer'}`);
      }
      // a page or api that fails while the web UI or the api is being replaced is on its way: the
      // proxy follows their tasks through the DNS within seconds
      return { ok, detail: seen.join('; '), converging: s.converging || (!ok && (await anyConverging(lab, ['devcoin_webui', 'devcoin_api']))) };
    },
  },
  {
    id: 'one-door',
    title: 'only devcoin_proxy publishes a port, and it is 80',
    hint: 'see the ports of each service with the `docker service inspect --format ...` command of this chapter; remove a stray one with `docker service update --publish-rm`',
    run: (lab) => onlyDoor(lab, 'devcoin_proxy', 80),
  },
  {
    id: 'proxy-config',
    title: "the Docker config devcoin-haproxy-v1 is mounted where HAProxy reads its haproxy.cfg",
    hint: 'the proxy service of proxy.dnsrr.yml mounts it at /usr/local/etc/haproxy/haproxy.cfg; see `docker service inspect --pretty devcoin_proxy`',
    async run(lab) {
      const s = await serviceState(lab, 'devcoin_proxy');
      if (!s.exists) return { ok: false, detail: 'no service devcoin_proxy', converging: s.converging };
      const configs = configsOf(s.service?.Spec);
      const mounted = configs.find((c) => c.name === 'devcoin-haproxy-v1');
      if (!mounted) return { ok: false, detail: configs.length ? `configs: ${configs.map((c) => c.name).join(', ')}` : 'no config' };
      const ok = mounted.target === HAPROXY_CFG;
      return { ok, detail: ok ? `devcoin-haproxy-v1 at ${HAPROXY_CFG}` : `devcoin-haproxy-v1 mounted at ${mounted.target}, but HAProxy reads ${HAPROXY_CFG}` };
    },
  },
  {
    id: 'miner-config-v2',
    // measured, not only configured: a miner that still ran v1's settings would report v1's
    // limit, and hash at most 250,000 H/s; the rate is each miner's own count over its last report
    title: "the miners use config devcoin-miner-v2: every live miner reports v2's 500,000 H/s limit and hashes faster than v1's 250,000 H/s allow",
    hint: 'rotate with `docker service update --config-rm devcoin-miner-v1 --config-add source=devcoin-miner-v2,target=/etc/devcoin/miner.yml devcoin_miner`; `curl -s localhost/api/miners` shows each miner\'s speedLimit and rate',
    async run(lab) {
      const s = await serviceState(lab, 'devcoin_miner');
      if (!s.exists) return { ok: false, detail: 'no service devcoin_miner' };
      return minerConfigV2(configNames(s.service?.Spec), await apiGet(lab, 'http://node1/api/miners'), s.converging);
    },
  },
  registryKept(),
];

/** Chapter 7's promise that later chapters keep: one door. */
export const oneDoor = checks.find((c) => c.id === 'one-door')!;

/** Chapter 6's end, by running chapter 6 (no proxy yet, no configs). */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await replayChapter(lab, 'stack', progress);
  // a config of an earlier attempt would make `docker config create` fail
  await lab.exec('node1', 'docker config rm devcoin-miner-v2 >/dev/null 2>&1; true');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images', 'configs'];

/** node1's port 80 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 80;
