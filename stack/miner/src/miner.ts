// The miner process: hashing (on this thread or in worker threads), the coins it found until
// Redis has them, and a report of its hash rate under a key that expires.
import { Worker } from 'node:worker_threads';
import { hash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KEY, COINS_KEPT, BUCKET_TTL, type Coin, type MinerReport } from '../../lib/keys.js';
import { HashLoop, type LoopSettings } from './loop.js';
import { describeConfig, type ConfigWatcher, type MinerConfig } from './config.js';
import type { FromWorker, WorkerInit } from './worker.js';
import type { Found } from './pow.js';

// Stores a coin once: a retried write (the reply to the first one was lost) is recognised by
// its hash and not counted again. The id is the counter's new value, so ids are global.
const STORE_COIN = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', 86400) then return 0 end
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], id, '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2))
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[2]) + 1))
return id`;

/** A found coin until Redis has it (and gives it its id). */
export type PendingCoin = Omit<Coin, 'id'>;

interface Engine {
  update(s: LoopSettings): void;
  stop(): Promise<void>;
}

export interface MinerOptions {
  id: string;
  node: string;
  redis: Redis;
  config: ConfigWatcher;
  log: (msg: string) => void;
  /** the file worker threads start from (the bundle itself) */
  workerFile: URL | string;
}

export class Miner {
  /** coins found and not yet confirmed written; never dropped */
  readonly pending: PendingCoin[] = [];
  private buckets = new Map<number, number>();
  private engines: Engine[] = [];
  private prevs: string[] = [];
  private sinceReport = 0;
  private lastReport = performance.now();
  private rate = 0;
  private coinsStored = 0;
  private totalHashes = 0;
  private flushing = false;
  private reportTimer?: NodeJS.Timeout;
  private summaryTimer?: NodeJS.Timeout;
  private readonly since = Date.now();
  private stopping = false;

  constructor(private readonly o: MinerOptions) {}

  get config(): MinerConfig {
    return this.o.config.current;
  }

  private settings(cfg: MinerConfig): LoopSettings {
    return { difficulty: cfg.difficulty, limit: cfg.speedLimit === 'unlimited' ? 0 : cfg.speedLimit / cfg.threads };
  }

  private genesis(thread: number): string {
    return hash('sha256', `genesis ${this.o.id} ${thread}`);
  }

  private countHashes(n: number): void {
    // hashes land in the bucket of the second they were done in; the api sums whole seconds
    const sec = Math.floor(Date.now() / 1000);
    this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + n);
    this.sinceReport += n;
    this.totalHashes += n;
  }

  private foundCoin(thread: number, f: Found, difficulty: number, time: number): void {
    this.prevs[thread] = f.hash;
    this.pending.push({ hash: f.hash, prev: f.prev, nonce: f.nonce, miner: this.o.id, node: this.o.node, difficulty, time });
    void this.flushCoins();
  }

  private startEngines(): void {
    const cfg = this.config;
    const s = this.settings(cfg);
    for (let t = 0; t < cfg.threads; t++) {
      const prev = this.prevs[t] ?? this.genesis(t);
      if (cfg.threads === 1) {
        const loop = new HashLoop(this.o.id, prev, s, {
          onHashes: (n) => this.countHashes(n),
          onCoin: (f, d, time) => this.foundCoin(t, f, d, time),
        });
        loop.start();
        this.engines.push(loop);
        continue;
      }
      const init: WorkerInit = { role: 'devcoin-miner-worker', minerId: this.o.id, prev, settings: s };
      const w = new Worker(this.o.workerFile, { workerData: init });
      let stopped: () => void = () => {};
      const done = new Promise<void>((r) => (stopped = r));
      w.on('message', (m: FromWorker) => {
        if (m.type === 'hashes') this.countHashes(m.n);
        else if (m.type === 'coin') this.foundCoin(t, m, m.difficulty, m.time);
        else if (m.type === 'stopped') stopped();
      });
      w.on('error', (err) => this.o.log(`thread ${t} failed: ${err.message}`));
      w.on('exit', () => stopped());
      this.engines.push({
        update: (settings) => w.postMessage({ type: 'settings', settings }),
        stop: async () => {
          w.postMessage({ type: 'stop' });
          await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
          await w.terminate();
        },
      });
    }
  }

  private async stopEngines(): Promise<void> {
    const engines = this.engines;
    this.engines = [];
    await Promise.all(engines.map((e) => e.stop()));
  }

  /** Applies a new config: a thread count change restarts the threads, the rest is live. */
  async applyConfig(next: MinerConfig, previous: MinerConfig): Promise<void> {
    if (this.stopping) return;
    if (next.threads !== previous.threads) {
      await this.stopEngines();
      this.startEngines();
    } else {
      for (const e of this.engines) e.update(this.settings(next));
    }
    if (next.reportInterval !== previous.reportInterval) this.scheduleReports();
  }

  start(): void {
    this.o.log(`miner ${this.o.id} on node ${this.o.node}: ${describeConfig(this.config)}`);
    this.startEngines();
    this.scheduleReports();
    this.summaryTimer = setInterval(() => {
      this.o.log(`${Math.round(this.rate).toLocaleString('en')} H/s, ${this.coinsStored} coins stored, ${this.pending.length} waiting for redis`);
    }, 10_000);
    this.o.redis.on('ready', () => void this.flushCoins());
  }

  private scheduleReports(): void {
    clearInterval(this.reportTimer);
    this.reportTimer = setInterval(() => void this.report(), this.config.reportInterval * 1000);
  }

  /** Writes pending coins, oldest first; stops at the first failure and tries again later. */
  async flushCoins(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const c = this.pending[0];
        try {
          await this.o.redis.eval(STORE_COIN, 3, KEY.seen(c.hash), KEY.coinCount, KEY.coins, JSON.stringify(c), String(COINS_KEPT));
        } catch {
          return; // kept; the next report or the reconnect tries again
        }
        this.pending.shift();
        this.coinsStored++;
      }
    } finally {
      this.flushing = false;
    }
  }

  private reportData(): MinerReport {
    const c = this.config;
    return {
      id: this.o.id,
      node: this.o.node,
      rate: Math.round(this.rate),
      threads: c.threads,
      difficulty: c.difficulty,
      speedLimit: c.speedLimit,
      coins: this.coinsStored,
      pending: this.pending.length,
      since: this.since,
      time: Date.now(),
    };
  }

  /** Hash buckets and the live report; on failure the buckets stay and are added next time. */
  async report(): Promise<void> {
    const now = performance.now();
    const elapsed = (now - this.lastReport) / 1000;
    if (elapsed > 0) this.rate = this.sinceReport / elapsed;
    this.sinceReport = 0;
    this.lastReport = now;
    const nowSec = Math.floor(Date.now() / 1000);
    // counts older than the buckets live are of no use to anyone
    for (const s of this.buckets.keys()) if (s < nowSec - BUCKET_TTL) this.buckets.delete(s);
    const batch = [...this.buckets.entries()];
    this.buckets = new Map();
    const ttl = Math.max(5, Math.ceil(this.config.reportInterval * 3));
    const m = this.o.redis.multi();
    let total = 0;
    for (const [sec, n] of batch) {
      m.incrby(KEY.hashBucket(sec), n).expire(KEY.hashBucket(sec), BUCKET_TTL);
      total += n;
    }
    if (total > 0) m.incrby(KEY.hashTotal, total);
    if (!this.stopping) m.set(KEY.miner(this.o.id), JSON.stringify(this.reportData()), 'EX', ttl);
    try {
      await m.exec();
    } catch {
      for (const [sec, n] of batch) this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + n);
    }
    void this.flushCoins();
  }

  /** SIGTERM: stop hashing, write what is owed (a few seconds at most), leave the miner list. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.reportTimer);
    clearInterval(this.summaryTimer);
    await this.stopEngines();
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      await this.report();
      await this.flushCoins();
      if (this.pending.length === 0 && this.buckets.size === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.o.redis.del(KEY.miner(this.o.id)).catch(() => {});
    if (this.pending.length) this.o.log(`stopping with ${this.pending.length} coins Redis never took`);
    this.o.log(`stopped: ${this.coinsStored} coins stored, ${this.totalHashes.toLocaleString('en')} hashes`);
  }
}
