// What the `classroom` commands do, as functions that return data (the CLI renders it): up (labs
// and the server), serve (the server again for the labs there are), ls, down.
import { existsSync } from 'node:fs';
import { cpus, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { task, type Face } from '../events.js';
import { LABELS } from '../labels.js';
import { builtInLabExists, copyLabImages, raiseRoomPlumbing, labDiskOf, labUsage, openLab, engineIsCaged, engineMemoryOf, ensureClassroomEngine, labDown, labsLabelled, stopClassroomEngine, withLabLock, type LabLimits } from '../lab/index.js';
import { progressOf, reset } from '../workshop/index.js';
import { availableMiB, capacity, labCost, type Capacity } from './capacity.js';
import { endpointOf, placeLabs, type TlsFiles } from './engines.js';
import { LOCAL_ENGINE, newRoster, readRoster, removeRoster, rosterFile, writeRoster, type Roster } from './roster.js';
import type { RadarOptions } from './radar.js';
import { ClassroomServer, labHealth, webRoot } from './server.js';
import { bringUp } from './jobs.js';

export const DEFAULT_PORT = 8780;
export const MAX_STUDENTS = 99;

export interface ServeOptions {
  bind?: string;
  port?: number;
  face: Face;
  /** the server's request log (tokens redacted) */
  log?: (line: string) => void;
  radar?: RadarOptions;
}

export interface UpOptions extends ServeOptions {
  students: number;
  /** engine names as parseEngine returned them (`local` for this machine's); none: all here */
  engines: string[];
  /** TLS files of the tcp:// engines */
  tls?: TlsFiles;
  /** what each lab may take; undefined fields take the defaults (DEFAULT_LIMITS); `false`: none */
  limits?: LabLimits | false;
  /** put labs on --engine engines that run without a user namespace (their labs are not caged) */
  allowUncaged?: boolean;
}

/**
 * What a classroom lab may take by default (docs/decisions.md, "Limits of a classroom lab"): a
 * node's memory and processes, an equal share of the cores under contention (every lab's cgroup
 * weighs the same), and a cap of half the machine's cores (defaultLabCpus): a share alone let a
 * lab with six busy loops hold both cores, and a neighbour's keystroke waited up to 100 ms for one.
 */
export const DEFAULT_LIMITS: Required<Pick<LabLimits, 'nodeMemoryMiB' | 'nodePids' | 'fairShare'>> = { nodeMemoryMiB: 1536, nodePids: 2048, fairShare: true };

/** Half the cores, at least half a core: what one lab may use while the others wait for nothing. */
export function defaultLabCpus(cores = cpus().length): number {
  return Math.max(0.5, Math.round((cores / 2) * 10) / 10);
}

export function limitsOf(given: LabLimits | false | undefined, cores?: number): LabLimits {
  if (given === false) return {};
  return { ...DEFAULT_LIMITS, labCpus: defaultLabCpus(cores), ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
}

/** One line on what a classroom lab may take. */
export function describeLimits(l: LabLimits): string {
  const parts = [
    l.nodeMemoryMiB ? `${l.nodeMemoryMiB} MiB of memory per node` : 'no memory limit',
    l.nodePids ? `${l.nodePids} processes per node` : 'no process limit',
    l.labCpus ? `at most ${l.labCpus} cores per lab (and an equal share under contention)` : l.fairShare ? 'an equal share of the cores per lab (no cap)' : 'no CPU share or cap',
  ];
  return parts.join(', ');
}

export interface Urls {
  instructor: string;
  students: { name: string; lab: string; url: string; engine: string }[];
}

export interface Running {
  server: ClassroomServer;
  roster: Roster;
  urls: Urls;
  /** lines worth a person's attention: the room's network, capacity, labs that are not up */
  notes: string[];
  capacity?: Capacity;
}

/** This machine's address on the room's network (for URLs when bound to every address). */
export function roomAddress(): string {
  const skip = /^(lo|docker|br-|veth|virbr|cni|flannel|kube)/;
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (skip.test(name)) continue;
    const a = (addrs ?? []).find((x) => x.family === 'IPv4' && !x.internal);
    if (a) return a.address;
  }
  return '127.0.0.1';
}

export function urlsOf(r: Roster, bind: string, port: number): Urls {
  const host = bind === '0.0.0.0' || bind === '::' ? roomAddress() : bind.includes(':') ? `[${bind}]` : bind;
  const base = `http://${host}:${port}`;
  return {
    instructor: `${base}/i/${r.instructorToken}/`,
    students: r.students.map((s) => ({ name: s.name, lab: s.lab, url: `${base}/s/${s.token}/`, engine: s.engine })),
  };
}

function checkPagesBuilt(): void {
  if (!existsSync(join(webRoot(), 'index.html'))) throw new UserError('the classroom pages are not built', 'run `npm run build` in the devcoin-workshop folder');
}

function bindNotes(bind: string): string[] {
  return bind === '0.0.0.0' || bind === '::' ? [`serving the local network on every address of this machine: anyone in the room can reach it, and only a URL's token lets them in`] : [];
}

/**
 * The capacity check: refuses above what memory holds (saying how many fit), says so above what
 * this machine's cores run well (labs on other engines: their cores are not known here).
 */
export function checkCapacity(n: number, cap: Capacity, engines: string[]): string[] {
  const per = `~${Math.round(cap.cost.labMiB)} MiB and ~${cap.cost.labCpuCores.toFixed(2)} cores per lab at the secrets chapter`;
  const where = engines.length ? `the memory of its ${engines.length} engine(s)` : "this machine's memory";
  if (n > cap.memoryFits) {
    throw new UserError(
      `${n} student labs do not fit in ${where}: ${(cap.availableMiB / 1024).toFixed(1)} GiB free, ${per}: at most ${cap.memoryFits} fit`,
      `use --students ${Math.max(1, cap.memoryFits)}, or spread the labs over more machines with --engine`,
      ExitCode.usage,
    );
  }
  if (!engines.length && n > cap.cpuHolds) return [`capacity: this machine runs ${cap.cpuHolds} lab(s) well at the secrets chapter (${per}, ${cap.cores} cores); ${n} will be slow`];
  return [];
}

/** `classroom up`: labs for N students, then the server; the same URLs as before when the roster exists. */
export async function classroomUp(opts: UpOptions): Promise<Running> {
  const n = opts.students;
  if (!Number.isInteger(n) || n < 1 || n > MAX_STUDENTS) throw new UserError(`--students must be a whole number from 1 to ${MAX_STUDENTS}`, 'e.g. --students 12', ExitCode.usage);
  checkPagesBuilt();
  const bind = opts.bind ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_PORT;
  let roster = readRoster();
  if (roster && roster.students.length !== n) {
    throw new UserError(`a classroom of ${roster.students.length} students is here already`, `start it again with \`devcoin-workshop classroom serve\`, or remove it with \`classroom down\` first`, ExitCode.usage);
  }
  const existing = roster ? (await Promise.all(roster.students.map((s) => builtInLabExists(s.lab).catch(() => false)))).filter(Boolean).length : 0;
  // the engines: as given, or as the roster placed its labs (all here: none named)
  const placed = roster ? [...new Set(roster.students.map((s) => s.engine))] : opts.engines;
  const engines = placed.length === 1 && placed[0] === LOCAL_ENGINE ? [] : placed;
  const tls = roster?.tls ?? opts.tls;
  // the cage: labs on this machine run on the classroom's own engine (a user namespace); an engine
  // of another machine must run its containers in one too, unless the instructor says otherwise
  const uncaged: string[] = [];
  for (const e of engines.filter((x) => x !== LOCAL_ENGINE)) {
    let caged: boolean;
    try {
      caged = await engineIsCaged(endpointOf(e, tls));
    } catch (err) {
      throw new UserError(`engine ${e} does not answer: ${errorMessage(err).split('\n')[0]}`, 'check that it runs and that this machine reaches it, or leave it out', ExitCode.engine);
    }
    if (!caged) uncaged.push(e);
  }
  if (uncaged.length && !(opts.allowUncaged || roster?.uncaged?.length)) {
    throw new UserError(
      `engine ${uncaged.join(', ')} runs containers without a user namespace: a student with root in a lab there would be root on that machine`,
      'start its dockerd with --userns-remap=default (see the README, "Classroom: the cage"), or accept that with --allow-uncaged',
      ExitCode.usage,
    );
  }
  if (!roster || roster.students.some((s) => s.engine === LOCAL_ENGINE)) {
    if (!engines.length || engines.includes(LOCAL_ENGINE)) {
      await task(opts.face, 'the classroom engine (caged)', async (u) => {
        await ensureClassroomEngine(u);
        const copied = await copyLabImages(endpointOf(LOCAL_ENGINE), u);
        if (copied.length) u(`copied ${copied.length} images`);
      });
    }
  }
  // each engine's free memory, read on its machine: what the labs are placed by and checked against
  const free = new Map<string, number>();
  for (const e of engines) {
    try {
      free.set(e, (await engineMemoryOf(endpointOf(e, tls))).availableBytes);
    } catch (err) {
      throw new UserError(`engine ${e} does not answer: ${errorMessage(err).split('\n')[0]}`, 'check that it runs and that this machine reaches it, or leave it out', ExitCode.engine);
    }
  }
  const cost = labCost();
  const cap = capacity({ existingLabs: existing, availableMiB: engines.length ? [...free.values()].map((b) => b / 2 ** 20) : (availableMiB() ?? 0), cost });
  const notes = [...bindNotes(bind), ...checkCapacity(n, cap, engines)];
  if (!roster) {
    roster = newRoster(n, { bind, port, engines: placeLabs(n, engines, free, cost.labMiB * 2 ** 20), tls });
    roster.limits = limitsOf(opts.limits);
    if (uncaged.length) roster.uncaged = uncaged;
  }
  notes.push(`each lab may take ${describeLimits(roster.limits ?? {})}`);
  if (roster.uncaged?.length) notes.push(`NOT caged (--allow-uncaged): the labs on ${roster.uncaged.join(', ')}: root in them is root on that machine`);
  const server = new ClassroomServer({ roster, log: opts.log, radar: opts.radar });
  // the server carries every student's keystroke: it weighs as the room's plumbing, above any lab
  if (roster.students.some((s) => s.engine === LOCAL_ENGINE)) raiseRoomPlumbing([process.pid]);
  // the port first: a port taken is one line before minutes of lab starts
  const actual = await server.listen(bind, port);
  try {
    // a lab of one of these names that another classroom (or a person) made is never taken over
    for (const s of roster.students) {
      const ep = endpointOf(s.engine, roster.tls);
      const ours = await labsLabelled(`${LABELS.classroom}=${roster.id}`, ep);
      if (!ours.includes(s.lab) && (await labsLabelled(`${LABELS.lab}=${s.lab}`, ep)).length) {
        throw new UserError(`a lab named ${s.lab} is already on this engine and is not this classroom's`, `remove it with \`devcoin-workshop --lab ${s.lab} lab down\` (from the config dir that made it), then run classroom up again`);
      }
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  roster.bind = bind;
  roster.port = actual;
  writeRoster(roster);
  try {
    // two labs at a time: each start is mostly waiting on engines, and the machine has 2 cores
    const queue = [...roster.students];
    const failed: string[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          const st = s;
          try {
            await withLabLock(st.lab, 'classroom up', () => task(opts.face, `lab ${st.lab} up (${st.name})`, (u) => bringUp(roster!, st, u)));
          } catch (err) {
            failed.push(`${st.lab}: ${errorMessage(err).split('\n')[0]}`);
          }
        }
      }),
    );
    if (failed.length) notes.push(`not up (the radar shows them; repair there): ${failed.join('; ')}`);
  } catch (err) {
    await server.close();
    throw err;
  }
  server.start();
  return { server, roster, urls: urlsOf(roster, bind, actual), notes, capacity: cap };
}

/** `classroom serve`: the server again for the classroom here (same tokens, same URLs). */
export async function classroomServe(opts: ServeOptions): Promise<Running> {
  checkPagesBuilt();
  const roster = readRoster();
  if (!roster) throw new UserError('there is no classroom here', 'start one with `devcoin-workshop classroom up --students N`', ExitCode.usage);
  const bind = opts.bind ?? roster.bind;
  const port = opts.port ?? roster.port;
  // the classroom engine again (after a restart of the machine its labs are there, stopped)
  if (roster.students.some((s) => s.engine === LOCAL_ENGINE)) {
    await task(opts.face, 'the classroom engine (caged)', (u) => ensureClassroomEngine(u));
    raiseRoomPlumbing([process.pid]);
  }
  const server = new ClassroomServer({ roster, log: opts.log, radar: opts.radar });
  const actual = await server.listen(bind, port);
  if (actual !== roster.port || bind !== roster.bind) {
    roster.bind = bind;
    roster.port = actual;
    writeRoster(roster);
  }
  const notes = bindNotes(bind);
  const down = (await Promise.all(roster.students.map(async (s) => ((await builtInLabExists(s.lab).catch(() => false)) ? undefined : s.lab)))).filter(Boolean);
  if (down.length) notes.push(`not up: ${down.join(', ')} (repair them from the radar)`);
  const pending = roster.students.filter((s) => s.pending).map((s) => `${s.name} (${s.pending!.op === 'goto' ? `catch-up to ${s.pending!.chapter}` : 'repair'})`);
  if (pending.length) notes.push(`unfinished when the server stopped, running again: ${pending.join(', ')}`);
  server.start();
  return { server, roster, urls: urlsOf(roster, bind, actual), notes };
}

export interface ClassroomRow {
  student: string;
  lab: string;
  engine: string;
  state: string;
  chapter?: string;
  done: number;
  job?: string;
  /** what the lab uses against its limits (undefined when it could not be read) */
  usage?: LabUse;
}

export interface LabUse {
  memoryBytes: number;
  /** the node with the most memory in use, against its limit */
  busiest: { node: string; memoryBytes: number; limitBytes?: number };
  /** the node with the most processes, against its limit */
  mostPids: { node: string; pids: number; limit?: number };
  /** over about a second */
  cpuCores?: number;
  diskBytes?: number;
  /** since each node started: processes killed for want of memory, forks refused */
  oomKills: number;
  pidsRefused: number;
  unreadable: string[];
}

/** One lab's use against its limits: two readings a second apart (for the CPU), and its disk. */
export async function labUse(lab: string): Promise<LabUse> {
  const l = await openLab(lab);
  const t0 = Date.now();
  const first = await labUsage(l);
  await new Promise((r) => setTimeout(r, 1000));
  const now = await labUsage(l);
  const secs = (Date.now() - t0) / 1000;
  const read = now.filter((u) => u.memory !== undefined);
  const busiest = read.reduce((a, b) => ((b.memory ?? 0) > (a.memory ?? 0) ? b : a), read[0] ?? now[0]);
  const mostPids = read.reduce((a, b) => ((b.pids ?? 0) > (a.pids ?? 0) ? b : a), read[0] ?? now[0]);
  const cpu = now.map((u) => {
    const f = first.find((x) => x.node === u.node);
    return u.cpuMicros !== undefined && f?.cpuMicros !== undefined ? (u.cpuMicros - f.cpuMicros) / 1e6 / secs : undefined;
  });
  const disk = await labDiskOf(lab).catch(() => undefined);
  return {
    memoryBytes: read.reduce((n, u) => n + (u.memory ?? 0), 0),
    busiest: { node: busiest?.node ?? '?', memoryBytes: busiest?.memory ?? 0, limitBytes: busiest?.memoryLimit },
    mostPids: { node: mostPids?.node ?? '?', pids: mostPids?.pids ?? 0, limit: mostPids?.pidsLimit },
    cpuCores: cpu.every((c) => c !== undefined) ? cpu.reduce((a, b) => a! + b!, 0) : undefined,
    diskBytes: disk?.usedBytes,
    oomKills: now.reduce((n, u) => n + u.oomKills, 0),
    pidsRefused: now.reduce((n, u) => n + u.pidsRefused, 0),
    unreadable: now.filter((u) => u.unreadable || u.atPidsLimit).map((u) => `${u.node}: ${u.atPidsLimit ? 'at its process limit' : u.unreadable}`),
  };
}

/** `classroom ls`: students, labs, engines, chapters (no tokens). */
export async function classroomList(): Promise<{ rows: ClassroomRow[]; bind: string; port: number }> {
  const roster = readRoster();
  if (!roster) throw new UserError('there is no classroom here', 'start one with `devcoin-workshop classroom up --students N`', ExitCode.usage);
  const rows = await Promise.all(
    roster.students.map(async (s): Promise<ClassroomRow> => {
      const health = await labHealth(s.lab).catch((err: Error) => ({ up: false, detail: err.message.split('\n')[0] }));
      const p = await progressOf(s.lab).catch(() => undefined);
      const usage = health.up ? await labUse(s.lab).catch(() => undefined) : undefined;
      return {
        usage,
        student: s.name, lab: s.lab, engine: s.engine,
        state: health.up ? 'up' : `down: ${health.detail ?? ''}`.trim(),
        chapter: p?.current, done: p?.done.length ?? 0,
        job: s.pending ? `${s.pending.op}${s.pending.chapter ? ` ${s.pending.chapter}` : ''} (unfinished)` : undefined,
      };
    }),
  );
  return { rows, bind: roster.bind, port: roster.port };
}

/** `classroom down`: every lab of this classroom (by its label, and the roster's), its progress, the tokens. */
export async function classroomDown(face: Face): Promise<{ labs: string[]; others: string[] }> {
  const roster = readRoster();
  if (!roster) {
    // no roster here: name the classroom labs on this engine, remove none (they may be someone else's)
    const others = await labsLabelled(LABELS.classroom).catch(() => []);
    return { labs: [], others };
  }
  // exactly the labs that carry this classroom's label, on each of its engines: a lab of the same
  // name made by anyone else stays; an engine that does not answer is named, the others done
  const labs: string[] = [];
  const unreachable: string[] = [];
  const local = roster.students.some((s) => s.engine === LOCAL_ENGINE);
  if (local) await ensureClassroomEngine().catch(() => {}); // not answering: named below
  for (const e of [...new Set(roster.students.map((s) => s.engine))]) {
    try {
      labs.push(...(await labsLabelled(`${LABELS.classroom}=${roster.id}`, endpointOf(e, roster.tls))));
    } catch (err) {
      unreachable.push(`${e} (${errorMessage(err).split('\n')[0]})`);
    }
  }
  for (const lab of labs.sort()) await withLabLock(lab, 'classroom down', () => task(face, `lab ${lab} down`, () => labDown(lab)));
  if (unreachable.length) {
    throw new UserError(`removed ${labs.length} lab(s); these engines do not answer, their labs are still there: ${unreachable.join('; ')}`, 'start them (or reach them again) and run classroom down again');
  }
  // the students' progress: a new classroom starts at chapter 1
  for (const s of roster.students) await reset(s.lab, { lab: false }, face);
  removeRoster();
  // the classroom engine goes too (its images stay in its data root for the next classroom)
  if (local) await task(face, 'the classroom engine stopped', () => stopClassroomEngine());
  return { labs, others: [] };
}

export { rosterFile };
