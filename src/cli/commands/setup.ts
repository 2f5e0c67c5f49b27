// `setup` builds every image the workshop needs (offline, from Debian packages); `images`
// lists them and moves them between machines.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { action, type Context } from '../context.js';
import { ExitCode, UserError } from '../../errors.js';
import { hostEngine } from '../../docker/engine.js';
import { engineDisk, gib } from '../../docker/disk.js';
import { imageExists } from '../../docker/build.js';
import { checkArchive, loadImages, saveImages } from '../../docker/archive.js';
import { catalog, withTag } from '../../images/catalog.js';
import { imageStatuses, runSetup } from '../../images/setup.js';

/**
 * Below this, a build of all images would fill the disk half-way through. DEVCOIN_MIN_FREE_GIB
 * raises it (a classroom machine that must keep room for other work) or lowers it.
 */
function minFreeBytes(): number {
  const gibs = Number(process.env.DEVCOIN_MIN_FREE_GIB);
  return (Number.isFinite(gibs) && gibs > 0 ? gibs : 3) * 1024 ** 3;
}

interface SetupFlags {
  force?: boolean;
  mirror?: string;
  pull?: boolean;
}

async function setup(ctx: Context, flags: SetupFlags): Promise<number> {
  const started = Date.now();
  const engine = await hostEngine();
  const disk = await engineDisk(engine);
  if (disk && disk.freeBytes < minFreeBytes()) {
    throw new UserError(
      `only ${gib(disk.freeBytes)} free on ${disk.path}; setup needs ${gib(minFreeBytes())}`,
      'free some disk space (e.g. remove unused images you made), then run setup again',
      ExitCode.failed,
    );
  }
  const results = await runSetup(engine.docker, ctx.out, { force: flags.force, mirror: flags.mirror, noPull: flags.pull === false });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const built = results.filter((r) => r.status === 'built').length;
  const missing = results.filter((r) => r.status === 'skipped-missing');
  ctx.out.data({ images: results, seconds });
  ctx.out.line(
    `setup done in ${seconds}s: ${built} built, ${results.filter((r) => r.status === 'current').length} current` +
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
    .action(action((ctx, flags: SetupFlags) => setup(ctx, flags)));
}

async function list(ctx: Context): Promise<number> {
  const engine = await hostEngine();
  const statuses = await imageStatuses(engine.docker);
  ctx.out.data({ images: statuses.map((s) => ({ name: s.name, status: s.state, context: s.context })) });
  const colour = (s: string) =>
    s === 'current' ? ctx.out.c.green(s) : s === 'outdated' ? ctx.out.c.yellow(s) : s === 'missing' ? ctx.out.c.red(s) : ctx.out.c.dim(s);
  ctx.out.table(
    ['IMAGE', 'STATUS', 'BUILT FROM'],
    statuses.map((s) => [s.name, colour(s.state), s.context]),
  );
  if (statuses.some((s) => s.state === 'missing' || s.state === 'outdated')) ctx.out.line('\nrun `devcoin-workshop setup` to build what is missing or outdated');
  return 0;
}

async function save(ctx: Context, file: string, only: string[]): Promise<number> {
  const engine = await hostEngine();
  const wanted = only.map(withTag);
  const known = catalog().map((e) => e.name);
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length) throw new UserError(`not a workshop image: ${unknown.join(', ')}`, 'see `devcoin-workshop images ls`', ExitCode.usage);
  const names: string[] = [];
  const absent: string[] = [];
  for (const name of wanted.length ? wanted : known) ((await imageExists(engine.docker, name)) ? names : absent).push(name);
  if (names.length === 0) throw new UserError('no workshop images to save', 'run `devcoin-workshop setup` first', ExitCode.failed);
  if (absent.length) ctx.out.warn(`not built, so not saved: ${absent.join(', ')}`);
  const path = resolve(file);
  const count = `${names.length} image${names.length === 1 ? '' : 's'}`;
  const size = await ctx.out.step(`save ${count} to ${file}`, () => saveImages(engine.docker, names, path));
  ctx.out.data({ file: path, images: names, bytes: size });
  const human = size >= 1024 ** 3 ? gib(size) : `${(size / 1024 ** 2).toFixed(1)} MiB`;
  ctx.out.line(`saved ${count} (${human}) to ${file}; on the other machine: devcoin-workshop images load ${file}`);
  return 0;
}

async function load(ctx: Context, file: string): Promise<number> {
  const path = resolve(file);
  checkArchive(path);
  const engine = await hostEngine();
  const loaded = await ctx.out.step(`load images from ${file}`, () => loadImages(engine.docker, path));
  ctx.out.data({ file: path, images: loaded });
  for (const name of loaded) ctx.out.line(`loaded ${name}`);
  return 0;
}

export function registerImages(program: Command): void {
  const images = program.command('images').description('list the workshop images, or move them to a machine without internet');
  images
    .command('ls')
    .description('every workshop image with its status: current, outdated, missing')
    .action(action((ctx) => list(ctx)));
  images
    .command('save')
    .argument('<file>', 'tar file to write')
    .argument('[images...]', 'only these (e.g. devcoin/busybox); default: every built workshop image')
    .description('write the workshop images into one tar file')
    .action(action((ctx, file: string, only: string[]) => save(ctx, file, only)));
  images
    .command('load')
    .argument('<file>', 'tar file made by `images save`')
    .description('load images from a file made by `images save` (then `setup` finds them current)')
    .action(action((ctx, file: string) => load(ctx, file)));
}
