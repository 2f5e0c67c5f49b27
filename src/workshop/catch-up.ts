// Catch-up: bring a lab to the state a chapter starts from, done one way for every chapter.
// Each chapter's module says how (its catchUp); the later chapters replay the one before them:
// the state a chapter starts from is, by definition, what the chapter before it leaves behind,
// so they run that chapter's own commands, the very text the student reads (one source, no
// second copy of the steps to drift).
import { ExitCode, UserError } from '../errors.js';
import { ALL_TOUCHES, type Lab } from '../lab/index.js';
import { findChapter, inForm, loadChapters } from './chapters.js';
import { routingFormOf } from './routing.js';
import { runSteps } from './runner.js';
import { task, type Face } from '../events.js';
import type { Chapter } from './types.js';

/** The start of chapter `slug`'s successor: chapter `slug` caught up, then its commands run. */
export async function replayChapter(lab: Lab, slug: string, progress: (t: string) => void): Promise<void> {
  const chapter = inForm(findChapter(await loadChapters(), slug), await routingFormOf(lab.name, lab));
  await chapter.module.catchUp(lab, progress);
  progress(`running the commands of chapter ${chapter.number} (${chapter.slug})`);
  await runSteps(lab, chapter);
}

/**
 * Catches `lab` up to `chapter`. On machines the lab did not make, whatever a catch-up would
 * remove that was there before `lab connect` is listed first: the face asks (or, with no one to
 * ask, it needs `yes`). On the built-in lab there is nothing to ask about.
 */
export async function catchUp(lab: Lab, chapter: Chapter, face: Face, yes = false): Promise<void> {
  const theirs = await lab.preexisting(chapter.module.touches ?? ALL_TOUCHES);
  if (theirs.length && !yes) {
    const what = `${theirs.length} thing(s) that were on these machines before lab connect`;
    if (!face.confirmRemoval) {
      throw new UserError(`catching up to ${chapter.slug} would remove ${what}: ${theirs.join('; ')}`, 'run it again with --yes to remove them anyway', ExitCode.usage);
    }
    if (!(await face.confirmRemoval(theirs))) throw new UserError('nothing was changed', `run \`goto ${chapter.slug}\` again when you are sure`);
  }
  await task(face, `catching up to ${chapter.slug}`, (update) => chapter.module.catchUp(lab, update));
}
