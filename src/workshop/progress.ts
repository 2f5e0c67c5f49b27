// Where a student is: progress.json in the lab's dir, written atomically (temp file + rename)
// so a crash mid-write leaves the old file, never half a file.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from '../paths.js';
import { UserError } from '../errors.js';

export interface Progress {
  current: string;
  done: string[];
}

export function progressFile(lab: string): string {
  return join(labDir(lab), 'progress.json');
}

export function readProgress(lab: string, first: string): Progress {
  const file = progressFile(lab);
  if (!existsSync(file)) return { current: first, done: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    data = undefined;
  }
  const p = data as Progress | undefined;
  if (!p || typeof p.current !== 'string' || !Array.isArray(p.done) || !p.done.every((d) => typeof d === 'string')) {
    throw new UserError(
      `the progress file ${file} is damaged`,
      `run \`devcoin-workshop reset --progress-only --yes\` (or delete that file) to start the chapters again`,
    );
  }
  return { current: p.current, done: p.done };
}

export function writeProgress(lab: string, p: Progress): void {
  const file = progressFile(lab);
  mkdirSync(labDir(lab), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function clearProgress(lab: string): void {
  rmSync(progressFile(lab), { force: true });
}
