// `goto CHAPTER`: catch up, bringing the lab to the state the chapter starts from.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { goto } from '../../workshop/index.js';
import { confirmRemoval } from '../ask.js';
import { terminalFace } from '../face.js';

async function run(ctx: Context, name: string, opts: { yes?: boolean }): Promise<void> {
  const face = terminalFace(ctx.out, { confirmRemoval: ctx.interactive ? (items) => confirmRemoval(ctx.out, items) : undefined });
  const c = await goto(ctx.lab, name, { yes: opts.yes }, face);
  ctx.out.data({ chapter: c.slug });
  ctx.out.line(`now at ${c.number} ${c.title}: devcoin-workshop show`);
}

export function registerGoto(program: Command): void {
  program
    .command('goto')
    .argument('<chapter>', 'slug, number or folder')
    .option('--yes', 'on connected machines, remove what was there before lab connect without asking')
    .description('catch up: bring the lab to the state the chapter starts from, and move there')
    .action(action(run));
}
