// Catch-up by replay: the state a chapter starts from is, by definition, what the chapter
// before it leaves behind. So a later chapter's catch-up brings the lab to the previous
// chapter's start and runs that chapter's own commands, the very text the student reads: one
// source, no second copy of the steps to drift.
import type { Lab } from '../lab/types.js';
import { findChapter, loadChapters } from './chapters.js';
import { runSteps } from './runner.js';

export async function replayChapter(lab: Lab, slug: string, progress: (t: string) => void): Promise<void> {
  const chapter = findChapter(await loadChapters(), slug);
  await chapter.module.catchUp(lab, progress);
  progress(`running the commands of chapter ${chapter.number} (${chapter.slug})`);
  await runSteps(lab, chapter);
}
