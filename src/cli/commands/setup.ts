// `setup`: build every image the workshop needs (offline, from Debian packages).
import type { Command } from 'commander';
import { action, type Context } from '../context.js';
import { setup, type SetupFlags } from '../../images/index.js';

async function run(ctx: Context, flags: SetupFlags): Promise<number> {
  const { images, seconds } = await setup(flags, ctx.face);
  const built = images.filter((r) => r.status === 'built').length;
  const missing = images.filter((r) => r.status === 'skipped-missing');
  ctx.out.data({ images, seconds });
  ctx.out.line(
    `setup done in ${seconds}s: ${built} built, ${images.filter((r) => r.status === 'current').length} current` +
      (missing.length ? `, ${missing.length} not written yet (${missing.map((m) => m.name).join(', ')})` : ''),
  );
  return 0;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('build every image the workshop needs, offline, from Debian packages (skips what is current)')
    .option('--force', 'rebuild every image, without the build cache')
    .option('--mirror <url>', 'Debian mirror for the base image (default: DEVCOIN_DEBIAN_MIRROR, else this machine\'s apt sources)')
    .option('--no-pull', 'do not try to pull debian:trixie-slim; make the base with debootstrap')
    .addHelpText(
      'after',
      `
Each image carries a hash of its inputs (Dockerfile, build files, parent image), so a second
run with nothing changed only checks and takes a few seconds. Interrupting is safe: run it
again to finish the job.`,
    )
    .action(action((ctx, flags: SetupFlags) => run(ctx, flags)));
}
