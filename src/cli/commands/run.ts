// `run [chapter]`: the chapter's commands run for you, each shown at its node's prompt.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { runChapter } from '../../workshop/index.js';
import { webUiLine } from '../render.js';

async function run(ctx: Context, name?: string): Promise<void> {
  const r = await runChapter(ctx.lab, name, ctx.face);
  ctx.out.data({ chapter: r.chapter, ran: true, webUi: r.webUi ?? null });
  if (r.webUi) ctx.out.line(webUiLine(ctx.out, r.webUi));
  ctx.out.line(ctx.out.c.dim('next: devcoin-workshop verify'));
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description("run the chapter's commands for you, each shown at its node's prompt")
    .action(action(run));
}
