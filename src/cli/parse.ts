// Option values people type, checked once: a bad one is one line and exit 2.
import { ExitCode, UserError } from '../errors.js';

/** A whole number of nodes from 0 to 9 (`--managers`, `--workers`). */
export function count(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) {
    throw new UserError(`--${what} must be a whole number from 0 to 9`, `e.g. --${what} 3`, ExitCode.usage);
  }
  return n;
}

/**
 * A number of seconds, 0 or more, written as digits (`30`, `2.5`; 0: check once, no waiting, as
 * the bench times it); anything else is one line and exit 2. (Number("abc") is NaN, and a
 * deadline of NaN is never reached: verify waited forever.)
 */
export function seconds(value: string, option: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0) || !Number.isFinite(n)) throw new UserError(`${option} must be a number of seconds, 0 or more (not "${value}")`, `e.g. ${option} 30`, ExitCode.usage);
  return n;
}

/** The flag that names a lab other than the default, for the lines that say what to type next. */
export function labFlag(lab: string): string {
  return lab === 'devcoin' ? '' : ` --lab ${lab}`;
}

/**
 * The limit options `lab up` and `classroom up` share: `--node-memory` (MiB, or with a unit: 1536m,
 * 1.5g), `--node-pids`, `--lab-cpus` (cores, e.g. 0.5); anything else is one line and exit 2.
 */
export function limits(opts: { nodeMemory?: string; nodePids?: string; labCpus?: string }): { nodeMemoryMiB?: number; nodePids?: number; labCpus?: number } {
  const out: { nodeMemoryMiB?: number; nodePids?: number; labCpus?: number } = {};
  if (opts.nodeMemory !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*([mg]i?b?)?$/i.exec(opts.nodeMemory.trim());
    const mib = m ? Number(m[1]) * (m[2] && /^g/i.test(m[2]) ? 1024 : 1) : NaN;
    if (!(mib >= 64)) throw new UserError(`--node-memory must be a size of at least 64 MiB (not "${opts.nodeMemory}")`, 'e.g. --node-memory 1536 (MiB) or --node-memory 2g', ExitCode.usage);
    out.nodeMemoryMiB = Math.round(mib);
  }
  if (opts.nodePids !== undefined) {
    const n = /^\d+$/.test(opts.nodePids) ? Number(opts.nodePids) : NaN;
    if (!(n >= 100)) throw new UserError(`--node-pids must be a whole number of at least 100 (not "${opts.nodePids}")`, 'e.g. --node-pids 2048', ExitCode.usage);
    out.nodePids = n;
  }
  if (opts.labCpus !== undefined) {
    const n = /^\d+(\.\d+)?$/.test(opts.labCpus) ? Number(opts.labCpus) : NaN;
    if (!(n >= 0.1)) throw new UserError(`--lab-cpus must be a number of cores, at least 0.1 (not "${opts.labCpus}")`, 'e.g. --lab-cpus 0.5', ExitCode.usage);
    out.labCpus = n;
  }
  return out;
}

/** Registers the limit options on a command (`lab up`, `classroom up`), with what their default means there. */
export function limitOptions(cmd: import('commander').Command, defaults: string): import('commander').Command {
  return cmd
    .option('--node-memory <size>', `memory of each node, its containers included: MiB, or 2g (${defaults})`)
    .option('--node-pids <n>', `processes and threads of each node (${defaults})`)
    .option('--lab-cpus <cores>', 'a cap on the CPU of each lab, all its nodes together, e.g. 0.5 (default: none)');
}
