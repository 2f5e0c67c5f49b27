// The images core: build what the workshop needs (setup), list them, move them between machines
// (save/load). Returns data; progress goes to a face as events.
import { resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { hostEngine } from '../docker/engine.js';
import { engineDisk, gib, minFreeBytes } from '../docker/disk.js';
import { imageExists } from '../docker/build.js';
import { checkArchive, loadImages, saveImages } from '../docker/archive.js';
import { task, type Face } from '../events.js';
import { catalog, withTag } from './catalog.js';
import { imageStatuses, runSetup, type SetupResult } from './setup.js';

export { IMAGES } from './catalog.js';


export interface SetupFlags {
  force?: boolean;
  mirror?: string;
  pull?: boolean;
}

/** Builds every image that is missing or whose inputs changed, on the host engine. */
export async function setup(flags: SetupFlags, face: Face): Promise<{ images: SetupResult[]; seconds: number }> {
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
  const images = await runSetup(engine.docker, face, { force: flags.force, mirror: flags.mirror, noPull: flags.pull === false });
  return { images, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

export async function listImages(): Promise<{ name: string; status: string; context: string }[]> {
  const engine = await hostEngine();
  return (await imageStatuses(engine.docker)).map((s) => ({ name: s.name, status: s.state, context: s.context }));
}

/** Writes the built workshop images (all, or `only`) into one tar file. */
export async function saveImagesTo(file: string, only: string[], face: Face): Promise<{ file: string; images: string[]; absent: string[]; bytes: number }> {
  const engine = await hostEngine();
  const wanted = only.map(withTag);
  const known = catalog().map((e) => e.name);
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length) throw new UserError(`not a workshop image: ${unknown.join(', ')}`, 'see `devcoin-workshop images ls`', ExitCode.usage);
  const names: string[] = [];
  const absent: string[] = [];
  for (const name of wanted.length ? wanted : known) ((await imageExists(engine.docker, name)) ? names : absent).push(name);
  if (names.length === 0) throw new UserError('no workshop images to save', 'run `devcoin-workshop setup` first', ExitCode.failed);
  if (absent.length) face.emit({ type: 'log', level: 'warn', text: `warning: not built, so not saved: ${absent.join(', ')}` });
  const path = resolve(file);
  const count = `${names.length} image${names.length === 1 ? '' : 's'}`;
  const bytes = await task(face, `save ${count} to ${file}`, () => saveImages(engine.docker, names, path));
  return { file: path, images: names, absent, bytes };
}

/** Loads the images of a file `images save` wrote. */
export async function loadImagesFrom(file: string, face: Face): Promise<{ file: string; images: string[] }> {
  const path = resolve(file);
  checkArchive(path);
  const engine = await hostEngine();
  const images = await task(face, `load images from ${file}`, () => loadImages(engine.docker, path));
  return { file: path, images };
}

export { gib };
