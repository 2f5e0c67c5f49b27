// What the core (workshop, setup, doctor, the lab) tells a face (the CLI, the classroom server)
// while it works. The core never prints: it emits these, and each face renders them its own way
// (a terminal with spinners and prompts, --json, a browser over a WebSocket).

/** A check's result as verify reports it. */
export interface CheckOutcome {
  id: string;
  title: string;
  ok: boolean;
  detail?: string;
  hint?: string;
}

export type WorkshopEvent =
  /** something that takes a while: a spinner in a terminal, a progress line in a browser */
  | { type: 'task'; phase: 'start' | 'update' | 'done' | 'failed'; label: string; text?: string; seconds?: number }
  /** demo: a chapter begins */
  | { type: 'chapter'; number: number; slug: string; title: string; intro: string }
  /** a command about to run on a node (when the face does not show it itself in beforeCommand) */
  | { type: 'command'; node: string; command: string }
  /** output of a running command, as it arrives */
  | { type: 'output'; chunk: Buffer }
  /** part of the transcript: what a hidden directive does ("(stopping node2 node3)") */
  | { type: 'note'; text: string }
  /** diagnostics beside the transcript (a terminal's stderr); debug only when asked for */
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; text: string }
  /** a check's result, when a chapter is verified */
  | { type: 'check'; chapter: string; result: CheckOutcome }
  /** demo: a chapter ran and was verified */
  | { type: 'chapter-done'; chapter: string; seconds: number; passed: number; checks: number };

export type Decision = 'run' | 'skip' | 'quit';

/** A face: where the core's events go, and the questions only a person can answer. */
export interface Face {
  emit(event: WorkshopEvent): void;
  /** before each command of `run`/`demo`: the face may type it out and ask; default: run it */
  beforeCommand?(node: string, command: string): Promise<Decision>;
  /** on connected machines: may a catch-up remove these things that were there before? */
  confirmRemoval?(items: string[]): Promise<boolean>;
}

/** A face that hears nothing (bench, tests, background work). */
export const silent: Face = { emit() {} };

/** Runs `fn` as a task: start, updates through `update`, then done or failed, with the time taken. */
export async function task<T>(face: Face, label: string, fn: (update: (text: string) => void) => Promise<T>): Promise<T> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  face.emit({ type: 'task', phase: 'start', label });
  try {
    const result = await fn((text) => face.emit({ type: 'task', phase: 'update', label, text }));
    face.emit({ type: 'task', phase: 'done', label, seconds: seconds() });
    return result;
  } catch (err) {
    face.emit({ type: 'task', phase: 'failed', label, seconds: seconds() });
    throw err;
  }
}
