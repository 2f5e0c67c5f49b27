// The roster: who is in the classroom (students, their labs and tokens, the engine each lab runs
// on), the instructor's token, where the server listens, and what each student was doing (the
// chapter and since when, a catch-up under way). One JSON file, 0600 in a 0700 folder under the
// config dir, written atomically (temp file + rename): it survives a restart of the server, and
// a server killed mid-write leaves the old file, never half of one.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { configDir } from '../paths.js';
import { UserError } from '../errors.js';
import { newToken, looksLikeToken } from './tokens.js';

/**
 * Where a lab runs: `local` (the classroom's own engine on this machine, in a user namespace: the
 * cage) or an `--engine` endpoint as it was given.
 */
export type EngineName = string;
export const LOCAL_ENGINE: EngineName = 'local';

/** A job on a student's lab that must finish: written before it starts, cleared when it ends. */
export interface PendingJob {
  op: 'goto' | 'repair';
  chapter?: string;
  startedAt: number;
  /** who asked: the student (catch up) or the instructor */
  by: 'student' | 'instructor';
}

export interface Student {
  /** student-01 ...: what the radar and `classroom ls` show */
  name: string;
  /** class-01 ...: the lab's name, as the CLI's --lab takes it */
  lab: string;
  token: string;
  engine: EngineName;
  /** the chapter last seen as current, and since when (ms): "time on the chapter" */
  chapter?: string;
  chapterSince?: number;
  pending?: PendingJob;
  /** how the last job ended, when it did not end well (shown on the radar until the next one) */
  lastJobError?: string;
}

export interface Roster {
  version: 1;
  /** this classroom's id: the value of LABELS.classroom on everything its labs make */
  id: string;
  createdAt: number;
  instructorToken: string;
  bind: string;
  port: number;
  students: Student[];
  /** TLS files (paths) for the tcp:// engines of --engine */
  tls?: { ca: string; cert: string; key: string };
  /** what each lab may take (set at classroom up; a repair makes nodes with the same) */
  limits?: { nodeMemoryMiB?: number; nodePids?: number; labCpus?: number; fairShare?: boolean };
  /** engines the instructor allowed although they run without a user namespace (--allow-uncaged) */
  uncaged?: string[];
}

export const rosterDir = () => join(configDir(), 'classroom');
export const rosterFile = () => join(rosterDir(), 'roster.json');

export const studentName = (i: number) => `student-${String(i).padStart(2, '0')}`;
export const labName = (i: number) => `class-${String(i).padStart(2, '0')}`;

/** A new roster of `n` students, each with a token and a lab; engines from `placeEngines`. */
export function newRoster(n: number, opts: { bind: string; port: number; engines?: EngineName[]; tls?: Roster['tls'] }): Roster {
  return {
    tls: opts.tls,
    version: 1,
    id: randomBytes(6).toString('hex'),
    createdAt: Date.now(),
    instructorToken: newToken(),
    bind: opts.bind,
    port: opts.port,
    students: Array.from({ length: n }, (_, i) => ({
      name: studentName(i + 1),
      lab: labName(i + 1),
      token: newToken(),
      engine: opts.engines?.[i] ?? LOCAL_ENGINE,
    })),
  };
}

function damaged(why: string): never {
  throw new UserError(`the classroom roster ${rosterFile()} is damaged (${why})`, 'run `devcoin-workshop classroom down` to remove the classroom, then `classroom up` again');
}

/** The roster, or undefined when there is no classroom here. */
export function readRoster(): Roster | undefined {
  const file = rosterFile();
  if (!existsSync(file)) return undefined;
  let r: Roster;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as Roster;
  } catch {
    damaged('not JSON');
  }
  if (r?.version !== 1 || !Array.isArray(r.students)) damaged('unknown version');
  if (!looksLikeToken(r.instructorToken ?? '') || !r.students.every((s) => looksLikeToken(s.token ?? '') && /^class-\d{2,}$/.test(s.lab ?? ''))) damaged('a token or a lab name is missing');
  if (new Set(r.students.map((s) => s.token).concat(r.instructorToken)).size !== r.students.length + 1) damaged('two tokens are the same');
  return r;
}

export function writeRoster(r: Roster): void {
  mkdirSync(rosterDir(), { recursive: true, mode: 0o700 });
  chmodSync(rosterDir(), 0o700);
  const file = rosterFile();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Changes one student's record and writes the roster at once (the file is the truth). */
export function updateStudent(r: Roster, name: string, change: (s: Student) => void): Student {
  const s = r.students.find((x) => x.name === name);
  if (!s) throw new Error(`no student ${name}`);
  change(s);
  writeRoster(r);
  return s;
}

export function removeRoster(): void {
  rmSync(rosterDir(), { recursive: true, force: true });
}
