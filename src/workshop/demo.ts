// The instructor's run-through: every chapter of a range, its narration, each command shown (or
// typed, by the face) and run for real, then verified; a row per chapter. Stops at the first
// failure and says how to continue.
import { ExitCode, UserError } from '../errors.js';
import { builtInLabExists, isConnected, labDown, labUp, openLab, upOptionsOf, withLabLock } from '../lab/index.js';
import { findChapter, inForm, loadChapters } from './chapters.js';
import { routingFormOf } from './routing.js';
import { catchUp } from './catch-up.js';
import { runSteps } from './runner.js';
import { verifyChapter } from './verify.js';
import { markDoneThrough, stepFailure } from './workshop.js';
import { task, type Face } from '../events.js';

export interface DemoOptions {
  from?: string;
  to?: string;
  /** start from a new built-in lab (the old one removed first) */
  fresh?: boolean;
  /** on connected machines, remove what was there before lab connect without asking */
  yes?: boolean;
  /** how long verify waits for each chapter to converge */
  verifyTimeoutMs?: number;
}

export interface DemoRow {
  chapter: string;
  seconds: number;
  passed: number;
  checks: number;
}

export interface DemoResult {
  /** 'quit': the face said so before a command; 'failed' never returns (it throws) */
  outcome: 'done' | 'quit';
  chapters: DemoRow[];
  totalSeconds: number;
  /** the chapter it stopped at, when quit */
  stoppedAt?: string;
}

/** Thrown when a chapter's check fails: the rows so far and which check, for the face to render. */
export class DemoFailed extends UserError {
  constructor(
    readonly rows: DemoRow[],
    readonly chapter: string,
    readonly check: { id: string; title: string; hint?: string },
  ) {
    super(`${chapter}: check "${check.title}" failed`, `${check.hint}; then continue with: devcoin-workshop demo --from ${chapter}`);
  }
}

export async function demo(labName: string, opts: DemoOptions, face: Face): Promise<DemoResult> {
  const chapters = await loadChapters();
  const from = opts.from ? findChapter(chapters, opts.from) : chapters[0];
  const to = opts.to ? findChapter(chapters, opts.to) : chapters[chapters.length - 1];
  const range = chapters.slice(chapters.indexOf(from), chapters.indexOf(to) + 1);
  if (!range.length) throw new UserError(`--from ${from.slug} comes after --to ${to.slug}`, 'swap them', ExitCode.usage);

  // connected machines are used as they are: never a built-in lab of the same name beside them
  const connected = isConnected(labName);
  if (opts.fresh && connected) throw new UserError(`lab ${labName} is made of connected machines`, 'drop --fresh: the demo catches up on them instead', ExitCode.usage);
  if (!connected) {
    await withLabLock(labName, 'demo', async () => {
      // a fresh lab is made as the old one was: on its engine, with its labels and limits (a
      // classroom's lab stays in the classroom's cage)
      const was = opts.fresh ? await upOptionsOf(labName).catch(() => undefined) : undefined;
      if (opts.fresh) await task(face, `lab ${labName} down (fresh start)`, () => labDown(labName));
      if (opts.fresh || !(await builtInLabExists(labName))) {
        await task(face, `lab ${labName} up`, (u) => labUp(labName, { managers: 3, workers: 2, progress: u, ...was }));
      }
    });
  }
  const lab = await openLab(labName);
  const form = await routingFormOf(labName, lab);
  await catchUp(lab, from, face, !!opts.yes);

  const rows: DemoRow[] = [];
  const total = () => rows.reduce((s, r) => s + r.seconds, 0);
  for (const c of range) {
    const t0 = Date.now();
    face.emit({ type: 'chapter', number: c.number, slug: c.slug, title: c.title, intro: c.intro });
    let outcome: 'done' | 'quit';
    try {
      outcome = await runSteps(lab, inForm(c, form), face);
    } catch (err) {
      face.emit({ type: 'log', level: 'warn', text: `stopped in ${c.slug}; continue with: devcoin-workshop demo --from ${c.slug}` });
      stepFailure(err, c);
    }
    if (outcome === 'quit') return { outcome: 'quit', chapters: rows, totalSeconds: total(), stoppedAt: c.slug };
    const results = await task(face, `verify ${c.slug}`, () => verifyChapter(lab, c, opts.verifyTimeoutMs ?? 60_000));
    for (const result of results) face.emit({ type: 'check', chapter: c.slug, result });
    const passed = results.filter((r) => r.ok).length;
    const row = { chapter: c.slug, seconds: (Date.now() - t0) / 1000, passed, checks: results.length };
    rows.push(row);
    face.emit({ type: 'chapter-done', ...row });
    if (passed < results.length) {
      const bad = results.find((r) => !r.ok)!;
      throw new DemoFailed(rows, c.slug, { id: bad.id, title: bad.title, hint: bad.hint });
    }
    markDoneThrough(labName, chapters, c);
  }
  return { outcome: 'done', chapters: rows, totalSeconds: total() };
}
