// The workshop core: what a student or an instructor can do with a lab, as functions that take a
// lab's name and return data, telling a face (CLI, classroom) what happens on the way through
// events. Nothing here prints. Progress is per lab (progress.ts).
export type { WorkshopEvent, Face, Decision } from '../events.js';
export { silent, task } from '../events.js';
export type { Chapter, Check, CheckResult, ChapterModule } from './types.js';
export type { CheckOutcome } from './verify.js';
export type { Progress } from './progress.js';
export { loadChapters, findChapter } from './chapters.js';
export { catchUp } from './catch-up.js';
export * from './workshop.js';
export { demo, DemoFailed, type DemoOptions, type DemoResult, type DemoRow } from './demo.js';
