// What the DevCoin chapters (stack, proxy, secrets) read from the swarm and from the api.
import type { Lab } from '../../lab/index.js';
import type { CheckResult } from '../types.js';
import { anyConverging, managerEngine, serviceState, type SwarmService } from '../../swarm/index.js';

/** The DevCoin services whose restarts a reading through the api waits for. */
const STACK = ['devcoin_redis', 'devcoin_api', 'devcoin_miner', 'devcoin_webui', 'devcoin_proxy'];

export interface StackService {
  name: string;
  image?: string;
  spec: SwarmService['Spec'];
}

/** The services of stack `devcoin` (label com.docker.stack.namespace). */
export async function stackServices(lab: Lab, stack = 'devcoin'): Promise<StackService[]> {
  const m = await managerEngine(lab);
  if (!m) return [];
  const list = (await m.listServices({ filters: { label: [`com.docker.stack.namespace=${stack}`] } })) as SwarmService[];
  return list.map((s) => ({ name: s.Spec?.Name ?? '?', image: s.Spec?.TaskTemplate?.ContainerSpec?.Image, spec: s.Spec }));
}

/**
 * One door: of stack devcoin, only `service` publishes a port, and only `port` (the promise of
 * chapter 6 with the web UI, of chapters 7 and 8 with the proxy). The detail lists who publishes what.
 */
export async function onlyDoor(lab: Lab, service: string, port: number): Promise<CheckResult> {
  const services = await stackServices(lab);
  if (!services.length) return { ok: false, detail: 'no stack devcoin' };
  const publishing = services
    .map((s) => ({ name: s.name, ports: (s.spec?.EndpointSpec?.Ports ?? []).map((p) => p.PublishedPort) }))
    .filter((s) => s.ports.length);
  const ok = publishing.length === 1 && publishing[0].name === service && publishing[0].ports.join() === String(port);
  return { ok, detail: publishing.length ? publishing.map((s) => `${s.name}: ${s.ports.join(',')}`).join('; ') : 'nothing publishes a port' };
}

/** Node names running a task of `service`. */
export async function runningNodes(lab: Lab, service: string, names: Map<string, string>): Promise<Set<string>> {
  const s = await serviceState(lab, service);
  return new Set(s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running').map((t) => names.get(t.NodeID ?? '') ?? '?'));
}

export async function apiGet(lab: Lab, url: string): Promise<{ status: number; body: any } | undefined> {
  const r = await lab.exec('node1', `curl -s --max-time 3 -w '\\n%{http_code}' ${url}`);
  if (r.exitCode !== 0) return undefined;
  const lines = r.stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  try {
    return { status, body: JSON.parse(lines.join('\n')) };
  } catch {
    return { status, body: lines.join('\n') };
  }
}

/** A coin stored this recently proves the count is growing now (difficulty 5: one every few seconds). */
export const FRESH_COIN_MS = 30_000;

/**
 * The api, through `base` (host:port seen from node1), reports `miners` miners hashing in the
 * last 10 s (a sum over per-second counts in Redis: one read, no waiting between two samples),
 * and the coin count growing: the newest coin was stored within FRESH_COIN_MS of the api's clock.
 */
export async function mining(lab: Lab, base: string, miners: number): Promise<CheckResult> {
  const s = await apiGet(lab, `http://${base}/api/stats`);
  if (!s || s.status !== 200) return { ok: false, detail: `http://${base}/api/stats answers ${s?.status ?? 'nothing'}`, converging: await anyConverging(lab, STACK) };
  const rate = Number(s.body.hashRate10s);
  const c = await apiGet(lab, `http://${base}/api/coins?limit=1`);
  const newest = Array.isArray(c?.body) ? (c!.body[0] as { time?: number } | undefined) : undefined;
  const age = newest?.time ? Number(s.body.time) - newest.time : undefined;
  const growing = age !== undefined && age < FRESH_COIN_MS;
  const last = age === undefined ? 'no coin stored yet' : `newest coin ${Math.max(0, Math.round(age / 1000))} s old`;
  const ok = s.body.miners === miners && rate > 0 && growing;
  if (ok) return { ok, detail: `${s.body.miners} miners, ${s.body.coins} coins (${last}), ${rate.toLocaleString('en')} H/s over the last 10 s` };
  // the api sees miners by their reports: a miner task just started reports in a moment, a
  // stopped one's report expires in seconds; while the two counts differ, the reading lags Swarm
  const tasks = (await serviceState(lab, 'devcoin_miner')).running;
  return {
    ok,
    detail: `${s.body.miners} miners, ${s.body.coins} coins (${last}), ${rate.toLocaleString('en')} H/s over the last 10 s`,
    converging: s.body.miners !== tasks || (await anyConverging(lab, STACK)),
  };
}

/**
 * `mining` asked through `port` of every node of the lab (the chapter says every node answers:
 * each runs a web UI task, or the routing mesh forwards), not only node1's. A node that is not
 * running answers nothing: a failure that names it. The detail is the first failing node's
 * reading (or node1's) and which nodes it is from.
 */
export async function miningOnEveryNode(lab: Lab, port: number, miners: number): Promise<CheckResult> {
  const nodes = await lab.nodes();
  if (!nodes.length) return { ok: false, detail: 'the lab lists no node to ask' };
  const seen: { node: string; r: CheckResult }[] = [];
  for (const n of nodes) {
    if (n.state !== 'running') seen.push({ node: n.name, r: { ok: false, detail: `${n.name} is ${n.state}: not asked` } });
    else seen.push({ node: n.name, r: await mining(lab, n.name === 'node1' ? `localhost:${port}` : `${n.name}:${port}`, miners) });
  }
  const bad = seen.filter((s) => !s.r.ok);
  const names = (l: typeof seen) => l.map((s) => s.node).join(', ');
  if (!bad.length) return { ok: true, detail: `${seen[0].r.detail} (asked through port ${port} of ${names(seen)})` };
  const good = seen.filter((s) => s.r.ok);
  return {
    ok: false,
    detail: `${bad[0].r.detail} (through port ${port} of ${bad[0].node}${bad.length > 1 ? `; failing too: ${names(bad.slice(1))}` : ''}${good.length ? `; answering: ${names(good)}` : ''})`,
    converging: bad.some((s) => s.r.converging),
  };
}
