// The student's verbs on a lab: list, show, current, hint, run, verify, next, goto, reset.
import { ExitCode, UserError } from '../errors.js';
import { isConnected, labDown, labUp, openLab, webUrl, withLabLock, type Lab } from '../lab/index.js';
import { findChapter, inForm, loadChapters } from './chapters.js';
import { routingFormOf } from './routing.js';
import { catchUp } from './catch-up.js';
import { clearProgress, readProgress, writeProgress, type Progress } from './progress.js';
import { runSteps, StepFailed } from './runner.js';
import { verifyChapter, type CheckOutcome } from './verify.js';
import { silent, task, type Face } from '../events.js';
import type { Chapter } from './types.js';

export interface ChapterRow {
  number: number;
  slug: string;
  title: string;
  status: 'done' | 'current' | 'todo';
}

async function chaptersAndProgress(lab: string): Promise<{ chapters: Chapter[]; progress: Progress }> {
  const chapters = await loadChapters();
  if (!chapters.length) throw new UserError('no chapters found', 'run `npm run build` first');
  return { chapters, progress: readProgress(lab, chapters[0].slug) };
}

/** The chapter named (slug, number or folder), or the lab's current one. */
export async function chapterOf(lab: string, name?: string): Promise<Chapter> {
  const { chapters, progress } = await chaptersAndProgress(lab);
  // as the lab reads it: with the routing mesh or without
  return inForm(findChapter(chapters, name ?? progress.current), await routingFormOf(lab));
}

export async function listChapters(lab: string): Promise<ChapterRow[]> {
  const { chapters, progress } = await chaptersAndProgress(lab);
  return chapters.map((c) => ({
    number: c.number,
    slug: c.slug,
    title: c.title,
    status: progress.done.includes(c.slug) ? 'done' : c.slug === progress.current ? 'current' : 'todo',
  }));
}

export async function progressOf(lab: string): Promise<Progress> {
  return (await chaptersAndProgress(lab)).progress;
}

/**
 * Where this machine's browser opens the web UI the chapter leaves running (node1's port 80 or
 * 8080), or undefined when the chapter serves none (or the lab is older than its web ports).
 */
export async function chapterWebUi(lab: Lab, chapter: Chapter): Promise<string | undefined> {
  return chapter.module.webPort ? webUrl(lab, chapter.module.webPort) : undefined;
}

/** A step that failed, as one line that says how to go on. */
export function stepFailure(err: unknown, chapter: Chapter): never {
  if (err instanceof StepFailed) {
    const last = err.output.split('\n').filter(Boolean).pop();
    throw new UserError(`${chapter.slug}: ${err.message}${last ? `: ${last}` : ''}`, `fix it and run \`devcoin-workshop run ${chapter.slug}\` again, or catch up with \`devcoin-workshop goto ${chapter.slug}\``);
  }
  throw err;
}

export interface RunResult {
  chapter: string;
  outcome: 'done' | 'quit';
  webUi?: string;
}

/** Runs the chapter's commands on its nodes, as the student would type them. */
export async function runChapter(labName: string, name: string | undefined, face: Face): Promise<RunResult> {
  const chapter = await chapterOf(labName, name);
  const lab = await openLab(labName);
  let outcome: 'done' | 'quit';
  try {
    outcome = await runSteps(lab, chapter, face);
  } catch (err) {
    stepFailure(err, chapter);
  }
  return { chapter: chapter.slug, outcome, webUi: await chapterWebUi(lab, chapter) };
}

export interface VerifyResult {
  chapter: string;
  ok: boolean;
  checks: CheckOutcome[];
}

/** Every check of the chapter against the lab's real state, waiting up to `timeoutMs` while it converges. */
export async function verify(labName: string, name: string | undefined, timeoutMs: number, face: Face = silent): Promise<VerifyResult> {
  const chapter = await chapterOf(labName, name);
  const lab = await openLab(labName);
  const checks = await task(face, `verify ${chapter.slug}`, () => verifyChapter(lab, chapter, timeoutMs));
  for (const result of checks) face.emit({ type: 'check', chapter: chapter.slug, result });
  return { chapter: chapter.slug, ok: checks.every((c) => c.ok), checks };
}

export interface NextResult {
  chapter: string;
  moved: boolean;
  next?: Chapter;
  /** the checks that did not pass, when it did not move */
  checks?: CheckOutcome[];
  webUi?: string;
}

/** Marks the current chapter done when it verifies (or `force`), and moves to the next one. */
export async function next(labName: string, opts: { force?: boolean }, face: Face = silent): Promise<NextResult> {
  const { chapters, progress } = await chaptersAndProgress(labName);
  const chapter = findChapter(chapters, progress.current);
  const lab = await openLab(labName);
  if (!opts.force) {
    const checks = await verifyChapter(lab, chapter, 10_000);
    if (!checks.every((r) => r.ok)) {
      for (const result of checks) face.emit({ type: 'check', chapter: chapter.slug, result });
      return { chapter: chapter.slug, moved: false, checks };
    }
  }
  const following = chapters[chapters.indexOf(chapter) + 1];
  writeProgress(labName, { current: following?.slug ?? chapter.slug, done: [...new Set([...progress.done, chapter.slug])] });
  // the chapter just done leaves the web UI running: say where to watch it
  return { chapter: chapter.slug, moved: !!following, next: following, webUi: await chapterWebUi(lab, chapter) };
}

/** Catch-up: brings the lab to the state the chapter starts from, and moves there. */
export async function goto(labName: string, name: string, opts: { yes?: boolean }, face: Face): Promise<Chapter> {
  const { chapters, progress } = await chaptersAndProgress(labName);
  const chapter = findChapter(chapters, name);
  await catchUp(await openLab(labName), chapter, face, !!opts.yes);
  const before = chapters.slice(0, chapters.indexOf(chapter)).map((x) => x.slug);
  writeProgress(labName, { current: chapter.slug, done: [...new Set([...progress.done.filter((d) => before.includes(d)), ...before])] });
  return chapter;
}

/** Progress back to the first chapter; with `lab`, a fresh built-in lab as well. */
export async function reset(labName: string, opts: { lab: boolean }, face: Face): Promise<void> {
  if (opts.lab && isConnected(labName)) {
    throw new UserError(`lab ${labName} is made of connected machines: the tool does not remake them`, 'use `reset --progress-only`, then `goto` the chapter to start from', ExitCode.usage);
  }
  clearProgress(labName);
  if (!opts.lab) return;
  await withLabLock(labName, 'reset', async () => {
    await task(face, `lab ${labName} down`, () => labDown(labName));
    await task(face, `lab ${labName} up`, (u) => labUp(labName, { managers: 3, workers: 2, progress: u }));
  });
}

/** Records that chapters up to `chapter` (included) are done: the demo's bookkeeping. */
export function markDoneThrough(labName: string, chapters: Chapter[], chapter: Chapter): void {
  const i = chapters.indexOf(chapter);
  writeProgress(labName, { current: chapters[i + 1]?.slug ?? chapter.slug, done: chapters.slice(0, i + 1).map((x) => x.slug) });
}

