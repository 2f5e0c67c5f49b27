// Chapter 7: HAProxy as the only published port, its config a Docker config, and the miner's
// config rotated from v1 to v2 and in effect.
import type { ChapterModule } from '../../src/chapters/types.js';
import type { Lab } from '../../src/lab/types.js';
import { replayChapter } from '../../src/chapters/replay.js';
import { apiGet, stackServices } from '../../src/chapters/stack-state.js';
import { serviceState } from '../../src/chapters/swarm-state.js';

/** The speed limit in stack/configs/miner-v2.yml */
const V2_LIMIT = 500_000;

function configNames(spec: any): string[] {
  return (spec?.TaskTemplate?.ContainerSpec?.Configs ?? []).map((c: { ConfigName?: string }) => c.ConfigName ?? '?');
}

export const checks: ChapterModule['checks'] = [
  {
    id: 'proxy-routes',
    title: 'the proxy on port 80 serves the web UI at / and the api at /api (on node1 and node4)',
    hint: 'deploy proxy.dnsrr.yml; `docker service ps devcoin_proxy` and `docker service logs devcoin_proxy` show what it does',
    async run(lab) {
      const seen: string[] = [];
      let ok = true;
      for (const node of ['node1', 'node4']) {
        const page = await lab.exec('node1', `curl -fs --max-time 3 http://${node}/`);
        const api = await apiGet(lab, `http://${node}/api/stats`);
        const good = /<title>DevCoin<\/title>/.test(page.stdout) && api?.status === 200 && typeof api.body?.coins === 'number';
        if (!good) ok = false;
        seen.push(`${node}: page ${page.exitCode === 0 ? 'ok' : 'no'}, api ${api?.status ?? 'no answer'}`);
      }
      return { ok, detail: seen.join('; ') };
    },
  },
  {
    id: 'one-door',
    title: 'only devcoin_proxy publishes a port, and it is 80',
    hint: 'see the ports of each service with the `docker service inspect --format ...` command of this chapter; remove a stray one with `docker service update --publish-rm`',
    async run(lab) {
      const services = await stackServices(lab);
      if (!services.length) return { ok: false, detail: 'no stack devcoin' };
      const publishing = services
        .map((s) => ({ name: s.name, ports: ((s.spec as any)?.EndpointSpec?.Ports ?? []).map((p: { PublishedPort?: number }) => p.PublishedPort) }))
        .filter((s) => s.ports.length);
      const ok = publishing.length === 1 && publishing[0].name === 'devcoin_proxy' && publishing[0].ports.join() === '80';
      return { ok, detail: publishing.length ? publishing.map((s) => `${s.name}: ${s.ports.join(',')}`).join('; ') : 'nothing publishes a port' };
    },
  },
  {
    id: 'proxy-config',
    title: "the proxy's haproxy.cfg is the Docker config devcoin-haproxy-v1",
    hint: 'the proxy service of proxy.dnsrr.yml mounts it; see `docker service inspect --pretty devcoin_proxy`',
    async run(lab) {
      const s = await serviceState(lab, 'devcoin_proxy');
      if (!s.exists) return { ok: false, detail: 'no service devcoin_proxy' };
      const names = configNames(s.service?.Spec);
      return { ok: names.includes('devcoin-haproxy-v1'), detail: names.length ? `configs: ${names.join(', ')}` : 'no config' };
    },
  },
  {
    id: 'miner-config-v2',
    title: 'the miners use config devcoin-miner-v2, and every live miner runs at its 500,000 H/s limit',
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
        detail: `service configs: ${names.join(', ') || 'none'}; ${onV2}/${reports.length} live miners at ${V2_LIMIT.toLocaleString('en')} H/s`,
      };
    },
  },
];

/** Chapter 6's end, by running chapter 6 (no proxy yet, no configs). */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await replayChapter(lab, 'stack', progress);
  // a config of an earlier attempt would make `docker config create` fail
  await lab.exec('node1', 'docker config rm devcoin-miner-v2 >/dev/null 2>&1; true');
}
