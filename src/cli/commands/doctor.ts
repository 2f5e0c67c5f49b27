// `doctor`: is this machine ready for the workshop? Each check passes, warns or fails, with the
// fix in one line. Exit 1 when a check fails; no engine at all is exit 3 (one line, from connect).
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import { action, type Context } from '../context.js';
import { doctor, type Check, type CheckStatus } from '../../doctor/index.js';

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗' };

/** One check as people read it: mark, id, summary; the fix on a second line when there is one. */
export function formatCheck(check: Check, c: ChalkInstance, idWidth = 12): string[] {
  const colour = check.status === 'pass' ? c.green : check.status === 'warn' ? c.yellow : c.red;
  const lines = [`${colour(MARK[check.status])} ${check.id.padEnd(idWidth)} ${check.summary}`];
  if (check.fix && check.status !== 'pass') lines.push(`  ${' '.repeat(idWidth)} ${c.dim('fix:')} ${check.fix}`);
  return lines;
}

async function run(ctx: Context): Promise<number> {
  const { verdict, ...report } = await doctor(ctx.face);
  ctx.out.data(report);
  for (const check of report.checks) for (const l of formatCheck(check, ctx.out.c)) ctx.out.line(l);
  ctx.out.line();
  ctx.out.line(verdict.line);
  return verdict.exitCode;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine: which host it is (cgroups, rootless, Docker Desktop, WSL, inotify, user), storage, disk, a nested engine trial, routing mesh, images')
    .addHelpText('after', '\nExit status: 0 ready (maybe with warnings), 1 a check failed, 3 no Docker engine.')
    .action(action((ctx) => run(ctx)));
}
