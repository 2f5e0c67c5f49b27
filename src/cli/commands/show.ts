// `show [chapter]`: read a chapter, rendered for the terminal.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { chapterOf } from '../../workshop/index.js';
import { renderMarkdown } from '../render.js';

async function run(ctx: Context, name?: string): Promise<void> {
  const c = await chapterOf(ctx.lab, name);
  ctx.out.data({ chapter: c.slug, title: c.title, markdown: c.markdown });
  ctx.out.line(renderMarkdown(ctx.out, c.markdown));
  ctx.out.line(ctx.out.c.dim(`\ntype the commands on their node (devcoin-workshop lab shell node1), then: devcoin-workshop verify`));
}

export function registerShow(program: Command): void {
  program
    .command('show')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description('read a chapter: why, what to type and on which node, what it means')
    .action(action(run));
}
