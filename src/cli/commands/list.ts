// `list`: the chapters, with what is done, current and to do.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { listChapters } from '../../workshop/index.js';

async function run(ctx: Context): Promise<void> {
  const rows = await listChapters(ctx.lab);
  ctx.out.data({ chapters: rows });
  for (const r of rows) {
    const mark = r.status === 'done' ? ctx.out.c.green('✓') : r.status === 'current' ? ctx.out.c.cyan('▶') : ' ';
    ctx.out.line(`${mark} ${String(r.number).padStart(2)}  ${r.slug.padEnd(10)} ${r.title}`);
  }
}

export function registerList(program: Command): void {
  program.command('list').description('the chapters, with what is done, current and to do').action(action(run));
}
