// What the observe chapter's Prometheus says, asked through the proxy on node1 (the one door,
// localhost/prometheus), as a student would with curl.
import type { Lab } from '../../lab/index.js';

export const PROMETHEUS = 'localhost/prometheus';

export interface PromTarget {
  job: string;
  instance: string;
  health: string;
  lastError?: string;
}

export type PromAnswer<T> = { ok: true; value: T } | { ok: false; why: string };

async function getJson(lab: Lab, path: string): Promise<PromAnswer<any>> {
  const r = await lab.exec('node1', `curl -s --max-time 4 -w '\\n%{http_code}' '${PROMETHEUS}${path}'`);
  if (r.exitCode !== 0) return { ok: false, why: `${PROMETHEUS} does not answer (curl exit ${r.exitCode})` };
  const lines = r.stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  if (status !== 200) return { ok: false, why: `${PROMETHEUS}${path.split('?')[0]} answers ${status || 'nothing'}` };
  try {
    const body = JSON.parse(lines.join('\n'));
    if (body.status !== 'success') return { ok: false, why: `Prometheus says ${body.error ?? body.status}` };
    return { ok: true, value: body.data };
  } catch {
    return { ok: false, why: `not Prometheus's JSON: ${lines.join(' ').slice(0, 60)}` };
  }
}

/** Every active target: its job, instance and health (up, down, unknown: not scraped yet). */
export async function promTargets(lab: Lab): Promise<PromAnswer<PromTarget[]>> {
  const r = await getJson(lab, '/api/v1/targets?state=active');
  if (!r.ok) return r;
  const targets = (r.value?.activeTargets ?? []) as { labels?: { job?: string; instance?: string }; health?: string; lastError?: string }[];
  return { ok: true, value: targets.map((t) => ({ job: t.labels?.job ?? '?', instance: t.labels?.instance ?? '?', health: t.health ?? '?', lastError: t.lastError || undefined })) };
}

/** An instant query: each series' labels and its value. */
export async function promQuery(lab: Lab, query: string): Promise<PromAnswer<{ metric: Record<string, string>; value: number }[]>> {
  const r = await getJson(lab, `/api/v1/query?query=${encodeURIComponent(query)}`);
  if (!r.ok) return r;
  const result = (r.value?.result ?? []) as { metric: Record<string, string>; value: [number, string] }[];
  return { ok: true, value: result.map((x) => ({ metric: x.metric, value: Number(x.value?.[1]) })) };
}
