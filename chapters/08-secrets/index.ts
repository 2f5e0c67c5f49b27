// Chapter 8: Redis behind a password from a Swarm secret: mounted where needed, refused
// without, the stack still mining, and the password in no inspect output or log.
import type { ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import { replayChapter } from '../../src/workshop/catch-up.js';
import { mining } from '../../src/workshop/checks/stack.js';
import { anyConverging, managerEngine, nodeOfTask, serviceState } from '../../src/swarm/index.js';
import { redisPassword, passwordLeaks } from '../../src/workshop/checks/secrets.js';
import { registryKept } from '../../src/workshop/checks/registry.js';
import { oneDoor } from '../07-proxy/index.js';

const USERS = ['devcoin_redis', 'devcoin_api', 'devcoin_miner'];

export const checks: ChapterModule['checks'] = [
  {
    id: 'secret-mounted',
    title: 'secret redis_password exists and is mounted in redis, api and miner',
    hint: 'make it with `openssl rand -base64 20 | docker secret create redis_password -`, then deploy secrets.dnsrr.yml',
    async run(lab) {
      const m = await managerEngine(lab);
      if (!m) return { ok: false, detail: 'no manager answers' };
      const secrets = (await m.listSecrets({ filters: { name: ['redis_password'] } })) as { Spec?: { Name?: string } }[];
      if (!secrets.some((s) => s.Spec?.Name === 'redis_password')) return { ok: false, detail: 'no secret redis_password' };
      const without: string[] = [];
      for (const name of USERS) {
        const s = await serviceState(lab, name);
        const mounted = (s.service?.Spec?.TaskTemplate?.ContainerSpec as { Secrets?: { SecretName?: string }[] } | undefined)?.Secrets ?? [];
        if (!mounted.some((x) => x.SecretName === 'redis_password')) without.push(name);
      }
      return { ok: without.length === 0, detail: without.length ? `not mounted in ${without.join(', ')}` : 'mounted in all three' };
    },
  },
  {
    id: 'noauth',
    title: 'Redis refuses a client without the password (NOAUTH)',
    hint: 'redis gets its password only through the secret: deploy secrets.dnsrr.yml, which sets REDIS_PASSWORD_FILE for redis',
    async run(lab) {
      const node = await nodeOfTask(lab, 'devcoin_redis');
      if (!node) return { ok: false, detail: 'no running redis task', converging: await anyConverging(lab, ['devcoin_redis']) };
      const r = await lab.exec(node, 'docker exec $(docker ps -q --filter label=com.docker.swarm.service.name=devcoin_redis | head -1) redis-cli ping');
      const out = (r.stdout + r.stderr).trim();
      const ok = /NOAUTH/.test(out);
      return { ok, detail: `redis-cli ping without a password: ${out.split('\n')[0] || 'no answer'}`, converging: !ok && (await anyConverging(lab, ['devcoin_redis'])) };
    },
  },
  {
    id: 'still-mining',
    title: 'through the proxy the api sees 2 miners hashing now (both use the password)',
    hint: 'an api or miner without the secret gets NOAUTH: see `docker service logs devcoin_api` and `devcoin_miner`',
    run: (lab) => mining(lab, 'localhost', 2),
  },
  {
    id: 'no-leak',
    title: "the password appears in no inspect output, service log, or process's argv or environment on any node",
    hint: 'pass the password only as a secret file (REDIS_PASSWORD_FILE), never with --env or on a command line; remove any such setting with `docker service update --env-rm`',
    async run(lab) {
      const password = await redisPassword(lab);
      if (!password) return { ok: false, detail: 'cannot read the secret inside the redis task (is it mounted?)' };
      const { leaks, unprobed } = await passwordLeaks(lab, password);
      if (leaks.length) return { ok: false, detail: `found in: ${leaks.join(', ')}` };
      if (unprobed.length) return { ok: false, detail: `could not probe: ${unprobed.join('; ')}` };
      return { ok: true, detail: 'not found in inspect output, logs, or any process argv/environ' };
    },
  },
  // what chapters 5 and 7 promised still holds
  oneDoor,
  registryKept(),
];

/** Chapter 7's end, by running chapter 7 (no secret yet). */
export async function catchUp(lab: Lab, progress: (t: string) => void) {
  await replayChapter(lab, 'proxy', progress);
  await lab.exec('node1', 'docker secret rm redis_password >/dev/null 2>&1; true');
}

/** What the catch-up above may remove (asked about first on machines the lab did not make). */
export const touches: ChapterModule['touches'] = ['compose', 'services', 'registry-storage', 'images', 'configs', 'secrets'];

/** node1's port 80 serves the web UI at the end of the chapter (`run` and `next` print its URL). */
export const webPort: ChapterModule['webPort'] = 80;
