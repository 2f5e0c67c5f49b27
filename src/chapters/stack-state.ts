// What the DevCoin chapters (stack, proxy, secrets) read from the swarm and from the api.
import type { Lab } from '../lab/types.js';
import type { CheckResult } from './types.js';
import { managerEngine, serviceState, type SwarmService } from './swarm-state.js';

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

/** Two reads of /api/stats 3 s apart through `base` (host:port seen from node1): hashes grow. */
export async function coinsRising(lab: Lab, base: string, miners: number): Promise<CheckResult> {
  const a = await apiGet(lab, `http://${base}/api/stats`);
  if (!a || a.status !== 200) return { ok: false, detail: `http://${base}/api/stats answers ${a?.status ?? 'nothing'}` };
  await new Promise((r) => setTimeout(r, 3000));
  const b = await apiGet(lab, `http://${base}/api/stats`);
  if (!b || b.status !== 200) return { ok: false, detail: `http://${base}/api/stats answers ${b?.status ?? 'nothing'}` };
  const grew = b.body.totalHashes > a.body.totalHashes;
  return {
    ok: grew && b.body.miners === miners,
    detail: `${b.body.miners} miners, ${b.body.coins} coins, hashes ${grew ? 'rising' : 'not rising'} (${Number(b.body.hashRate10s).toLocaleString('en')} H/s)`,
  };
}
