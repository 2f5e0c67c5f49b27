// The miner and the api as the real bundles, against a real Debian redis-server: coins are
// valid and counted once, the api's numbers match Redis, a Redis restart loses no coin and the
// api says 503 while Redis is away, then recovers on its own. Then the faults, each counted
// after the fault: a miner stopped (SIGTERM) while Redis is down writes every coin it found once
// Redis is back, within its grace period; a miner restarted with the same id does not count
// the coins its previous run stored; a write Redis applies after the miner gave up waiting
// for it does not count its hashes twice.
import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from '../../src/docker/containers.js';
import { isValidCoin } from '../../stack/miner/src/pow.js';
import { KEY } from '../../stack/lib/keys.js';
import { bundle, freshBundles, getJson, start, startRedis, waitFor, type Proc, type RedisServer } from '../helpers/stack.js';

const DIFFICULTY = 3;
const LIMIT = 100_000;
let redis: RedisServer;
let client: Redis;
let miner: Proc;
let api: Proc;
let apiUrl = '';
const cfgDir = mkdtempSync(join(tmpdir(), 'devcoin-miner-cfg-'));
const cfgFile = join(cfgDir, 'miner.yml');

const coinCount = async () => Number((await client.get(KEY.coinCount)) ?? 0);
const hashTotal = async () => Number((await client.get(KEY.hashTotal)) ?? 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const extraMiners: Proc[] = [];
/** the miners' /metrics and /healthz: on 127.0.0.1 only, any free port (each says which) */
const MINER_HTTP = { HOST: '127.0.0.1', METRICS_PORT: '0' };
/** http://127.0.0.1:PORT of a miner's /metrics and /healthz, from its log line */
async function minerHttp(m: Proc): Promise<string> {
  await waitFor(async () => /metrics and health on 127\.0\.0\.1:\d+/.test(m.output()), 10_000, `the miner's metrics port\n${m.output()}`);
  return `http://127.0.0.1:${/metrics and health on 127\.0\.0\.1:(\d+)/.exec(m.output())![1]}`;
}

/** The coins of one miner in Redis (the sorted set keeps far more than these tests make). */
async function coinsOf(id: string): Promise<{ id: number; hash: string; miner: string; prev: string; nonce: string }[]> {
  return (await client.zrange(KEY.coins, '0', '-1')).map((c) => JSON.parse(c)).filter((c) => c.miner === id);
}

/** The miner's own account on exit: `stopped: S coins stored, U not stored (F found), H hashes`. */
function stoppedLine(out: string): { stored: number; unstored: number; found: number; hashes: number } {
  const m = /stopped: (\d+) coins stored, (\d+) not stored \((\d+) found\), ([\d,]+) hashes/.exec(out);
  if (!m) throw new Error(`no "stopped:" line in the miner's output:\n${out}`);
  return { stored: Number(m[1]), unstored: Number(m[2]), found: Number(m[3]), hashes: Number(m[4].replaceAll(',', '')) };
}

/** A miner of its own for one fault test: difficulty 3 at 100k H/s, reports every 0.5 s. */
function startMiner(id: string, env: Record<string, string> = {}): Proc {
  const file = join(cfgDir, `${id}.yml`);
  writeFileSync(file, `difficulty: ${DIFFICULTY}\nspeedLimit: ${LIMIT}\nthreads: 1\nreportInterval: 0.5\n`);
  const m = start('node', [bundle('miner')], { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), MINER_CONFIG: file, NODE_NAME: 'test-node', MINER_ID: id, ...MINER_HTTP, ...env });
  extraMiners.push(m);
  return m;
}

beforeAll(async () => {
  await freshBundles();
  redis = await startRedis();
  client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  client.on('error', () => {}); // it sees Redis go away on purpose
  await client.connect();
  // difficulty 3 at 100k H/s: a coin every ~40 ms, enough to see many in a few seconds
  writeFileSync(cfgFile, `difficulty: ${DIFFICULTY}\nspeedLimit: ${LIMIT}\nthreads: 1\nreportInterval: 0.5\n`);
  const env = { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) };
  miner = start('node', [bundle('miner')], { ...env, MINER_CONFIG: cfgFile, NODE_NAME: 'test-node', MINER_ID: 'm1', MINER_VERSION: 'v9', ...MINER_HTTP });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = start('node', [bundle('api')], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  await waitFor(async () => (await getJson(`${apiUrl}/healthz`)).status === 200, 15_000, `api healthy\n${api.output()}`);
});

afterAll(async () => {
  await miner?.stop();
  for (const m of extraMiners) await m.stop();
  await api?.stop();
  client?.disconnect();
  await redis?.stop();
});

describe('miner and api on a real Redis', () => {
  it('the miner stores valid coins and reports itself with its node', async () => {
    await waitFor(async () => (await coinCount()) >= 10, 30_000, `10 coins\n${miner.output()}`);
    const coins = (await client.zrange(KEY.coins, '0', '-1')).map((c) => JSON.parse(c));
    expect(coins.length).toBeGreaterThanOrEqual(10);
    for (const c of coins) {
      expect(c).toMatchObject({ miner: 'm1', node: 'test-node', difficulty: DIFFICULTY });
      expect(isValidCoin(c, DIFFICULTY)).toBe(true);
    }
    // ids are the counter's values: unique, no gaps
    const ids = coins.map((c) => c.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    // the first report comes after one report interval; coins can come sooner
    await waitFor(async () => (await client.exists(KEY.miner('m1'))) === 1, 5000, 'the miner report');
    const report = JSON.parse((await client.get(KEY.miner('m1'))) ?? '{}');
    expect(report).toMatchObject({ id: 'm1', node: 'test-node', difficulty: DIFFICULTY, speedLimit: LIMIT });
    expect(await client.ttl(KEY.miner('m1'))).toBeGreaterThan(0);
  });

  it('the api answers with the numbers Redis holds, and a rate near the speed limit', async () => {
    // the 10 s window needs 10 full seconds of buckets plus the api's 2 s lag
    await new Promise((r) => setTimeout(r, 13_000));
    const stats = await getJson(`${apiUrl}/api/stats`);
    expect(stats.status).toBe(200);
    const count = await coinCount();
    // the miner keeps mining between the two reads
    expect(stats.body.coins).toBeGreaterThan(0);
    expect(stats.body.coins).toBeLessThanOrEqual(count);
    expect(stats.body.totalHashes).toBeGreaterThan(0);
    expect(stats.body.miners).toBe(1);
    expect(stats.body.nodes).toBe(1);
    expect(stats.body.hashRate10s).toBeGreaterThan(LIMIT * 0.7);
    expect(stats.body.hashRate10s).toBeLessThan(LIMIT * 1.3);

    const miners = await getJson(`${apiUrl}/api/miners`);
    expect(miners.body).toHaveLength(1);
    expect(miners.body[0]).toMatchObject({ id: 'm1', node: 'test-node' });
    expect(miners.body[0].rate).toBeGreaterThan(LIMIT * 0.5);

    const coins = await getJson(`${apiUrl}/api/coins?limit=5`);
    expect(coins.body).toHaveLength(5);
    const ids = coins.body.map((c: { id: number }) => c.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a)); // newest first
    for (const c of coins.body) expect(isValidCoin(c, DIFFICULTY)).toBe(true);
  });

  it('the test servers listen on 127.0.0.1 only: another address of this machine reaches neither', async () => {
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(outside, 'a non-loopback IPv4 address of this machine').toBeDefined();
    for (const [what, port] of [['api', Number(new URL(apiUrl).port)], ['redis', redis.port]] as const) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect({ host: outside!, port, timeout: 2000 });
        s.on('connect', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
        s.on('timeout', () => (s.destroy(), resolve(false)));
      });
      expect(reached, `${what} answers on ${outside}:${port}`).toBe(false);
    }
  });

  it('bad queries get 400 with a JSON error, unknown paths 404, writes 405', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limt=5']) {
      const r = await getJson(`${apiUrl}/api/coins?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error, q).toMatch(/limit|unknown query parameter/);
    }
    expect((await getJson(`${apiUrl}/api/nope`)).status).toBe(404);
    const post = await fetch(`${apiUrl}/api/stats`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('the miner answers /healthz and /metrics (its hashes and coins, by node and version); the api /metrics what Redis holds', async () => {
    const m1 = await minerHttp(miner);
    const h = await getJson(`${m1}/healthz`);
    expect(h).toEqual({ status: 200, body: { status: 'ok', reason: 'hashing, and redis takes its writes' } });
    // what Redis has counted so far, then what the miner says it computed: never less
    const counted = await hashTotal();
    const metrics = await (await fetch(`${m1}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{node="test-node",version="v9"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(value('devcoin_miner_hashes_total')).toBeGreaterThan(0);
    // the hashes it computed are at least what Redis counted of them (a report may be on its way)
    expect(value('devcoin_miner_hashes_total')).toBeGreaterThanOrEqual(counted);
    expect(value('devcoin_miner_coins_total')).toBeGreaterThan(0);
    expect(value('devcoin_miner_healthy')).toBe(1);
    const api = await (await fetch(`${apiUrl}/metrics`)).text();
    expect(api).toMatch(/^devcoin_api_redis_up 1$/m);
    expect(Number(/^devcoin_coins_stored (\d+)$/m.exec(api)?.[1])).toBeGreaterThan(0);
    expect(api).toMatch(/^devcoin_miners_reporting 1$/m);
    // the web UI's miner list carries the version too
    expect((await getJson(`${apiUrl}/api/miners`)).body[0]).toMatchObject({ id: 'm1', version: 'v9' });
  });

  it('server-sent events deliver a stats update about every second', async () => {
    const ctl = new AbortController();
    const r = await fetch(`${apiUrl}/api/events`, { signal: ctl.signal });
    expect(r.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = r.body!.getReader();
    let text = '';
    const t0 = Date.now();
    while ((text.match(/event: stats/g) ?? []).length < 3 && Date.now() - t0 < 10_000) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    const events = text.split('\n\n').filter((e) => e.startsWith('event: stats'));
    expect(events.length).toBeGreaterThanOrEqual(3);
    const snap = JSON.parse(events[0].split('\ndata: ')[1]);
    expect(snap.stats.coins).toBeGreaterThan(0);
    expect(snap.history.values.length).toBeGreaterThan(60);
    expect(snap.miners[0].node).toBe('test-node');
  });

  it('a broken config file keeps the miner on its previous settings; a new one applies live', async () => {
    writeFileSync(cfgFile, 'difficulty: [\n');
    await waitFor(async () => /keeping the previous settings/.test(miner.output()), 10_000, 'the miner to report the broken config');
    const before = await coinCount();
    await waitFor(async () => (await coinCount()) > before + 3, 20_000, 'coins to keep coming with the old config');
    writeFileSync(cfgFile, `difficulty: ${DIFFICULTY}\nspeedLimit: ${LIMIT * 2}\nthreads: 1\nreportInterval: 0.5\n`);
    await waitFor(async () => JSON.parse((await client.get(KEY.miner('m1'))) ?? '{}').speedLimit === LIMIT * 2, 10_000, 'the new speed limit in the report');
  });

  it('Redis going away: api 503 with a reason, no coin lost, both recover on their own', async () => {
    const before = await coinCount();
    expect(before).toBeGreaterThan(0);
    await redis.stop();
    const down = await getJson(`${apiUrl}/healthz`);
    expect(down.status).toBe(503);
    expect(down.body.reason).toMatch(/redis/i);
    expect((await getJson(`${apiUrl}/api/stats`)).status).toBe(503);
    // the miner goes on finding coins while Redis is away and keeps them; after 5 s without a
    // write that worked it is unhealthy, and says why
    const m1 = await minerHttp(miner);
    await waitFor(async () => (await getJson(`${m1}/healthz`)).status === 503, 15_000, 'the miner to turn unhealthy');
    expect((await getJson(`${m1}/healthz`)).body.reason).toMatch(/^no write to redis has worked for \d+ s \(redis (reconnecting|connecting|close|end)/);
    expect(await (await fetch(`${apiUrl}/metrics`)).text()).toMatch(/^devcoin_api_redis_up 0$/m);
    redis = await startRedis(redis.port, redis.dir);
    await waitFor(async () => (await getJson(`${m1}/healthz`)).status === 200, 20_000, 'the miner healthy again');
    await waitFor(async () => (await getJson(`${apiUrl}/healthz`)).status === 200, 20_000, 'api healthy again');
    await waitFor(async () => (await coinCount()) > before, 20_000, 'coins to grow again');
    expect(await coinCount()).toBeGreaterThanOrEqual(before);

    // the strongest check: everything the miner says it stored is in Redis, exactly once
    expect(await miner.stop()).toBe(0);
    const stored = Number(/stopped: (\d+) coins stored/.exec(miner.output())?.[1]);
    expect(stored).toBeGreaterThan(before);
    expect(miner.output()).not.toMatch(/coins Redis never took/);
    expect(await coinCount()).toBe(stored);
    expect(await client.zcard(KEY.coins)).toBe(stored);
    // a stopped miner leaves the list at once
    expect(await client.exists(KEY.miner('m1'))).toBe(0);
  });
});

describe('faults, counted after the fault', () => {
  // one miner at a time: the hash total and the coin counter are shared by every miner
  beforeAll(async () => {
    await miner?.stop();
  });

  it('SIGTERM while Redis is down: once Redis is back within the grace period, every coin found is stored, once', async () => {
    const m = startMiner('m-term');
    await waitFor(async () => (await coinsOf('m-term')).length >= 5, 30_000, `m-term to store 5 coins\n${m.output()}`);
    await redis.stop();
    // ~24 coins a second at difficulty 3 and 100k H/s: two seconds leaves dozens waiting
    await sleep(2000);
    const exited = m.stop(30_000);
    await sleep(3000);
    redis = await startRedis(redis.port, redis.dir);
    expect(await exited, m.output()).toBe(0);
    const out = m.output();
    // it did stop with coins waiting: the fault was real
    const waiting = Number(/SIGTERM: stopping; (\d+) coins? not yet stored/.exec(out)?.[1]);
    expect(waiting, out).toBeGreaterThan(10);
    const s = stoppedLine(out);
    expect({ unstored: s.unstored, stored: s.stored }, out).toEqual({ unstored: 0, stored: s.found });
    // counted after the miner exited: Redis holds every coin it found, each once
    const coins = await coinsOf('m-term');
    expect(coins.length).toBe(s.found);
    expect(new Set(coins.map((c) => c.hash)).size).toBe(coins.length);
    for (const c of coins) expect(isValidCoin(c, DIFFICULTY)).toBe(true);
    // one unbroken chain from the miner's genesis: no coin in the middle is missing
    const byPrev = new Map(coins.map((c) => [c.prev, c]));
    let prev = createHash('sha256').update('genesis m-term 0').digest('hex');
    for (let i = 0; i < coins.length; i++) {
      const next = byPrev.get(prev);
      expect(next, `coin ${i + 1} of ${coins.length} after ${prev}`).toBeDefined();
      prev = next!.hash;
    }
  });

  it('SIGTERM while Redis stays down past the grace period: the miner says how many coins it could not store', async () => {
    const m = startMiner('m-lost', { MINER_STOP_GRACE: '2' });
    await waitFor(async () => (await coinsOf('m-lost')).length >= 5, 30_000, `m-lost to store 5 coins\n${m.output()}`);
    await redis.stop();
    await sleep(1500);
    const t0 = Date.now();
    // exit 1: coins it found were not stored (a stop that did not finish the job, for Docker and Swarm to see)
    expect(await m.stop(30_000), m.output()).toBe(1);
    const took = Date.now() - t0;
    redis = await startRedis(redis.port, redis.dir);
    const out = m.output();
    const s = stoppedLine(out);
    expect(s.unstored, out).toBeGreaterThan(0);
    expect(s.stored + s.unstored).toBe(s.found);
    expect(out).toMatch(new RegExp(`gave up after 2 s: ${s.unstored} coins? not stored`));
    // a coin whose write was under way when Redis went down may be in Redis without the
    // miner knowing; it says so, and it is the only one
    const unsure = /1 of the coins not stored was sent without an answer: Redis may have it/.test(out) ? 1 : 0;
    expect((await coinsOf('m-lost')).length - s.stored, out).toBeGreaterThanOrEqual(0);
    expect((await coinsOf('m-lost')).length - s.stored, out).toBeLessThanOrEqual(unsure);
    // the grace period bounds the wait (plus the thread stop and the exit)
    expect(took).toBeLessThan(6000);
  });

  it('a miner restarted with the same id does not count the coins its previous run already stored', async () => {
    const first = startMiner('m-same');
    await waitFor(async () => (await coinsOf('m-same')).length >= 8, 30_000, `m-same to store 8 coins\n${first.output()}`);
    expect(await first.stop(), first.output()).toBe(0);
    const run1 = stoppedLine(first.output());
    expect((await coinsOf('m-same')).length).toBe(run1.stored);
    // the same id mines the same chain from the same genesis: its first coins are the ones
    // already stored, and the idempotent write says so
    const second = startMiner('m-same');
    await waitFor(async () => (await coinsOf('m-same')).length >= run1.stored + 5, 30_000, `m-same to store 5 new coins\n${second.output()}`);
    expect(await second.stop(), second.output()).toBe(0);
    const run2 = stoppedLine(second.output());
    const inRedis = (await coinsOf('m-same')).length;
    expect({ run1: run1.stored, run2: run2.stored, sum: run1.stored + run2.stored }, second.output()).toEqual({ run1: run1.stored, run2: inRedis - run1.stored, sum: inRedis });
    expect(second.output()).toMatch(new RegExp(`${run1.stored} coins? already stored by another run`));
  });

  it('a write Redis applies after the miner stopped waiting for it does not count its hashes or coins twice', async () => {
    const hashesBefore = await hashTotal();
    const countBefore = await coinCount();
    const m = startMiner('m-slow');
    await waitFor(async () => (await client.exists(KEY.miner('m-slow'))) === 1, 10_000, `the m-slow report\n${m.output()}`);
    // Redis holds every write for 4 s, longer than the miner's 3 s command timeout: the miner
    // sees its writes fail, Redis then applies them, and the miner writes them again
    await client.call('CLIENT', 'PAUSE', '4000', 'WRITE');
    await sleep(7000);
    expect(await m.stop(), m.output()).toBe(0);
    const s = stoppedLine(m.output());
    expect(s.unstored).toBe(0);
    // counted after the miner exited
    expect({ hashes: (await hashTotal()) - hashesBefore, coins: (await coinCount()) - countBefore }, m.output()).toEqual({ hashes: s.hashes, coins: s.found });
    expect((await coinsOf('m-slow')).length).toBe(s.stored);
    // the fault was real: the miner did give up waiting for a write
    expect(m.output()).toMatch(/timed out/i);
  });
});
