// `lab down`: remove the lab, exactly what carries its label (or, of connected machines, only
// what `connect` made on each).
import type { Command } from 'commander';
import { Option } from 'commander';
import { action, type Context } from '../../context.js';
import { labDown, withLabLock } from '../../../lab/index.js';
import { task } from '../../../events.js';

async function run(ctx: Context): Promise<void> {
  const removed = await withLabLock(ctx.lab, 'lab down', () => task(ctx.face, `lab ${ctx.lab} down`, () => labDown(ctx.lab)));
  ctx.out.data({ lab: ctx.lab, removed });
  ctx.out.line(`removed ${removed.containers} containers, ${removed.volumes} volumes, ${removed.networks} networks`);
}

export function registerLabDown(lab: Command): void {
  lab
    .command('down')
    .description("remove the lab: exactly the containers, volumes and network carrying the lab's label, and its certificates")
    .addHelpText(
      'after',
      "\nWhat stays: the images, the hub cache volume devcoin-hub-cache (shared by all labs: `docker volume rm devcoin-hub-cache` frees it) and your progress (`reset` clears it).\n" +
        'A lab made with `lab connect` (other machines): only the shell container on each machine and the connection file go; the machines, their engines, swarm, services and /workshop (the stack sources copied there) stay.',
    )
    .addOption(new Option('--keep-images', 'keep the images (always the case; kept for scripts)').default(true))
    .action(action(run));
}
