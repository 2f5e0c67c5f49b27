// `reset`: start over, progress back to the first chapter and a fresh lab.
import type { Command } from 'commander';
import { confirm } from '@inquirer/prompts';
import { action, type Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import { reset } from '../../workshop/index.js';

async function run(ctx: Context, opts: { yes?: boolean; progressOnly?: boolean }): Promise<number> {
  const what = opts.progressOnly ? 'your progress' : `your progress and lab ${ctx.lab} (its containers, volumes and swarm)`;
  if (!opts.yes) {
    if (!ctx.interactive) throw new UserError(`reset would remove ${what}`, 'run it again with --yes to confirm', ExitCode.usage);
    if (!(await confirm({ message: `Remove ${what} and start again?`, default: false }))) return ExitCode.failed;
  }
  await reset(ctx.lab, { lab: !opts.progressOnly }, ctx.face);
  ctx.out.data({ reset: true, lab: !opts.progressOnly });
  ctx.out.line('back at the first chapter: devcoin-workshop show');
  return 0;
}

export function registerReset(program: Command): void {
  program
    .command('reset')
    .option('--yes', 'do not ask for confirmation')
    .option('--progress-only', 'forget the progress but leave the lab as it is')
    .description('start over: progress back to the first chapter and a fresh lab')
    .action(action(run));
}
