// Long jobs on a student's lab, asked for from a page: a catch-up (the core's goto) and a repair
// (the lab brought up again; progress kept). A job is written into the roster before it starts
// and cleared when it ends, so a server killed in the middle finds it on its next start and runs
// it again (both are idempotent), or says on the radar why it could not. One job per lab at a
// time, under the lab's lock (a `lab up` or another catch-up from the CLI waits its turn).
import { errorMessage, UserError } from '../errors.js';
import type { CheckOutcome, Face } from '../events.js';
import { LABELS } from '../labels.js';
import { ensureClassroomEngine, gib, labDiskOf, labUp, minFreeBytes, withLabLock } from '../lab/index.js';
import { goto, progressOf, verify } from '../workshop/index.js';
import { endpointOf } from './engines.js';
import { LOCAL_ENGINE, updateStudent, type PendingJob, type Roster, type Student } from './roster.js';

export interface JobHooks {
  faceOf(s: Student): Face;
  /** a job began or ended (the page and the radar show it) */
  changed(s: Student): void;
  /** the job ended; with the lab's checks after it when they could be read */
  finished(s: Student, result?: { chapter: string; checks: CheckOutcome[] }): void;
  /** a repair makes nodes again: the shells on the old ones are gone */
  closeTerminals(lab: string): void;
}

/**
 * Brings a student's lab up (creating or starting only what is missing), marked as this
 * classroom's. Returns whether nodes had to be made anew (their state is then chapter 1's).
 */
export async function bringUp(roster: Roster, s: Student, progress?: (t: string) => void): Promise<{ madeNodes: boolean }> {
  // on the engine the roster placed it on (a repair finds it there again)
  const engine = endpointOf(s.engine, roster.tls);
  if (s.engine === LOCAL_ENGINE) await ensureClassroomEngine(progress);
  const { result } = await labUp(s.lab, { managers: 3, workers: 2, progress, labels: { [LABELS.classroom]: roster.id }, engine, limits: roster.limits });
  return { madeNodes: result.created.some((p) => p.startsWith('node')) };
}

export class Jobs {
  private running = new Map<string, Promise<void>>();

  constructor(
    private roster: Roster,
    private hooks: JobHooks,
  ) {}

  /** Starts a job on the student's lab; refuses while one runs. */
  start(s: Student, job: Omit<PendingJob, 'startedAt'>): void {
    if (this.running.has(s.name) || s.pending) throw new UserError(`${s.name}'s lab is busy (${s.pending?.op === 'repair' ? 'a repair' : `a catch-up to ${s.pending?.chapter}`})`, 'wait for it to finish');
    updateStudent(this.roster, s.name, (x) => {
      x.pending = { ...job, startedAt: Date.now() };
      x.lastJobError = undefined;
    });
    this.launch(s, false);
  }

  /** Jobs a stopped server left unfinished: run again (each is idempotent), on the radar as such. */
  resumePending(): string[] {
    const resumed: string[] = [];
    for (const s of this.roster.students) {
      if (s.pending && !this.running.has(s.name)) {
        resumed.push(s.name);
        this.launch(s, true);
      }
    }
    return resumed;
  }

  /** The job running on the student's lab, if any (tests wait on it). */
  wait(name: string): Promise<void> {
    return this.running.get(name) ?? Promise.resolve();
  }

  private launch(s: Student, resumed: boolean): void {
    const face = this.hooks.faceOf(s);
    if (resumed) face.emit({ type: 'note', text: `the classroom server stopped during this job: running it again` });
    this.hooks.changed(s);
    const p = this.run(s, face)
      .then(
        (result) => {
          updateStudent(this.roster, s.name, (x) => {
            x.pending = undefined;
            x.lastJobError = undefined;
          });
          this.hooks.finished(s, result);
        },
        (err) => {
          const why = err instanceof UserError && err.hint ? `${err.message} — ${err.hint}` : errorMessage(err).split('\n')[0];
          updateStudent(this.roster, s.name, (x) => {
            x.lastJobError = `${resumed ? 'resumed ' : ''}${x.pending?.op === 'repair' ? 'repair' : `catch-up to ${x.pending?.chapter}`} failed: ${why}`;
            x.pending = undefined;
          });
          face.emit({ type: 'log', level: 'warn', text: s.lastJobError! });
          this.hooks.finished(s);
        },
      )
      .finally(() => {
        this.running.delete(s.name);
        this.hooks.changed(s);
      });
    this.running.set(s.name, p);
  }

  private async run(s: Student, face: Face): Promise<{ chapter: string; checks: CheckOutcome[] } | undefined> {
    const job = s.pending!;
    // no new work where it would fill the engine's disk (its free space, where it can be read here)
    const disk = await labDiskOf(s.lab).catch(() => undefined);
    if (disk?.engineFreeBytes !== undefined && disk.engineFreeBytes < minFreeBytes()) {
      throw new UserError(`the disk of ${s.lab}'s engine has ${gib(disk.engineFreeBytes)} free, below ${gib(minFreeBytes())} (DEVCOIN_MIN_FREE_GIB)`, 'free disk space on the classroom machine (or remove labs no one uses), then try again');
    }
    await withLabLock(s.lab, job.op === 'goto' ? 'classroom catch-up' : 'classroom repair', async () => {
      if (job.op === 'repair') {
        this.hooks.closeTerminals(s.lab);
        const { madeNodes } = await bringUp(this.roster, s, (t) => face.emit({ type: 'task', phase: 'update', label: 'repair', text: t }));
        // nodes made anew hold nothing yet: catch them up to the chapter the student is on
        if (madeNodes) await goto(s.lab, (await progressOf(s.lab)).current, { yes: false }, face);
      } else {
        await goto(s.lab, job.chapter!, { yes: false }, face);
      }
    });
    // what the lab looks like now, for the radar (one pass: the chapter has just begun)
    const v = await verify(s.lab, undefined, 0).catch(() => undefined);
    return v && { chapter: v.chapter, checks: v.checks };
  }
}
