// Runs a PowSearch in short chunks so the thread stays responsive (Redis I/O, config changes,
// SIGTERM) and, when a speed limit is set, sleeps between chunks to hold that rate. The same
// loop runs on the main thread (threads: 1) or inside each worker thread.
import { PowSearch, type Found } from './pow.js';

export interface LoopSettings {
  difficulty: number;
  /** hashes per second for this loop, or 0 for no limit */
  limit: number;
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
    while (this.running) {
      const { difficulty, limit } = this.settings;
      // ~5-10 ms of work per chunk unlimited; with a limit, ~50 chunks a second so the rate is even
      const chunk = limit > 0 ? Math.max(1, Math.min(20_000, Math.round(limit / 50))) : 20_000;
      const r = this.search.run(chunk, difficulty);
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
