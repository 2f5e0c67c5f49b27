// The miner process: hashing (on this thread or in worker threads), the coins it found until
// Redis has them, and a report of its hash rate under a key that expires.
//
// Every write to Redis may be applied and still fail for the miner (the reply is lost, or comes
// after the 3 s command timeout), and is then written again. So both writes are idempotent:
// a coin carries its hash, and a hash report a sequence number of this miner run; a replay
// changes nothing and says so.
import { Worker } from 'node:worker_threads';
import { hash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KEY, COINS_KEPT, BUCKET_TTL, type Coin, type MinerReport } from '../../lib/keys.js';
import { HashLoop, giveSlot, newGate, type Gate, type LoopSettings } from './loop.js';
import { describeConfig, type ConfigWatcher, type MinerConfig } from './config.js';
import type { FromWorker, WorkerInit } from './worker.js';
import type { Found } from './pow.js';
import { minerHealth, type Health, type MinerMetrics } from './metrics.js';

/**
 * Stores a coin once. KEYS: seen marker, counter, sorted set; ARGV: the coin's JSON (no id),
 * coins kept, this run's writer id. Answers {id, writer}: a new id when it stored the coin, or
 * 0 and the writer that stored it before (this run, when an earlier reply was lost; another
 * run of the same MINER_ID, which mines the same chain again). The id is the counter's new
 * value, so ids are global.
 */
export const STORE_COIN = `
local owner = redis.call('GET', KEYS[1])
if owner then return {0, owner} end
redis.call('SET', KEYS[1], ARGV[3], 'EX', 86400)
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], id, '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2))
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[2]) + 1))
return {id, ARGV[3]}`;

/**
 * Adds one hash report, once. KEYS: this run's last applied sequence, the total, then one
 * per-second bucket per count; ARGV: the report's sequence, its total, the buckets' TTL, then
 * the counts. A report whose sequence was already applied (a replay) answers 0 and adds nothing.
 * The miner sends one report at a time and the same one again until it is answered, so the
 * sequence numbers are applied in order and none is skipped.
 */
export const ADD_HASHES = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800)
redis.call('INCRBY', KEYS[2], ARGV[2])
for i = 3, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[i + 1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
return 1`;

/** Coins found and not yet stored, at most: hashing pauses when this many wait for Redis. */
export const MAX_PENDING = 1000;
/** How long a stopping miner keeps trying to write what it owes (below every stop_grace_period, 30 s). */
export const STOP_GRACE_MS = 10_000;

/** Redis's answers to a missing or wrong password (NOAUTH, WRONGPASS): no retry can fix them. */
export function refusedPassword(message: string): boolean {
  return /^(NOAUTH|WRONGPASS)\b/.test(message);
}

/** A found coin until Redis has it (and gives it its id). */
export type PendingCoin = Omit<Coin, 'id'>;

interface Engine {
  update(s: LoopSettings): void;
  stop(): Promise<void>;
}

/** Hashes sent to Redis and not yet answered: sent again, unchanged, until they are. */
interface HashBatch {
  seq: number;
  total: number;
  buckets: [number, number][];
}

export interface MinerOptions {
  id: string;
  node: string;
  redis: Redis;
  config: ConfigWatcher;
  log: (msg: string) => void;
  /** the file worker threads start from (the bundle itself) */
  workerFile: URL | string;
  /** default MAX_PENDING */
  maxPending?: number;
  /** default STOP_GRACE_MS */
  stopGraceMs?: number;
  /** what the miner reports as its version (the image's MINER_VERSION) */
  version?: string;
  /** Prometheus counters, when the miner serves /metrics */
  metrics?: MinerMetrics;
}

export class Miner {
  /** coins found and not yet confirmed written; dropped only when a stop runs out of time */
  readonly pending: PendingCoin[] = [];
  /** this run of the miner, as the writer of its coins and hash reports (MINER_ID may repeat) */
  readonly writer: string;
  private readonly gate: Gate;
  /** hashes per second, not yet in a batch */
  private buckets = new Map<number, number>();
  /** hashes of seconds too old for a bucket: they still count in the total */
  private oldHashes = 0;
  private batch?: HashBatch;
  private seq = 0;
  private reporting = false;
  private engines: Engine[] = [];
  private prevs: string[] = [];
  private sinceReport = 0;
  private lastReport = performance.now();
  private rate = 0;
  private coinsFound = 0;
  private coinsStored = 0;
  /** coins the idempotent write said another run had stored */
  private coinsAlready = 0;
  private totalHashes = 0;
  private hashesReported = 0;
  private flushing = false;
  /** the hash of the waiting coin whose write was sent and not answered (Redis may have it); one at most, as coins are written one at a time */
  private unanswered?: string;
  private paused = false;
  private writeError = '';
  private reportTimer?: NodeJS.Timeout;
  private summaryTimer?: NodeJS.Timeout;
  private readonly since = Date.now();
  private stopping = false;
  /** when hashes were last counted, and when a write to Redis last worked (epoch ms; 0 never): its health */
  private lastHashesAt = 0;
  private lastWriteAt = 0;
  /** the last connection error ioredis gave (why writes are refused while it reconnects) */
  private connError = '';

  constructor(private readonly o: MinerOptions) {
    this.writer = `${o.id}/${randomBytes(6).toString('hex')}`;
    this.gate = newGate(o.maxPending ?? MAX_PENDING);
  }

  /** What this run did so far, for its logs and tests. */
  get counts(): { found: number; stored: number; already: number; pending: number; hashes: number; hashesReported: number } {
    return { found: this.coinsFound, stored: this.coinsStored, already: this.coinsAlready, pending: this.pending.length, hashes: this.totalHashes, hashesReported: this.hashesReported };
  }

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
    if (n > 0) this.lastHashesAt = Date.now();
    this.o.metrics?.hashes.inc(n);
  }

  private foundCoin(thread: number, f: Found, difficulty: number, time: number): void {
    this.prevs[thread] = f.hash;
    this.coinsFound++;
    this.pending.push({ hash: f.hash, prev: f.prev, nonce: f.nonce, miner: this.o.id, node: this.o.node, difficulty, time });
    if (!this.paused && this.pending.length >= this.gate.max) {
      this.paused = true;
      this.o.log(`${this.pending.length} coins wait for redis: hashing paused until it takes them`);
    }
    void this.flushCoins();
  }

  private writeFailed(what: string, err: unknown): void {
    const msg = (err as Error)?.message ?? String(err);
    this.o.metrics?.redisErrors.inc();
    if (msg !== this.writeError) this.o.log(`redis: ${what} not written (${msg}); kept, trying again`);
    this.writeError = msg;
  }

  private writeWorked(): void {
    this.lastWriteAt = Date.now();
    if (this.writeError) this.o.log(`redis: writes go through again; ${this.pending.length} coins waiting`);
    this.writeError = '';
  }

  private startEngines(): void {
    const cfg = this.config;
    const s = this.settings(cfg);
    for (let t = 0; t < cfg.threads; t++) {
      const prev = this.prevs[t] ?? this.genesis(t);
      if (cfg.threads === 1) {
        const loop = new HashLoop(
          this.o.id,
          prev,
          s,
          {
            onHashes: (n) => this.countHashes(n),
            onCoin: (f, d, time) => this.foundCoin(t, f, d, time),
          },
          this.gate,
        );
        loop.start();
        this.engines.push(loop);
        continue;
      }
      const init: WorkerInit = { role: 'devcoin-miner-worker', minerId: this.o.id, prev, settings: s, gate: this.gate };
      const w = new Worker(this.o.workerFile, { workerData: init });
      let stopped: () => void = () => {};
      const done = new Promise<void>((r) => (stopped = r));
      let retired = false;
      w.on('message', (m: FromWorker) => {
        if (m.type === 'hashes') this.countHashes(m.n);
        else if (m.type === 'coin') {
          // a coin that arrives after its thread was written off holds no slot yet: give it one
          if (retired) Atomics.add(this.gate.slots, 0, 1);
          this.foundCoin(t, m, m.difficulty, m.time);
        } else if (m.type === 'stopped') stopped();
      });
      w.on('error', (err) => this.o.log(`thread ${t} failed: ${err.message}`));
      w.on('exit', () => stopped());
      this.engines.push({
        update: (settings) => w.postMessage({ type: 'settings', settings }),
        stop: async () => {
          w.postMessage({ type: 'stop' });
          await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
          await w.terminate();
          retired = true;
        },
      });
    }
  }

  private async stopEngines(): Promise<void> {
    const engines = this.engines;
    this.engines = [];
    await Promise.all(engines.map((e) => e.stop()));
    // no thread hashes now, so the slots taken are exactly the coins waiting (a thread cut off
    // in the middle of a chunk cannot give its slot back)
    Atomics.store(this.gate.slots, 0, this.pending.length);
  }

  /** Applies a new config: a thread count change restarts the threads, the rest is live. */
  async applyConfig(next: MinerConfig, previous: MinerConfig): Promise<void> {
    if (this.stopping) return;
    if (next.threads !== previous.threads) {
      await this.stopEngines();
      // a SIGTERM while the threads stopped: they stay stopped
      if (this.stopping) return;
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
    this.o.redis.on('error', (err: Error) => (this.connError = err.message));
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
        let reply: unknown;
        try {
          reply = await this.o.redis.eval(STORE_COIN, 3, KEY.seen(c.hash), KEY.coinCount, KEY.coins, JSON.stringify(c), String(COINS_KEPT), this.writer);
        } catch (err) {
          // refused while disconnected: never sent. Anything else (a timeout, the connection
          // closing under it): sent, and Redis may have applied it
          if (!/isn't writeable/.test((err as Error)?.message ?? '')) this.unanswered = c.hash;
          this.writeFailed('coin', err);
          return; // kept; the next report or the reconnect tries again
        }
        if (this.unanswered === c.hash) this.unanswered = undefined;
        this.pending.shift();
        giveSlot(this.gate);
        const [id, owner] = reply as [number, string];
        // stored now, or by this run's earlier write whose reply was lost: this run's coin,
        // counted here once. Stored by another run of the same MINER_ID: not this run's.
        if (Number(id) > 0 || owner === this.writer) {
          this.coinsStored++;
          this.o.metrics?.coins.inc();
        } else this.coinsAlready++;
        this.writeWorked();
        if (this.paused && this.pending.length < this.gate.max) {
          this.paused = false;
          if (!this.stopping) this.o.log(`redis took the waiting coins: hashing again`);
        }
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
      version: this.o.version ?? 'dev',
      coins: this.coinsStored,
      pending: this.pending.length,
      since: this.since,
      time: Date.now(),
    };
  }

  /** The hashes not yet in a batch become the next one (with the next sequence number). */
  private nextBatch(): HashBatch | undefined {
    const nowSec = Math.floor(Date.now() / 1000);
    const buckets: [number, number][] = [];
    let total = this.oldHashes;
    for (const [sec, n] of this.buckets) {
      total += n;
      // a bucket older than the chart shows is of no use; its hashes still count in the total
      if (sec >= nowSec - BUCKET_TTL) buckets.push([sec, n]);
    }
    if (total === 0) return undefined;
    this.buckets = new Map();
    this.oldHashes = 0;
    return { seq: ++this.seq, total, buckets };
  }

  /** Hash counts (one batch at a time, resent unchanged until answered) and the live report. */
  async report(): Promise<void> {
    const now = performance.now();
    const elapsed = (now - this.lastReport) / 1000;
    if (elapsed > 0) this.rate = this.sinceReport / elapsed;
    this.sinceReport = 0;
    this.lastReport = now;
    if (this.reporting) return; // the previous report is still waiting for Redis
    this.reporting = true;
    try {
      // the batch a lost reply left behind first, then the hashes since
      for (let i = 0; i < 2; i++) {
        this.batch ??= this.nextBatch();
        const b = this.batch;
        if (!b) break;
        try {
          await this.o.redis.eval(
            ADD_HASHES,
            2 + b.buckets.length,
            KEY.hashReport(this.writer),
            KEY.hashTotal,
            ...b.buckets.map(([sec]) => KEY.hashBucket(sec)),
            String(b.seq),
            String(b.total),
            String(BUCKET_TTL),
            ...b.buckets.map(([, n]) => String(n)),
          );
        } catch (err) {
          this.writeFailed('hash counts', err);
          break;
        }
        // applied now or, when the answer is 0, by an earlier send of the same batch
        this.batch = undefined;
        this.hashesReported += b.total;
        this.writeWorked();
      }
      if (!this.stopping) {
        const ttl = Math.max(5, Math.ceil(this.config.reportInterval * 3));
        await this.o.redis
          .set(KEY.miner(this.o.id), JSON.stringify(this.reportData()), 'EX', ttl)
          .then(() => this.writeWorked())
          .catch((err) => this.writeFailed('report', err));
      }
    } finally {
      this.reporting = false;
    }
    void this.flushCoins();
  }

  /**
   * Healthy while it hashes and can store coins (what /healthz answers and Docker's healthcheck
   * asks): hashes counted and a Redis write that worked within three report intervals (5 s at least).
   */
  health(now = Date.now()): Health {
    this.o.metrics?.waiting.set(this.pending.length);
    // while disconnected, writes are refused without a word about why: the connection's error says it
    const status = (this.o.redis as { status?: string }).status;
    const down = status !== undefined && status !== 'ready';
    return minerHealth({
      now,
      lastHashes: this.lastHashesAt,
      lastWrite: this.lastWriteAt,
      writeError: down ? `redis ${status}${this.connError ? `: ${this.connError}` : ''}` : this.writeError,
      paused: this.paused,
      stopping: this.stopping,
      windowMs: Math.max(5000, this.config.reportInterval * 3000),
    });
  }

  /** Nothing owed to Redis: no coin waiting, every hash counted. */
  private settled(): boolean {
    return this.pending.length === 0 && !this.batch && this.buckets.size === 0 && this.oldHashes === 0;
  }

  /**
   * SIGTERM: stop hashing, then write every coin found and every hash counted, retrying
   * (Redis may be restarting) for up to the grace period, or until Redis refuses the password;
   * leave the miner list. What is still not written then is lost, and said. Answers whether
   * everything was written: the process exits 1 when not, so Docker and Swarm see a miner that
   * failed its job, not one that completed (a task stopped for being unhealthy that exits 0
   * counts as "complete" for Swarm, and a rolling update would never notice it).
   */
  async stop(signal = 'SIGTERM'): Promise<boolean> {
    this.stopping = true;
    clearInterval(this.reportTimer);
    clearInterval(this.summaryTimer);
    await this.stopEngines();
    const graceMs = this.o.stopGraceMs ?? STOP_GRACE_MS;
    const grace = `${Number((graceMs / 1000).toFixed(1))} s`;
    const owed = () => this.totalHashes - this.hashesReported;
    this.o.log(`${signal}: stopping; ${this.pending.length} coins not yet stored, ${owed().toLocaleString('en')} hashes not yet counted: writing them, for up to ${grace}`);
    const deadline = Date.now() + graceMs;
    for (;;) {
      await this.report();
      await this.flushCoins();
      if (this.settled() || Date.now() >= deadline) break;
      // a password Redis refuses stays refused (the secret is read once, at start): waiting
      // the whole grace period for it only delays the update that is stopping this miner
      if (refusedPassword(this.writeError)) {
        this.o.log(`redis refuses this miner's password (${this.writeError}): waiting cannot change that, not trying again`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.o.redis.del(KEY.miner(this.o.id)).catch(() => {});
    if (this.pending.length || owed() > 0) {
      // a write in flight at the deadline may still be applied; Redis did not confirm it
      this.o.log(`gave up after ${grace}: ${this.pending.length} coins not stored, ${owed().toLocaleString('en')} hashes not counted (Redis did not confirm them)`);
    }
    const already = this.coinsAlready ? `; ${this.coinsAlready} coins already stored by another run of ${this.o.id}` : '';
    // the coin at the head of the queue if its write is still on its way, or failed after it was sent
    const sent = this.pending.length > 0 && (this.flushing || this.pending[0].hash === this.unanswered);
    const unsure = sent ? '; 1 of the coins not stored was sent without an answer: Redis may have it' : '';
    this.o.log(`stopped: ${this.coinsStored} coins stored, ${this.pending.length} not stored (${this.coinsFound} found), ${this.totalHashes.toLocaleString('en')} hashes${already}${unsure}`);
    return this.pending.length === 0 && owed() === 0;
  }
}
