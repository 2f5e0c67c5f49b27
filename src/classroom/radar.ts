// The instructor's radar: every student's lab verified in the background, a few at a time (the
// labs share this machine's cores with the verify passes), newest results pushed to whoever
// listens. One pass of verify per check (no waiting for convergence: the next round comes soon
// anyway). A student's own verify and a finished catch-up feed the radar at once.
//
// Scheduling: each student is due `intervalMs` after its last check ended; at most `concurrency`
// checks run at once; a student asked for (`refreshNow`) goes before every due one. A lab with a
// job under way (catch-up, repair) is not verified, it is shown as such.
import type { CheckOutcome } from '../events.js';
import { limitNews, type NodeUsage } from '../lab/index.js';

export type RowState = 'unknown' | 'passing' | 'failing' | 'dead' | 'busy';

export interface LabHealth {
  up: boolean;
  /** why not, in one line (lab not up, nodes stopped, engine not answering) */
  detail?: string;
  nodes: { name: string; state: string }[];
}

export interface StudentView {
  name: string;
  lab: string;
  engine: string;
  chapter?: string;
  chapterSince?: number;
  /** a job under way (catch-up, repair), and how the last one ended when it failed */
  job?: string;
  jobError?: string;
}

export interface RadarRow extends StudentView {
  state: RowState;
  done: string[];
  checks: CheckOutcome[];
  /** the chapter those checks are of */
  checkedChapter?: string;
  checkedAt?: number;
  /** how long the last verify pass took */
  verifyMs?: number;
  /** failing continuously since */
  failingSince?: number;
  health?: LabHealth;
  /** each node's use against its limits, at the last check */
  usage?: NodeUsage[];
  /** limits the lab hit, newest last (the student's page says each once) */
  limitEvents?: { at: number; text: string }[];
  /** why this student looks stuck, when they do */
  stuck?: string;
}

export interface RadarDeps {
  /** where the student is: current chapter and the chapters done */
  progress(lab: string): Promise<{ current: string; done: string[] }>;
  health(lab: string): Promise<LabHealth>;
  /** each node's use against its limits (not asked when absent) */
  usage?(lab: string): Promise<NodeUsage[]>;
  /** a student's lab hit a limit: one line each, for their page */
  limitHit?(name: string, lines: string[]): void;
  /** one verify pass of the lab's current chapter */
  verify(lab: string): Promise<{ chapter: string; checks: CheckOutcome[] }>;
  /** the roster's record of the student (chapter, since when, job), read fresh each time */
  student(name: string): StudentView | undefined;
  /** the radar saw a new current chapter: the roster records since when */
  chapterSeen(name: string, chapter: string, at: number): void;
  now?(): number;
}

export interface RadarOptions {
  concurrency?: number;
  intervalMs?: number;
  /** failing for longer than this on the same chapter: stuck */
  stuckFailingMs?: number;
  /** on the same chapter for longer than this without passing: stuck */
  stuckIdleMs?: number;
}

export interface RadarSnapshot {
  rows: RadarRow[];
  /** how long the last complete round over every student took, and its p95 over recent rounds */
  refresh: { lastMs?: number; p95Ms?: number; rounds: number };
  at: number;
}

export function p95(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

export class Radar {
  private rows = new Map<string, RadarRow>();
  private due = new Map<string, number>();
  private inFlight = new Set<string>();
  private urgent: string[] = [];
  private listeners = new Set<(s: RadarSnapshot) => void>();
  private running = false;
  private wakers = new Set<() => void>();
  private workers: Promise<void>[] = [];
  private roundStart?: number;
  private roundSeen = new Set<string>();
  private rounds: number[] = [];
  readonly concurrency: number;
  readonly intervalMs: number;
  readonly stuckFailingMs: number;
  readonly stuckIdleMs: number;
  /** the most checks that ever ran at once (the tests hold the limit to it) */
  maxInFlight = 0;

  constructor(
    names: string[],
    private deps: RadarDeps,
    opts: RadarOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 2;
    this.intervalMs = opts.intervalMs ?? 5000;
    this.stuckFailingMs = opts.stuckFailingMs ?? 10 * 60_000;
    this.stuckIdleMs = opts.stuckIdleMs ?? 25 * 60_000;
    for (const n of names) {
      const s = deps.student(n);
      if (!s) continue;
      this.rows.set(n, { ...s, state: 'unknown', done: [], checks: [] });
      this.due.set(n, 0);
    }
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  onChange(fn: (s: RadarSnapshot) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  snapshot(): RadarSnapshot {
    const now = this.now();
    const rows = [...this.rows.values()].map((r) => {
      const s = this.deps.student(r.name);
      const merged: RadarRow = { ...r, ...s, state: s?.job ? 'busy' : r.state };
      merged.stuck = this.stuckReason(merged, now);
      return merged;
    });
    return { rows, refresh: { lastMs: this.rounds[this.rounds.length - 1], p95Ms: p95(this.rounds.slice(-20)), rounds: this.rounds.length }, at: now };
  }

  private stuckReason(r: RadarRow, now: number): string | undefined {
    if (r.state === 'dead') return undefined; // shown as dead, which says more
    if (r.state === 'failing' && r.failingSince !== undefined && now - r.failingSince >= this.stuckFailingMs) {
      return `verify failing for ${Math.round((now - r.failingSince) / 60_000)} min`;
    }
    if (r.state !== 'passing' && r.chapterSince !== undefined && now - r.chapterSince >= this.stuckIdleMs) {
      return `no progress for ${Math.round((now - r.chapterSince) / 60_000)} min`;
    }
    return undefined;
  }

  private changed(): void {
    const s = this.snapshot();
    for (const fn of this.listeners) fn(s);
  }

  /** Every complete round's duration (ms), oldest first (the last 100). */
  roundTimes(): number[] {
    return [...this.rounds];
  }

  /** Checks this student next, before any other that is due. */
  refreshNow(name: string): void {
    if (!this.rows.has(name)) return;
    if (!this.urgent.includes(name)) this.urgent.push(name);
    const one = this.wakers.values().next().value;
    one?.();
  }

  /** A result a student's own verify (or a catch-up) produced: shown at once, no second pass. */
  record(name: string, chapter: string, checks: CheckOutcome[], verifyMs?: number): void {
    const r = this.rows.get(name);
    if (!r) return;
    this.apply(r, chapter, checks, verifyMs);
    this.due.set(name, this.now() + this.intervalMs);
    this.roundDone(name); // a fresh result counts for this round
    this.changed();
  }

  /** Something changed that is not a verify (a job began or ended): push a new snapshot. */
  touch(): void {
    this.changed();
  }

  private apply(r: RadarRow, chapter: string, checks: CheckOutcome[], verifyMs?: number): void {
    const now = this.now();
    const ok = checks.length > 0 && checks.every((c) => c.ok);
    if (!ok && (r.state !== 'failing' || r.checkedChapter !== chapter)) r.failingSince = now;
    if (ok) r.failingSince = undefined;
    r.state = ok ? 'passing' : 'failing';
    r.checks = checks;
    r.checkedChapter = chapter;
    r.checkedAt = now;
    r.verifyMs = verifyMs;
  }

  /** The next student to check: an urgent one, else the most overdue; undefined when none is due. */
  private pick(): string | undefined {
    while (this.urgent.length) {
      const n = this.urgent.shift()!;
      if (!this.inFlight.has(n)) return n;
    }
    const now = this.now();
    let best: string | undefined;
    for (const [n, at] of this.due) {
      if (this.inFlight.has(n) || at > now) continue;
      if (best === undefined || at < this.due.get(best)!) best = n;
    }
    return best;
  }

  private nextDueIn(): number {
    const now = this.now();
    let soonest = Infinity;
    for (const [n, at] of this.due) if (!this.inFlight.has(n)) soonest = Math.min(soonest, at - now);
    return Math.max(50, Math.min(soonest, this.intervalMs));
  }

  /** One check of one student: progress, health, then (when the lab is well) one verify pass. */
  async checkOne(name: string): Promise<void> {
    const r = this.rows.get(name);
    if (!r) return;
    this.inFlight.add(name);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
    try {
      const s = this.deps.student(name);
      if (s?.job) return; // a catch-up or a repair is under way: its end feeds the radar
      const p = await this.deps.progress(r.lab).catch(() => undefined);
      if (p) {
        r.done = p.done;
        if (s && s.chapter !== p.current) this.deps.chapterSeen(name, p.current, this.now());
      }
      const health = await this.deps.health(r.lab).catch((err: Error) => ({ up: false, detail: err.message.split('\n')[0], nodes: [] }) as LabHealth);
      r.health = health;
      if (!health.up) {
        r.state = 'dead';
        r.failingSince = undefined;
        return;
      }
      if (this.deps.usage) {
        const usage = await this.deps.usage(r.lab).catch(() => undefined);
        if (usage) {
          // the first reading only sets the counters: what happened before the server started is old news
          const news = r.usage ? limitNews(r.usage, usage) : limitNews(undefined, usage).filter((l) => l.includes('is at its'));
          r.usage = usage;
          if (news.length) {
            r.limitEvents = [...(r.limitEvents ?? []), ...news.map((text) => ({ at: this.now(), text }))].slice(-10);
            this.deps.limitHit?.(name, news);
          }
        }
      }
      const t0 = this.now();
      try {
        const v = await this.deps.verify(r.lab);
        this.apply(r, v.chapter, v.checks, this.now() - t0);
      } catch (err) {
        // a verify that could not run is a failure, and says why
        this.apply(r, p?.current ?? r.checkedChapter ?? '', [{ id: 'radar', title: 'verify ran', ok: false, detail: `could not check: ${(err as Error).message.split('\n')[0]}` }], this.now() - t0);
      }
    } finally {
      this.inFlight.delete(name);
      this.due.set(name, this.now() + this.intervalMs);
      this.roundDone(name);
      this.changed();
    }
  }

  /** A round is every student checked once; its duration is the radar's refresh time. */
  private roundDone(name: string): void {
    this.roundSeen.add(name);
    if (this.roundStart !== undefined && this.roundSeen.size >= this.rows.size) {
      this.rounds.push(this.now() - this.roundStart);
      if (this.rounds.length > 100) this.rounds.shift();
      this.roundStart = this.now();
      this.roundSeen.clear();
    }
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const n = this.pick();
      if (n === undefined) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(t);
            this.wakers.delete(wake);
            resolve();
          };
          const t = setTimeout(wake, this.nextDueIn());
          this.wakers.add(wake);
        });
        continue;
      }
      await this.checkOne(n);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.roundStart = this.now();
    this.workers = Array.from({ length: this.concurrency }, () => this.worker());
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.wakers]) wake();
    // a worker in the middle of a check ends with it (its lab call is not cancelled)
    await Promise.all(this.workers);
  }
}
