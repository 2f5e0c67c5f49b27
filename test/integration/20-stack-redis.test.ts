// The miner and the api as the real bundles, against a real Debian redis-server: coins are
// valid and counted once, the api's numbers match Redis, a Redis restart loses no coin and the
// api says 503 while Redis is away, then recovers on its own.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/docker/containers.js';
import { isValidCoin } from '../../stack/miner/src/pow.js';
import { KEY } from '../../stack/lib/keys.js';
import { bundle, getJson, start, startRedis, waitFor, type Proc, type RedisServer } from '../helpers/stack.js';

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

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  client.on('error', () => {}); // it sees Redis go away on purpose
  await client.connect();
  // difficulty 3 at 100k H/s: a coin every ~40 ms, enough to see many in a few seconds
  writeFileSync(cfgFile, `difficulty: ${DIFFICULTY}\nspeedLimit: ${LIMIT}\nthreads: 1\nreportInterval: 0.5\n`);
  const env = { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) };
  miner = start('node', [bundle('miner')], { ...env, MINER_CONFIG: cfgFile, NODE_NAME: 'test-node', MINER_ID: 'm1' });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = start('node', [bundle('api')], { ...env, PORT: String(port) });
  await waitFor(async () => (await getJson(`${apiUrl}/healthz`)).status === 200, 15_000, `api healthy\n${api.output()}`);
});

afterAll(async () => {
  await miner?.stop();
  await api?.stop();
  client?.disconnect();
  await redis?.stop();
});

describe('miner and api on a real Redis', () => {
  it('the miner stores valid coins and reports itself with its node', async () => {
    await waitFor(async () => (await coinCount()) >= 10, 30_000, `10 coins\n${miner.output()}`);
    const coins = (await client.zrange(KEY.coins, 0, -1)).map((c) => JSON.parse(c));
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
    // the miner goes on finding coins while Redis is away and keeps them
    await new Promise((r) => setTimeout(r, 3000));
    redis = await startRedis(redis.port, redis.dir);
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
