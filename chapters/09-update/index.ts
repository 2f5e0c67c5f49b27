// Chapter 9: the miners with a healthcheck and a safe update policy, v2 rolled out, a broken v3
// rolled back by Swarm, and a bad config change rolled back by hand.
import type { ChapterModule, Check, CheckResult } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { apiGet, mining } from '../../src/workshop/checks/stack.js';
import { managerEngine, nodeNames, serviceState, type SwarmTask } from '../../src/swarm/index.js';
import { healthcheckOf, taskHealth } from '../../src/workshop/checks/task-health.js';
import { registryKept } from '../../src/workshop/checks/registry.js';
import { oneDoor } from '../07-proxy/index.js';

const MINER = 'devcoin_miner';
/** The good version the chapter ships, and the broken one Swarm must have rolled back. */
export const GOOD = 'node1:5000/devcoin/miner:v2';
export const BROKEN = 'node1:5000/devcoin/miner:v3';
const GOOD_VERSION = 'v2';

/** An image reference without its @digest (Swarm pins the digest it resolved). */
const tagOf = (image?: string) => (image ?? '?').split('@')[0];

const seconds = (ns?: number) => `${(ns ?? 0) / 1e9}s`;

interface UpdatePolicy {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

/** What a policy differs in from the one chapter 9's stack file sets, one phrase each. */
export function policyProblems(update: UpdatePolicy | undefined, rollback: UpdatePolicy | undefined): string[] {
  const bad: string[] = [];
  if (!update) return ['no update_config'];
  if ((update.Parallelism ?? 1) !== 1) bad.push(`update parallelism ${update.Parallelism} (expected 1)`);
  if (!(Number(update.Delay) > 0)) bad.push('no delay between tasks');
  if (update.Order !== 'start-first') bad.push(`update order ${update.Order ?? 'stop-first'} (expected start-first)`);
  if (update.FailureAction !== 'rollback') bad.push(`failure action ${update.FailureAction ?? 'pause'} (expected rollback)`);
  if (!(Number(update.Monitor) > 0)) bad.push('no monitor period');
  if (Number(update.MaxFailureRatio ?? 0) !== 0) bad.push(`max failure ratio ${update.MaxFailureRatio} (expected 0: one failed task is enough)`);
  if (!rollback) bad.push('no rollback_config');
  else if (rollback.Order !== 'start-first') bad.push(`rollback order ${rollback.Order ?? 'stop-first'} (expected start-first)`);
  return bad;
}

/** The running tasks of the miner service and the image each runs. */
async function runningMinerImages(lab: Lab): Promise<{ images: string[]; converging: boolean; exists: boolean }> {
  const s = await serviceState(lab, MINER);
  const running = s.tasks.filter((t) => t.Status?.State === 'running' && t.DesiredState === 'running');
  return { images: running.map((t) => tagOf(t.Spec?.ContainerSpec?.Image)), converging: s.converging, exists: s.exists };
}

const count = (xs: string[]) => [...new Set(xs)].map((x) => `${x} (${xs.filter((y) => y === x).length})`).join(', ');

/**
 * The good version runs on every miner task, and every live miner says so to the web UI (each
 * reports the version its image was built as). Chapter 10 keeps this promise: its deploy must
 * say MINER_TAG=v2.
 */
export const goodVersion: Check = {
  id: 'good-version',
  title: `every miner task runs ${GOOD}, and every live miner reports version ${GOOD_VERSION} to the web UI`,
  hint: `roll it out with \`docker service update --image ${GOOD} devcoin_miner\` (built with \`--build-arg MINER_VERSION=v2\` and pushed); a stack deploy needs MINER_TAG=v2`,
  async run(lab): Promise<CheckResult> {
    const t = await runningMinerImages(lab);
    if (!t.exists) return { ok: false, detail: `no service ${MINER}` };
    if (!t.images.length) return { ok: false, detail: 'no miner task runs', converging: t.converging };
    const other = t.images.filter((i) => i !== GOOD);
    if (other.length) return { ok: false, detail: `miner tasks run ${count(t.images)}`, converging: t.converging };
    const miners = await apiGet(lab, 'http://localhost/api/miners');
    const reports: { version?: string }[] = Array.isArray(miners?.body) ? miners!.body : [];
    if (!reports.length) return { ok: false, detail: `${t.images.length} tasks on ${GOOD}, but the web UI lists no miner (api: ${miners?.status ?? 'no answer'})`, converging: true };
    const versions = reports.map((m) => m.version ?? 'none');
    const ok = versions.every((v) => v === GOOD_VERSION) && versions.length === t.images.length;
    return {
      ok,
      detail: `${t.images.length} tasks on ${GOOD}; the web UI lists versions ${versions.join(', ')}`,
      // a replaced miner's report lingers a few seconds; a new one reports within a second
      converging: !ok && (versions.length !== t.images.length || t.converging),
    };
  },
};

export const checks: ChapterModule['checks'] = [
  {
    id: 'update-policy',
    title: 'devcoin_miner has a healthcheck, and updates one task at a time, start-first, rolled back on failure (with a rollback_config)',
    hint: 'deploy /workshop/swarm/update.dnsrr.yml (healthcheck, update_config, rollback_config under the miner); `docker service inspect --pretty devcoin_miner` shows the policy',
    async run(lab) {
      const s = await serviceState(lab, MINER);
      if (!s.exists) return { ok: false, detail: `no service ${MINER}` };
      const spec = s.service?.Spec as { UpdateConfig?: UpdatePolicy; RollbackConfig?: UpdatePolicy } | undefined;
      const bad = policyProblems(spec?.UpdateConfig, spec?.RollbackConfig);
      if (!healthcheckOf(s.service?.Spec)) bad.unshift('no healthcheck');
      const u = spec?.UpdateConfig;
      return {
        ok: bad.length === 0,
        detail: bad.length ? bad.join('; ') : `healthcheck; update parallelism ${u?.Parallelism}, delay ${seconds(u?.Delay)}, ${u?.Order}, on failure ${u?.FailureAction}, monitor ${seconds(u?.Monitor)}; rollback ${spec?.RollbackConfig?.Order}`,
      };
    },
  },
  {
    id: 'healthy',
    title: 'every running miner task is healthy (its healthcheck passes)',
    hint: 'a miner is healthy while it hashes and Redis takes its writes: `docker ps` on its node shows (healthy); `docker service logs devcoin_miner` says what fails',
    async run(lab) {
      const s = await serviceState(lab, MINER);
      if (!s.exists) return { ok: false, detail: `no service ${MINER}` };
      if (!healthcheckOf(s.service?.Spec)) return { ok: false, detail: `${MINER} has no healthcheck` };
      const tasks = await taskHealth(lab, MINER);
      if (!tasks.length) return { ok: false, detail: 'no miner task runs', converging: s.converging };
      const bad = tasks.filter((t) => t.status !== 'healthy');
      return {
        ok: bad.length === 0,
        detail: bad.length
          ? `${tasks.length - bad.length}/${tasks.length} healthy; ${bad.map((t) => `${t.task} on ${t.node}: ${t.status}${t.last ? ` (${t.last})` : ''}`).join('; ')}`
          : `${tasks.length}/${tasks.length} healthy (${tasks.map((t) => t.node).sort().join(', ')})`,
        converging: s.converging || bad.some((t) => t.status === 'starting'),
      };
    },
  },
  goodVersion,
  {
    id: 'no-broken',
    title: `no task of the broken version (${BROKEN}) runs anywhere in the swarm`,
    hint: `Swarm should have rolled v3 back by itself; if it did not, \`docker service rollback devcoin_miner\`, and remove any other service running ${BROKEN}`,
    async run(lab) {
      const m = await managerEngine(lab);
      if (!m) return { ok: false, detail: 'no manager answers' };
      const tasks = (await m.listTasks({ filters: { 'desired-state': ['running'] } })) as (SwarmTask & { ServiceID?: string })[];
      const broken = tasks.filter((t) => tagOf(t.Spec?.ContainerSpec?.Image) === BROKEN && ['running', 'starting', 'preparing', 'assigned', 'accepted', 'pending', 'ready'].includes(t.Status?.State ?? ''));
      if (!broken.length) return { ok: true, detail: 'none' };
      const services = new Map(((await m.listServices()) as { ID: string; Spec?: { Name?: string } }[]).map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
      const names = await nodeNames(lab);
      return {
        ok: false,
        detail: `${BROKEN} runs: ${broken.map((t) => `${services.get(t.ServiceID ?? '') ?? '?'}.${t.Slot ?? ''} on ${names.get(t.NodeID ?? '') ?? '?'} (${t.Status?.State})`).join(', ')}`,
        converging: (await serviceState(lab, MINER)).converging,
      };
    },
  },
  {
    id: 'rolled-back',
    title: "devcoin_miner's last change was rolled back (rollback_completed), and it is on config devcoin-miner-v2 again",
    hint: 'after the config change of this chapter, `docker service rollback devcoin_miner`; `docker service inspect devcoin_miner --format "{{json .UpdateStatus}}"` shows the state',
    async run(lab) {
      const s = await serviceState(lab, MINER);
      if (!s.exists) return { ok: false, detail: `no service ${MINER}` };
      const st = s.service?.UpdateStatus;
      const configs = ((s.service?.Spec?.TaskTemplate?.ContainerSpec as { Configs?: { ConfigName?: string }[] } | undefined)?.Configs ?? []).map((c) => c.ConfigName ?? '?');
      const state = st?.State ?? 'none';
      const status = `update status ${state}${st?.Message ? ` (${st.Message})` : ''}`;
      const onV2 = configs.length === 1 && configs[0] === 'devcoin-miner-v2';
      const ok = state === 'rollback_completed' && onV2;
      const what = state === 'completed' ? ': the last change was rolled out, not rolled back' : '';
      return {
        ok,
        detail: `${status}${what}; configs ${configs.join(', ') || 'none'}`,
        converging: ['updating', 'rollback_started'].includes(state),
      };
    },
  },
  {
    id: 'still-mining',
    title: 'through the proxy the api sees 2 miners hashing now, and coins rising',
    hint: '`curl -s localhost/api/stats` on node1; `docker service ps devcoin_miner` shows what runs',
    run: (lab) => mining(lab, 'localhost', 2),
  },
  // what chapters 5 and 7 promised still holds
  oneDoor,
  registryKept(),
];

/** Chapter 8's end, by running chapter 8 (a Redis password, no healthcheck, miner latest). */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await replayChapter(lab, 'secrets', progress);
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images', 'configs', 'secrets'];

/** node1's port 80 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 80;
