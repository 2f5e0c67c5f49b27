// Chapters 9 and 10 without an engine: the update policy chapter 9's check asks for, read from
// the stack files themselves (the files and the check cannot drift apart), and the api's
// Prometheus metrics against a fake Redis.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Redis } from 'ioredis';
import { chaptersDir, stackDir } from '../../src/paths.js';
import { parseChapter } from '../../src/workshop/markdown.js';
import { policyProblems } from '../../chapters/09-update/index.js';
import { apiMetrics } from '../../stack/api/src/metrics.js';
import { KEY } from '../../stack/lib/keys.js';

const ns = (d?: string) => (d ? Number(/^(\d+)s$/.exec(d)?.[1]) * 1e9 : undefined);
/** A compose update_config/rollback_config as the engine API's UpdateConfig (what the check reads). */
const asApi = (c?: Record<string, unknown>) =>
  c && {
    Parallelism: c.parallelism as number,
    Delay: ns(c.delay as string),
    Order: c.order as string,
    FailureAction: c.failure_action as string,
    Monitor: ns(c.monitor as string),
    MaxFailureRatio: c.max_failure_ratio as number,
  };

describe("chapter 9's update policy", () => {
  it('holds for the miner of every stack file from chapter 9 on, and not for the earlier ones', () => {
    for (const f of ['update.dnsrr.yml', 'update.vip.yml', 'observe.dnsrr.yml', 'observe.vip.yml']) {
      const miner = parseYaml(readFileSync(join(stackDir, 'swarm', f), 'utf8')).services.miner;
      expect(policyProblems(asApi(miner.deploy.update_config), asApi(miner.deploy.rollback_config)), f).toEqual([]);
      expect(miner.healthcheck?.test?.join(' '), f).toMatch(/\/healthz/);
      expect(miner.image, f).toBe('${REGISTRY:-}devcoin/miner:${MINER_TAG:-latest}');
    }
    const before = parseYaml(readFileSync(join(stackDir, 'swarm', 'secrets.dnsrr.yml'), 'utf8')).services.miner;
    expect(policyProblems(asApi(before.deploy.update_config), asApi(before.deploy.rollback_config))).toEqual(['no update_config']);
  });

  it('names each part that differs', () => {
    const good = { Parallelism: 1, Delay: 1e9, Order: 'start-first', FailureAction: 'rollback', Monitor: 3e9, MaxFailureRatio: 0 };
    expect(policyProblems(good, { Order: 'start-first' })).toEqual([]);
    expect(policyProblems({ ...good, FailureAction: 'pause' }, { Order: 'start-first' })).toEqual(['failure action pause (expected rollback)']);
    expect(policyProblems({ ...good, Order: 'stop-first', Parallelism: 2, Delay: 0 }, undefined)).toEqual([
      'update parallelism 2 (expected 1)',
      'no delay between tasks',
      'update order stop-first (expected start-first)',
      'no rollback_config',
    ]);
  });
});

describe('api metrics', () => {
  class FakeRedis {
    down = false;
    kv = new Map<string, string>([[KEY.coinCount, '42'], [KEY.miner('a'), JSON.stringify({ id: 'a', node: 'node1' })], [KEY.miner('b'), JSON.stringify({ id: 'b', node: 'node2' })]]);
    private check() {
      if (this.down) throw new Error('connect ECONNREFUSED');
    }
    async get(k: string) {
      this.check();
      return this.kv.get(k) ?? null;
    }
    async scan() {
      this.check();
      return ['0', [...this.kv.keys()].filter((k) => k.startsWith('devcoin:miner:'))];
    }
    async mget(...keys: string[]) {
      this.check();
      return keys.map((k) => this.kv.get(k) ?? null);
    }
  }

  it('coins stored and miners reporting come from Redis at each scrape; without Redis, redis_up says 0 and the numbers are unknown (NaN), not a false 0', async () => {
    const redis = new FakeRedis();
    const m = apiMetrics(redis as unknown as Redis);
    m.requests.inc({ route: '/api/stats', code: '200' });
    await m.refresh();
    let text = await m.registry.metrics();
    expect(text).toMatch(/^devcoin_coins_stored 42$/m);
    expect(text).toMatch(/^devcoin_miners_reporting 2$/m);
    expect(text).toMatch(/^devcoin_api_redis_up 1$/m);
    expect(text).toMatch(/^devcoin_api_requests_total\{route="\/api\/stats",code="200"\} 1$/m);
    redis.down = true;
    await m.refresh();
    text = await m.registry.metrics();
    expect(text).toMatch(/^devcoin_api_redis_up 0$/m);
    expect(text).toMatch(/^devcoin_coins_stored Nan$/m);
    expect(text).toMatch(/^devcoin_miners_reporting Nan$/m);
  });
});

describe('no service change races the end of the one before it (issue 22: "update out of sequence")', () => {
  // A rolling update (stack deploy, service update, rollback) is not over when an attached
  // `docker service update` returns: Swarm writes `completed` (or `rollback_completed`) into the
  // service after its monitor period, which bumps the service's version. The next change must wait
  // for that write, or it fails by chance with "rpc error: code = Unknown desc = update out of
  // sequence" (2 of 6 demos once, in chapter 9 between v2 and v3). Read in the order the demo runs
  // the chapters, in both forms.
  const dirs = readdirSync(chaptersDir).filter((d) => /^\d\d-[a-z]+$/.test(d)).sort();
  // chapter 6's deploy of stack.*.yml creates the services (no rolling update, no UpdateStatus);
  // every later deploy updates them
  const starts = (c: string) => (/docker stack deploy/.test(c) && !/\/stack\.(dnsrr|vip)\.yml/.test(c)) || /docker service rollback|docker service update (?!--replicas \d+ \S+$)/.test(c);
  const changes = (c: string) => /docker stack deploy|docker service (update|rollback|scale)\b/.test(c);
  // a wait that holds only once no update is on its way: UpdateStatus completed, or not updating
  const settles = (body: string) => /UpdateStatus\.State\}\}'\)" = (completed|rollback_completed)/.test(body) || /grep -qE '\^\(updating\|rollback_started\)\$'/.test(body);

  it.each(['dnsrr', 'mesh'] as const)('%s form: every change to a service waits until Swarm has finished the one before', (form) => {
    const races: string[] = [];
    let open: string | undefined;
    for (const dir of dirs) {
      for (const step of parseChapter(readFileSync(join(chaptersDir, dir, 'README.md'), 'utf8'), dir, form).steps) {
        if (step.kind === 'directive') {
          if (step.name === 'wait' && settles(step.body)) open = undefined;
          continue;
        }
        for (const line of step.command.split('\n')) {
          if (open && changes(line)) races.push(`${dir}: \`${line.slice(0, 70)}\` right after \`${open.slice(0, 70)}\``);
          if (starts(line)) open = line;
        }
      }
    }
    expect(races).toEqual([]);
  });
});
