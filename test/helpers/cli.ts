// Runs the real CLI (dist/, built by the test script) as a user would, with its own config dir.
import { execa, type Result } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

export const bin = join(packageRoot, 'bin', 'devcoin-workshop');

export function tempHome(prefix = 'devcoin-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function cli(args: string[], env: Record<string, string> = {}, timeout = 600_000): Promise<Result> {
  return execa('node', [bin, ...args], {
    reject: false,
    timeout,
    env: { NO_COLOR: '1', ...env },
    stdin: 'ignore',
  }) as Promise<Result>;
}

/** stderr lines that are not progress lines (… / ✓ / ✗), i.e. what a user reads as the error. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !/^[…✓✗]/.test(l));
}
