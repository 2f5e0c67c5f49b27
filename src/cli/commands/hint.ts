// `hint [chapter]`: the chapter's hint section.
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { chapterOf } from '../../workshop/index.js';
import { renderMarkdown } from '../render.js';

async function run(ctx: Context, name?: string): Promise<void> {
  const c = await chapterOf(ctx.lab, name);
  ctx.out.data({ chapter: c.slug, hint: c.hint ?? null });
  ctx.out.line(c.hint ? renderMarkdown(ctx.out, c.hint) : 'no hint for this chapter: read it again with `devcoin-workshop show`');
}

export function registerHint(program: Command): void {
  program
    .command('hint')
    .argument('[chapter]', 'slug, number or folder (default: the current chapter)')
    .description('a hint for the chapter')
    .action(action(run));
}
