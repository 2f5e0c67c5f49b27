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
