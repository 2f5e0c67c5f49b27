// `images save FILE`: the workshop images into one tar file, for a machine without internet.
import type { Command } from 'commander';
import { action, type Context } from '../../context.js';
import { gib, saveImagesTo } from '../../../images/index.js';

async function run(ctx: Context, file: string, only: string[]): Promise<number> {
  const r = await saveImagesTo(file, only, ctx.face);
  ctx.out.data({ file: r.file, images: r.images, bytes: r.bytes });
  const count = `${r.images.length} image${r.images.length === 1 ? '' : 's'}`;
  const human = r.bytes >= 1024 ** 3 ? gib(r.bytes) : `${(r.bytes / 1024 ** 2).toFixed(1)} MiB`;
  ctx.out.line(`saved ${count} (${human}) to ${file}; on the other machine: devcoin-workshop images load ${file}`);
  return 0;
}

export function registerImagesSave(images: Command): void {
  images
    .command('save')
    .argument('<file>', 'tar file to write')
    .argument('[images...]', 'only these (e.g. devcoin/busybox); default: every built workshop image')
    .description('write the workshop images into one tar file')
    .action(action((ctx, file: string, only: string[]) => run(ctx, file, only)));
}
