// `images ls`: every workshop image with its status.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { listImages } from '../../../images/index.js';

async function run(ctx: Context): Promise<number> {
  const images = await listImages();
  ctx.out.data({ images });
  const colour = (s: string) =>
    s === 'current' ? ctx.out.c.green(s) : s === 'outdated' ? ctx.out.c.yellow(s) : s === 'missing' ? ctx.out.c.red(s) : ctx.out.c.dim(s);
  ctx.out.table(['IMAGE', 'STATUS', 'BUILT FROM'], images.map((s) => [s.name, colour(s.status), s.context]));
  if (images.some((s) => s.status === 'missing' || s.status === 'outdated')) ctx.out.line('\nrun `devcoin-workshop setup` to build what is missing or outdated');
  return 0;
}

export function registerImagesLs(images: Command): void {
  images
    .command('ls')
    .description('every workshop image with its status: current, outdated, missing')
    .action(action((ctx) => run(ctx)));
}
