// `classroom serve`: the classroom server again for the labs that are there (same URLs).
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { classroomServe } from '../../../classroom/index.js';
import { serveInForeground } from './foreground.js';
import { bindOption, portOption } from './options.js';

async function run(ctx: Context, opts: { bind?: string; port?: string }): Promise<void> {
  const running = await classroomServe({ bind: bindOption(opts.bind), port: portOption(opts.port), face: ctx.face, log: ctx.verbose ? (l) => ctx.out.debug(l) : undefined });
  await serveInForeground(ctx, running);
}

export function registerClassroomServe(classroom: Command): void {
  classroom
    .command('serve')
    .description('serve the classroom again for its labs, with the same URLs (after Ctrl-C or a restart)')
    .option('--bind <addr>', 'serve on another address than last time')
    .option('--port <p>', 'serve on another port than last time (the URLs change with it)')
    .action(action(run));
}
