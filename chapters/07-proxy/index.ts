// Chapter 7: HAProxy as the only published port, its config a Docker config, and the miner's
// config rotated from v1 to v2 and in effect.
import type { ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { apiGet, onlyDoor, runningNodes, stackServices } from '../../src/workshop/checks/stack.js';
import { anyConverging, nodeNames, serviceState } from '../../src/swarm/index.js';
import { registryKept } from '../../src/workshop/checks/registry.js';

/** The speed limit in stack/configs/miner-v2.yml */
const V2_LIMIT = 500_000;

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
    // what each running miner reports it read (its speedLimit), not what it measured: how fast a
    // miner hashes depends on the cores it gets, and a capped lab may never reach v2's limit
    title: "the miners use config devcoin-miner-v2, and every live miner reports v2's 500,000 H/s limit as the one it runs with",
    hint: 'rotate with `docker service update --config-rm devcoin-miner-v1 --config-add source=devcoin-miner-v2,target=/etc/devcoin/miner.yml devcoin_miner`',
    async run(lab) {
      const s = await serviceState(lab, 'devcoin_miner');
      if (!s.exists) return { ok: false, detail: 'no service devcoin_miner' };
      const names = configNames(s.service?.Spec);
      const miners = await apiGet(lab, 'http://node1/api/miners');
      const reports: { speedLimit?: number | string }[] = Array.isArray(miners?.body) ? miners!.body : [];
      const onV2 = reports.filter((m) => m.speedLimit === V2_LIMIT).length;
      return {
        ok: names.length === 1 && names[0] === 'devcoin-miner-v2' && reports.length > 0 && onV2 === reports.length,
        detail: `service configs: ${names.join(', ') || 'none'}; ${onV2}/${reports.length} live miners report the ${V2_LIMIT.toLocaleString('en')} H/s limit`,
        converging: s.converging,
      };
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
