// `current`: which chapter this lab is on.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { chapterOf } from '../../workshop/index.js';

async function run(ctx: Context): Promise<void> {
  const c = await chapterOf(ctx.lab);
  ctx.out.data({ chapter: c.slug, number: c.number, title: c.title });
  ctx.out.line(`${c.number} ${c.slug}: ${c.title}`);
}

export function registerCurrent(program: Command): void {
  program.command('current').description('which chapter you are on').action(action(run));
}
