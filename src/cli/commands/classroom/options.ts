// The options `classroom up` and `classroom serve` share, checked once: one line and exit 2.
import { isIP } from 'node:net';
import { ExitCode, UserError } from '../../../errors.js';

export function bindOption(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v === 'localhost') return '127.0.0.1';
  if (!isIP(v)) throw new UserError(`--bind takes an IP address of this machine, not "${v}"`, 'use 127.0.0.1 (this machine only) or 0.0.0.0 (the room)', ExitCode.usage);
  return v;
}

export function portOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new UserError(`--port must be a port number from 0 to 65535 (not "${v}")`, 'e.g. --port 8780', ExitCode.usage);
  return n;
}
