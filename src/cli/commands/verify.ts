// `verify [chapter]`: the real state of the lab against the chapter; exit 0 when all pass.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { ExitCode } from '../../errors.js';
import { verify } from '../../workshop/index.js';
import { seconds } from '../parse.js';

async function run(ctx: Context, name: string | undefined, opts: { timeout: string }): Promise<number> {
  const timeout = seconds(opts.timeout, '--timeout');
  const r = await verify(ctx.lab, name, timeout * 1000, ctx.face);
  ctx.out.data(r);
  const failed = r.checks.filter((c) => !c.ok).length;
  ctx.out.line(r.ok ? ctx.out.c.green(`all ${r.checks.length} checks pass: devcoin-workshop next`) : ctx.out.c.red(`${failed} of ${r.checks.length} checks fail`));
  return r.ok ? 0 : ExitCode.failed;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .option('--timeout <seconds>', 'how long to wait for the swarm to converge (0: check once)', '30')
    .description('check the real state of the lab against the chapter (exit 0 when all pass)')
    .action(action(run));
}
