// Runs a PowSearch in short chunks so the thread stays responsive (Redis I/O, config changes,
// SIGTERM) and, when a speed limit is set, sleeps between chunks to hold that rate. The same
// loop runs on the main thread (threads: 1) or inside each worker thread.
import { PowSearch, type Found } from './pow.js';

export interface LoopSettings {
  difficulty: number;
  /** hashes per second for this loop, or 0 for no limit */
  limit: number;
}

/**
 * The bound on coins found and not yet stored, shared by every hashing thread and the main
 * thread (a SharedArrayBuffer). A loop takes a slot before each chunk (a chunk finds at most
 * one coin) and gives it back if the chunk found none; the main thread gives a coin's slot
 * back once Redis has the coin. When all slots are taken the loops wait: hashing pauses, and
 * no more than `max` coins are ever waiting, which is all a SIGKILL can lose.
 */
export interface Gate {
  slots: Int32Array;
  max: number;
}

export function newGate(max: number): Gate {
  return { slots: new Int32Array(new SharedArrayBuffer(4)), max };
}

/** Takes a slot if one is free. */
export function takeSlot(g: Gate): boolean {
  for (;;) {
    const cur = Atomics.load(g.slots, 0);
    if (cur >= g.max) return false;
    if (Atomics.compareExchange(g.slots, 0, cur, cur + 1) === cur) return true;
  }
}

/** Gives a slot back (never below zero). */
export function giveSlot(g: Gate): void {
  for (;;) {
    const cur = Atomics.load(g.slots, 0);
    if (cur <= 0) return;
    if (Atomics.compareExchange(g.slots, 0, cur, cur - 1) === cur) return;
  }
}

export interface LoopEvents {
  onCoin(found: Found, difficulty: number, time: number): void;
  onHashes(n: number): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

export class HashLoop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private windowHashes = 0;
  private search: PowSearch;

  constructor(
    minerId: string,
    prev: string,
    private settings: LoopSettings,
    private readonly events: LoopEvents,
    private readonly gate?: Gate,
  ) {
    this.search = new PowSearch(minerId, prev);
  }

  update(settings: LoopSettings): void {
    this.settings = settings;
    // the limit is measured from now on, so a change takes effect at once
    this.windowStart = performance.now();
    this.windowHashes = 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    this.windowStart = performance.now();
    this.windowHashes = 0;
    let waited = false;
    while (this.running) {
      if (this.gate && !takeSlot(this.gate)) {
        // as many coins wait for Redis as may: hash again when it has taken some
        waited = true;
        await sleep(50);
        continue;
      }
      if (waited) {
        // the pause is not made up for in a burst
        waited = false;
        this.windowStart = performance.now();
        this.windowHashes = 0;
      }
      const { difficulty, limit } = this.settings;
      // ~5-10 ms of work per chunk unlimited; with a limit, ~50 chunks a second so the rate is even
      const chunk = limit > 0 ? Math.max(1, Math.min(20_000, Math.round(limit / 50))) : 20_000;
      const r = this.search.run(chunk, difficulty);
      // the slot is the found coin's until Redis has it
      if (this.gate && !r.found) giveSlot(this.gate);
      this.events.onHashes(r.hashes);
      if (r.found) this.events.onCoin(r.found, difficulty, Date.now());
      if (limit > 0) {
        this.windowHashes += r.hashes;
        const now = performance.now();
        const ahead = (this.windowHashes / limit) * 1000 - (now - this.windowStart);
        if (ahead > 0) await sleep(ahead);
        else await yieldNow();
        // a fresh window every few seconds: a pause (GC, a busy CPU) is not paid back in a burst
        if (now - this.windowStart > 5000) {
          this.windowStart = performance.now();
          this.windowHashes = 0;
        }
      } else {
        await yieldNow();
      }
    }
  }
}
