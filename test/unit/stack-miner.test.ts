// The miner's parts: the proof of work, its config file, and its writes to Redis against a
// fake Redis that does what the miner's two scripts do (the real scripts run on a real Redis
// in test/integration/20-stack-redis.test.ts). No engine.
import { describe, expect, it, vi } from 'vitest';
import { hash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowSearch, isValidCoin, leadingZeros, benchmark } from '../../stack/miner/src/pow.js';
import { ConfigWatcher, DEFAULT_CONFIG, parseConfig, ConfigError } from '../../stack/miner/src/config.js';
import { Miner, STORE_COIN, ADD_HASHES, STOP_GRACE_MS, refusedPassword } from '../../stack/miner/src/miner.js';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { stackDir } from '../../src/paths.js';
import { HashLoop, giveSlot, newGate } from '../../stack/miner/src/loop.js';
import { KEY } from '../../stack/lib/keys.js';
import { MinerMetrics, minerHealth, metricsPort } from '../../stack/miner/src/metrics.js';
import type { Redis } from 'ioredis';

describe('proof of work', () => {
  it('every coin found has the difficulty and re-hashes to itself', () => {
    const search = new PowSearch('miner-a', hash('sha256', 'genesis'));
    const coins = [];
    let tried = 0;
    while (coins.length < 20 && tried < 5_000_000) {
      const r = search.run(10_000, 3);
      tried += r.hashes;
      if (r.found) coins.push(r.found);
    }
    expect(coins.length).toBe(20);
    for (const c of coins) {
      expect(c.hash.startsWith('000')).toBe(true);
      expect(isValidCoin({ ...c, miner: 'miner-a' }, 3)).toBe(true);
    }
    // each coin chains on the one before
    for (let i = 1; i < coins.length; i++) expect(coins[i].prev).toBe(coins[i - 1].hash);
  });

  it('rejects a coin whose hash, nonce or miner was changed, or that misses the difficulty', () => {
    const search = new PowSearch('miner-b', 'x');
    let found;
    while (!found) found = search.run(100_000, 2).found;
    const coin = { ...found, miner: 'miner-b' };
    expect(isValidCoin(coin, 2)).toBe(true);
    expect(isValidCoin({ ...coin, miner: 'miner-c' }, 2)).toBe(false);
    expect(isValidCoin({ ...coin, nonce: coin.nonce + '1' }, 2)).toBe(false);
    expect(isValidCoin({ ...coin, hash: '00' + coin.hash.slice(2).replace(/./, 'f') }, 2)).toBe(false);
    // a real difficulty-2 coin is (almost surely) not a difficulty-12 coin
    expect(isValidCoin(coin, 12)).toBe(false);
  });

  it('counts nonces in decimal across digit boundaries (9 -> 10, 99 -> 100)', () => {
    const search = new PowSearch('m', 'p');
    expect(search.nonce).toBe('0');
    search.run(10, 64);
    expect(search.nonce).toBe('10');
    search.run(90, 64);
    expect(search.nonce).toBe('100');
    search.run(900, 64);
    expect(search.nonce).toBe('1000');
    // the search goes on from where it stopped: the next coin's nonce is past 1000 and
    // its hash is sha256(prev + miner + nonce)
    let hit;
    while (!hit) hit = search.run(1000, 1).found;
    expect(Number(hit.nonce)).toBeGreaterThanOrEqual(1000);
    expect(hit.hash).toBe(hash('sha256', 'pm' + hit.nonce));
  });

  it('leadingZeros checks exactly the first n hex digits', () => {
    expect(leadingZeros('000abc', 3)).toBe(true);
    expect(leadingZeros('000abc', 4)).toBe(false);
    expect(leadingZeros('abc', 0)).toBe(true);
  });

  it('benchmark reports a positive rate', () => {
    const r = benchmark(0.2);
    expect(r.hashes).toBeGreaterThan(1000);
    expect(r.hashesPerSecond).toBeGreaterThan(0);
  });
});

describe('miner config', () => {
  it('reads YAML and JSON; missing keys take the defaults', () => {
    expect(parseConfig('difficulty: 4\nspeedLimit: unlimited\n')).toEqual({ ...DEFAULT_CONFIG, difficulty: 4, speedLimit: 'unlimited' });
    expect(parseConfig('{"threads": 2, "reportInterval": 0.5}')).toEqual({ ...DEFAULT_CONFIG, threads: 2, reportInterval: 0.5 });
    expect(parseConfig('')).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['difficulty: [1', /not valid JSON or YAML/],
    ['- 1\n- 2', /expected a mapping/],
    ['dificulty: 4', /unknown setting "dificulty"/],
    ['difficulty: 0', /difficulty must be a whole number from 1 to 16, got 0/],
    ['difficulty: 3.5', /difficulty must be a whole number/],
    ['threads: 65', /threads must be a whole number from 1 to 64/],
    ['speedLimit: fast', /speedLimit must be a number of hashes per second/],
    ['speedLimit: 0', /speedLimit must be/],
    ['reportInterval: 0.1', /reportInterval must be seconds from 0.2 to 60/],
  ])('refuses %j with a clear reason', (text, reason) => {
    expect(() => parseConfig(text, 'miner.yml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'miner.yml')).toThrow(reason);
  });

  it('a broken file keeps the previous settings and says why; a fixed one applies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-cfg-'));
    const file = join(dir, 'miner.yml');
    writeFileSync(file, 'difficulty: 4\nspeedLimit: 1000\n');
    const logs: string[] = [];
    const changes: number[] = [];
    const w = new ConfigWatcher(file, (next) => changes.push(next.difficulty), (m) => logs.push(m));
    expect(w.current.difficulty).toBe(4);
    writeFileSync(file, 'difficulty: [oops\n');
    expect(w.reload()).toBe(false);
    expect(w.current).toMatchObject({ difficulty: 4, speedLimit: 1000 });
    expect(logs.at(-1)).toMatch(/not valid JSON or YAML.*keeping the previous settings \(difficulty 4/);
    writeFileSync(file, 'difficulty: 6\nspeedLimit: 1000\n');
    expect(w.reload()).toBe(true);
    expect(w.current.difficulty).toBe(6);
    expect(changes).toEqual([6]);
    // a missing file also keeps what was there
    writeFileSync(file, '');
    const gone = new ConfigWatcher(join(dir, 'absent.yml'), () => {}, (m) => logs.push(m));
    expect(gone.current).toEqual(DEFAULT_CONFIG);
    expect(logs.at(-1)).toMatch(/cannot read .*absent\.yml \(ENOENT\); using defaults/);
  });
});

/** What Redis does with the miner's commands and scripts, with its faults: down (every command
 * fails at once, as with ioredis's offline queue off) and lost replies (the write is applied,
 * then the miner sees a timeout). */
class FakeRedis {
  kv = new Map<string, string>();
  coins: string[] = [];
  down = false;
  /** Redis's answer to every command when it asks for a password the miner lacks */
  refuse = '';
  lostReplies = 0;
  on(): this {
    return this;
  }
  private incrby(key: string, n: number): number {
    const v = Number(this.kv.get(key) ?? 0) + n;
    this.kv.set(key, String(v));
    return v;
  }
  num(key: string): number {
    return Number(this.kv.get(key) ?? 0);
  }
  private check(): void {
    if (this.refuse) throw new Error(this.refuse);
    if (this.down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
  }
  private reply<T>(r: T): T {
    if (this.lostReplies > 0) {
      this.lostReplies--;
      throw new Error('Command timed out');
    }
    return r;
  }
  async eval(script: string, numKeys: number, ...args: string[]): Promise<unknown> {
    this.check();
    const keys = args.slice(0, numKeys);
    const argv = args.slice(numKeys);
    if (script === STORE_COIN) {
      const owner = this.kv.get(keys[0]);
      if (owner !== undefined) return this.reply([0, owner]);
      this.kv.set(keys[0], argv[2]);
      const id = this.incrby(keys[1], 1);
      this.coins.push(`{"id":${id},${argv[0].slice(1)}`);
      return this.reply([id, argv[2]]);
    }
    if (script === ADD_HASHES) {
      if (Number(argv[0]) <= this.num(keys[0])) return this.reply(0);
      this.kv.set(keys[0], argv[0]);
      this.incrby(keys[1], Number(argv[1]));
      for (let i = 2; i < keys.length; i++) this.incrby(keys[i], Number(argv[i + 1]));
      return this.reply(1);
    }
    throw new Error(`the fake does not know this script: ${script.slice(0, 60)}`);
  }
  async set(key: string, value: string): Promise<'OK'> {
    this.check();
    this.kv.set(key, value);
    return 'OK';
  }
  async del(key: string): Promise<number> {
    this.check();
    return this.kv.delete(key) ? 1 : 0;
  }
}

/** a miner that finds a coin in every few hashes and reports often */
const FAST = 'difficulty: 1\nspeedLimit: unlimited\nthreads: 1\nreportInterval: 0.2\n';

function newMiner(redis: FakeRedis, opts: { config?: string; maxPending?: number; stopGraceMs?: number; metrics?: MinerMetrics } = {}) {
  const logs: string[] = [];
  let path: string | undefined;
  if (opts.config) {
    path = join(mkdtempSync(join(tmpdir(), 'devcoin-miner-')), 'miner.yml');
    writeFileSync(path, opts.config);
  }
  const config = new ConfigWatcher(path, () => {}, () => {});
  const miner = new Miner({ id: 'm-unit', node: 'n1', redis: redis as unknown as Redis, config, log: (m) => logs.push(m), workerFile: 'unused.js', maxPending: opts.maxPending, stopGraceMs: opts.stopGraceMs, metrics: opts.metrics, version: 'v7' });
  // the miner's own entry for a coin its hashing found
  const find = (hash: string) => miner['foundCoin'](0, { hash, prev: 'p', nonce: '1' }, 3, Date.now());
  return { miner, logs, find };
}

describe('miner writes to Redis: each coin and each hash counted once', () => {
  it('a coin another run of the same MINER_ID already stored is not counted by this run', async () => {
    const redis = new FakeRedis();
    // the same id mines the same chain: a restarted miner finds its previous run's coins again
    redis.kv.set(KEY.seen('h-old'), 'm-unit/previous-run');
    const { miner, find } = newMiner(redis);
    find('h-old');
    find('h-new');
    await vi.waitFor(() => expect(miner.pending).toHaveLength(0));
    expect(miner.counts).toMatchObject({ found: 2, stored: 1, already: 1 });
    expect(redis.num(KEY.coinCount)).toBe(1);
  });

  it('a coin Redis stored whose reply was lost is counted once, when the retry finds it stored by this run', async () => {
    const redis = new FakeRedis();
    const { miner, logs, find } = newMiner(redis);
    redis.lostReplies = 1;
    find('h1');
    await vi.waitFor(() => expect(logs.join('\n')).toMatch(/redis: coin not written \(Command timed out\); kept/));
    expect(miner.pending).toHaveLength(1);
    expect(redis.num(KEY.coinCount)).toBe(1); // Redis has it already
    await miner.flushCoins();
    expect(miner.pending).toHaveLength(0);
    expect(miner.counts).toMatchObject({ found: 1, stored: 1, already: 0 });
    expect(redis.num(KEY.coinCount)).toBe(1);
    expect(redis.coins).toHaveLength(1);
  });

  it('a hash report Redis applied whose reply was lost is not added again when it is sent again', async () => {
    const redis = new FakeRedis();
    const { miner, logs } = newMiner(redis);
    miner['countHashes'](1000);
    redis.lostReplies = 1;
    await miner.report();
    expect(logs.join('\n')).toMatch(/redis: hash counts not written \(Command timed out\)/);
    expect(redis.num(KEY.hashTotal)).toBe(1000); // applied, though the miner could not know
    miner['countHashes'](500);
    await miner.report();
    expect(redis.num(KEY.hashTotal)).toBe(1500);
    expect(miner.counts).toMatchObject({ hashes: 1500, hashesReported: 1500 });
    // the per-second buckets the chart reads hold the same 1500, not 2500
    const buckets = [...redis.kv.entries()].filter(([k]) => /^devcoin:hashes:\d+$/.test(k)).reduce((a, [, v]) => a + Number(v), 0);
    expect(buckets).toBe(1500);
  });

  it('hashes counted while Redis is down are added once when it is back', async () => {
    const redis = new FakeRedis();
    const { miner } = newMiner(redis);
    redis.down = true;
    for (let i = 0; i < 3; i++) {
      miner['countHashes'](100);
      await miner.report();
    }
    expect(redis.num(KEY.hashTotal)).toBe(0);
    redis.down = false;
    await miner.report();
    await miner.report();
    expect(redis.num(KEY.hashTotal)).toBe(300);
  });
});

describe('miner: coins waiting for Redis are bounded, and written before a stop', () => {
  it('a hash loop with a gate of 3 slots finds 3 coins, then waits until slots are given back', async () => {
    const gate = newGate(3);
    let coins = 0;
    const loop = new HashLoop('m', 'p', { difficulty: 1, limit: 0 }, { onHashes: () => {}, onCoin: () => coins++ }, gate);
    loop.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(coins).toBe(3);
    giveSlot(gate);
    giveSlot(gate);
    await vi.waitFor(() => expect(coins).toBe(5));
    await new Promise((r) => setTimeout(r, 200));
    expect(coins).toBe(5);
    await loop.stop();
  });


  it('hashing pauses when maxPending coins wait for Redis and goes on when Redis takes them', async () => {
    const redis = new FakeRedis();
    redis.down = true;
    const { miner, logs } = newMiner(redis, { config: FAST, maxPending: 5 });
    miner.start();
    await vi.waitFor(() => expect(logs.join('\n')).toMatch(/5 coins wait for redis: hashing paused/));
    await new Promise((r) => setTimeout(r, 300));
    expect(miner.counts).toMatchObject({ found: 5, pending: 5, stored: 0 });
    redis.down = false;
    await miner.flushCoins();
    await vi.waitFor(() => expect(miner.counts.stored).toBeGreaterThan(20));
    expect(logs.join('\n')).toMatch(/redis took the waiting coins: hashing again/);
    await miner.stop();
    const c = miner.counts;
    expect(c).toMatchObject({ pending: 0, stored: c.found, hashesReported: c.hashes });
    expect(redis.num(KEY.coinCount)).toBe(c.found);
    expect(logs.at(-1)).toBe(`stopped: ${c.found} coins stored, 0 not stored (${c.found} found), ${c.hashes.toLocaleString('en')} hashes`);
  });

  it('a stop while Redis is down writes every waiting coin once Redis is back within the grace period', async () => {
    const redis = new FakeRedis();
    redis.down = true;
    const { miner, logs } = newMiner(redis, { config: FAST, maxPending: 50, stopGraceMs: 5000 });
    miner.start();
    await vi.waitFor(() => expect(miner.pending).toHaveLength(50));
    const stopped = miner.stop();
    await new Promise((r) => setTimeout(r, 700));
    expect(redis.num(KEY.coinCount)).toBe(0);
    redis.down = false;
    // everything written: a clean stop (the process exits 0)
    expect(await stopped).toBe(true);
    expect(logs.join('\n')).toMatch(/SIGTERM: stopping; 50 coins not yet stored/);
    expect(miner.counts).toMatchObject({ found: 50, stored: 50, pending: 0 });
    expect(redis.num(KEY.coinCount)).toBe(50);
    expect(redis.num(KEY.hashTotal)).toBe(miner.counts.hashes);
    // it left the miner list
    expect(redis.kv.has(KEY.miner('m-unit'))).toBe(false);
  });

  it('a stop gives up after the grace period and says how many coins were not stored', async () => {
    const redis = new FakeRedis();
    redis.down = true;
    const { miner, logs } = newMiner(redis, { config: FAST, maxPending: 7, stopGraceMs: 300 });
    miner.start();
    await vi.waitFor(() => expect(miner.pending).toHaveLength(7));
    const t0 = Date.now();
    // coins left unstored: not a clean stop (the process exits 1, so Swarm sees a failed task)
    expect(await miner.stop()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(logs.join('\n')).toMatch(/gave up after 0\.3 s: 7 coins not stored, [\d,]+ hashes not counted/);
    expect(logs.at(-1)).toMatch(/^stopped: 0 coins stored, 7 not stored \(7 found\)/);
  });
});

describe('miner: a password Redis refuses', () => {
  it('a stop gives up at once instead of waiting the grace period, and says why', async () => {
    const redis = new FakeRedis();
    // chapter 8: Redis restarted with a password, and this miner (started before) has none
    redis.refuse = 'NOAUTH Authentication required.';
    const { miner, logs } = newMiner(redis, { config: FAST, maxPending: 3, stopGraceMs: 10_000 });
    miner.start();
    await vi.waitFor(() => expect(miner.pending).toHaveLength(3));
    const t0 = Date.now();
    expect(await miner.stop()).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(logs.join('\n')).toMatch(/redis refuses this miner's password \(NOAUTH Authentication required\.\): waiting cannot change that/);
    expect(logs.at(-1)).toMatch(/^stopped: 0 coins stored, 3 not stored \(3 found\)/);
  });

  it('only NOAUTH and WRONGPASS count as refused: a Redis that is down is waited for', () => {
    expect(refusedPassword('NOAUTH Authentication required.')).toBe(true);
    expect(refusedPassword('WRONGPASS invalid username-password pair or user is disabled.')).toBe(true);
    expect(refusedPassword("Stream isn't writeable and enableOfflineQueue options is false")).toBe(false);
    expect(refusedPassword('connect ECONNREFUSED 10.0.1.5:6380')).toBe(false);
    expect(refusedPassword('')).toBe(false);
  });
});

describe('miner: a write sent and not answered', () => {
  it('a stop that runs out of time says a coin sent without an answer may be in Redis', async () => {
    const redis = new FakeRedis();
    const { miner, logs, find } = newMiner(redis, { stopGraceMs: 300 });
    redis.lostReplies = 1;
    find('h1');
    await vi.waitFor(() => expect(logs.join('\n')).toMatch(/Command timed out/));
    redis.down = true;
    find('h2');
    await miner.stop();
    // Redis has h1; the miner cannot know, and says so
    expect(redis.num(KEY.coinCount)).toBe(1);
    expect(logs.at(-1)).toMatch(/^stopped: 0 coins stored, 2 not stored \(2 found\), 0 hashes; 1 of the coins not stored was sent without an answer: Redis may have it$/);
  });
});

describe('stack files', () => {
  it('give every miner service more time to stop than the miner takes to write what it owes', () => {
    const files = ['compose.yml', ...readdirSync(join(stackDir, 'swarm')).filter((f) => f.endsWith('.yml')).map((f) => `swarm/${f}`)];
    const seconds = (v: unknown) => {
      const m = /^(\d+)s$/.exec(String(v));
      return m ? Number(m[1]) : NaN;
    };
    const graces = Object.fromEntries(
      files.flatMap((f) => {
        const miner = parseYaml(readFileSync(join(stackDir, f), 'utf8'))?.services?.miner;
        return miner ? [[f, seconds(miner.stop_grace_period)]] : [];
      }),
    );
    expect(Object.keys(graces).length).toBeGreaterThanOrEqual(7);
    // at least 5 s to spare: threads stop (up to 2 s) and a write in flight may take its 3 s timeout
    for (const [f, g] of Object.entries(graces)) expect(g, f).toBeGreaterThanOrEqual(STOP_GRACE_MS / 1000 + 5);
  });
});

describe('miner health: hashing, and Redis takes its writes', () => {
  const base = { now: 100_000, lastHashes: 99_000, lastWrite: 99_500, writeError: '', paused: false, stopping: false, windowMs: 5000 };

  it('healthy with recent hashes and a recent write; each missing part says why', () => {
    expect(minerHealth(base)).toEqual({ ok: true, reason: 'hashing, and redis takes its writes' });
    expect(minerHealth({ ...base, lastHashes: 0 })).toEqual({ ok: false, reason: 'not hashing yet' });
    expect(minerHealth({ ...base, lastHashes: 90_000 })).toEqual({ ok: false, reason: 'no hash for 10 s' });
    expect(minerHealth({ ...base, lastWrite: 0, writeError: 'redis reconnecting: connect ECONNREFUSED 10.0.0.3:6380' })).toEqual({
      ok: false,
      reason: 'no write to redis has worked yet (redis reconnecting: connect ECONNREFUSED 10.0.0.3:6380)',
    });
    expect(minerHealth({ ...base, lastWrite: 93_000, writeError: 'NOAUTH' })).toEqual({ ok: false, reason: 'no write to redis has worked for 7 s (NOAUTH)' });
    expect(minerHealth({ ...base, paused: true }).reason).toMatch(/hashing paused/);
    expect(minerHealth({ ...base, stopping: true })).toEqual({ ok: false, reason: 'stopping' });
  });

  it('a miner is healthy after a report Redis took, and not once Redis is down longer than the window', async () => {
    const redis = new FakeRedis();
    const { miner } = newMiner(redis);
    expect(miner.health().ok).toBe(false);
    miner['countHashes'](1000);
    await miner.report();
    expect(miner.health()).toEqual({ ok: true, reason: 'hashing, and redis takes its writes' });
    redis.down = true;
    miner['countHashes'](1000);
    await miner.report();
    // within the window: still healthy (one failed write is not an outage)
    expect(miner.health().ok).toBe(true);
    const h = miner.health(Date.now() + 6000);
    expect(h.ok).toBe(false);
    expect(h.reason).toMatch(/^no (hash|write to redis has worked) for \d+ s/);
  });

  it('METRICS_PORT: a port, 0 for any free one, "off", or a clear error', () => {
    expect(metricsPort(undefined)).toBe(9102);
    expect(metricsPort('9200')).toBe(9200);
    expect(metricsPort('0')).toBe(0);
    expect(metricsPort('off')).toBe('off');
    expect(() => metricsPort('70000')).toThrow(/METRICS_PORT must be a port number or "off", got "70000"/);
  });
});

describe('miner metrics (prom-client)', () => {
  it('count the hashes, the stored coins and the failed writes, labelled with node and version', async () => {
    const redis = new FakeRedis();
    const metrics = new MinerMetrics({ node: 'node3', version: 'v7' });
    const { miner, find } = newMiner(redis, { metrics });
    miner['countHashes'](1500);
    find('h1');
    find('h2');
    await vi.waitFor(() => expect(miner.pending).toHaveLength(0));
    redis.down = true;
    await miner.report();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^devcoin_miner_hashes_total\{node="node3",version="v7"\} 1500$/m);
    expect(text).toMatch(/^devcoin_miner_coins_total\{node="node3",version="v7"\} 2$/m);
    // the hash batch and the report both failed
    expect(text).toMatch(/^devcoin_miner_redis_errors_total\{node="node3",version="v7"\} 2$/m);
    // and the version is in the report the web UI shows
    redis.down = false;
    await miner.report();
    expect(JSON.parse(redis.kv.get(KEY.miner('m-unit'))!)).toMatchObject({ version: 'v7', node: 'n1' });
  });
});
