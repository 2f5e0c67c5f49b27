// `images load FILE`: the images of a file `images save` wrote.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { loadImagesFrom } from '../../../images/index.js';

async function run(ctx: Context, file: string): Promise<number> {
  const r = await loadImagesFrom(file, ctx.face);
  ctx.out.data(r);
  for (const name of r.images) ctx.out.line(`loaded ${name}`);
  return 0;
}

export function registerImagesLoad(images: Command): void {
  images
    .command('load')
    .argument('<file>', 'tar file made by `images save`')
    .description('load images from a file made by `images save` (then `setup` finds them current)')
    .action(action((ctx, file: string) => run(ctx, file)));
}
