// `next`: mark the current chapter done (when verify passes) and show the next one.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { UserError } from '../../errors.js';
import { next } from '../../workshop/index.js';
import { webUiLine } from '../render.js';

async function run(ctx: Context, opts: { force?: boolean }): Promise<void> {
  const r = await next(ctx.lab, { force: opts.force }, ctx.face);
  if (r.checks) {
    ctx.out.data({ chapter: r.chapter, moved: false, checks: r.checks });
    throw new UserError(`${r.chapter} does not verify yet`, 'fix what is marked ✗ above, or use `next --force` to move on anyway');
  }
  ctx.out.data({ chapter: r.chapter, moved: r.moved, next: r.next?.slug ?? null, webUi: r.webUi ?? null });
  // the chapter just done leaves the web UI running: say where to watch it
  if (r.webUi) ctx.out.line(`${webUiLine(ctx.out, r.webUi)} (what ${r.chapter} left running)\n`);
  if (!r.next) ctx.out.line(ctx.out.c.green('That was the last chapter. Well done!'));
  else ctx.out.line(`${ctx.out.c.bold(`${r.next.number} ${r.next.title}`)}\n\n${r.next.intro}\n\n${ctx.out.c.dim('read it all: devcoin-workshop show')}`);
}

export function registerNext(program: Command): void {
  program
    .command('next')
    .option('--force', 'move on even though verify does not pass')
    .description('mark the current chapter done (when verify passes) and show the next one')
    .action(action(run));
}
