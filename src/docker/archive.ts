// Moving images between machines as one tar file (docker save / docker load via the API).
import type Docker from 'dockerode';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ExitCode, UserError } from '../errors.js';
import { readProgress } from './build.js';

/** Writes the named images into one tar file; written to FILE.partial first, so an interrupted save leaves no half file under the real name. */
export async function saveImages(docker: Docker, names: string[], file: string): Promise<number> {
  const partial = `${file}.partial`;
  try {
    // getImages (GET /images/get?names=...) is in dockerode but not in its type definitions
    const getImages = (docker as unknown as { getImages: (o: object) => Promise<NodeJS.ReadableStream> }).getImages.bind(docker);
    const stream = await getImages({ names });
    await pipeline(stream, createWriteStream(partial));
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  return statSync(file).size;
}

/** What kind of archive a file looks like: a tar (ustar magic at 257), gzip, or neither. */
export function archiveKind(file: string): 'tar' | 'gzip' | 'other' {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(262);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return 'gzip';
    if (n >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'other';
  } finally {
    closeSync(fd);
  }
}

/** Refuses, in one line, a file that is missing or plainly not an image archive. */
export function checkArchive(file: string): void {
  if (!existsSync(file)) {
    throw new UserError(`no such file: ${file}`, 'give the path of a file made by `devcoin-workshop images save`', ExitCode.usage);
  }
  if (statSync(file).isDirectory() || archiveKind(file) === 'other') {
    throw new UserError(`${file} is not an image archive`, 'use a file made by `devcoin-workshop images save` or `docker save`', ExitCode.failed);
  }
}

/** Loads an image archive; resolves with the names loaded ("Loaded image: ..."). */
export async function loadImages(docker: Docker, file: string): Promise<string[]> {
  checkArchive(file);
  const loaded: string[] = [];
  try {
    const stream = (await docker.loadImage(createReadStream(file) as unknown as string, { quiet: true } as object)) as unknown as NodeJS.ReadableStream;
    await readProgress(stream, (e) => {
      const m = /Loaded image(?: ID)?: (\S+)/.exec(e.stream ?? '');
      if (m) loaded.push(m[1]);
    });
  } catch (err) {
    const msg = (err as Error).message?.split('\n')[0] ?? String(err);
    throw new UserError(`${file} could not be loaded (damaged or incomplete?): ${msg}`, 'make it again with `devcoin-workshop images save FILE`', ExitCode.failed);
  }
  if (loaded.length === 0) {
    throw new UserError(`${file} holds no images`, 'make it again with `devcoin-workshop images save FILE`', ExitCode.failed);
  }
  return loaded;
}

/**
 * Copies images one engine lacks (or holds in another version) from another engine, streamed
 * (docker save | docker load, no file): how a second engine of a classroom gets the workshop
 * images. Returns the names copied.
 */
export async function copyImages(from: Docker, to: Docker, names: string[]): Promise<string[]> {
  const idOf = async (d: Docker, n: string) => ((await d.getImage(n).inspect().catch(() => undefined)) as { Id?: string } | undefined)?.Id;
  const wanted: string[] = [];
  for (const n of names) {
    const id = await idOf(from, n);
    if (!id) throw new UserError(`image ${n} is not built here, so it cannot be copied to another engine`, 'run `devcoin-workshop setup` first');
    if ((await idOf(to, n)) !== id) wanted.push(n);
  }
  if (!wanted.length) return [];
  const getImages = (from as unknown as { getImages: (o: object) => Promise<NodeJS.ReadableStream> }).getImages.bind(from);
  const res = (await to.loadImage(await getImages({ names: wanted }))) as NodeJS.ReadableStream;
  await readProgress(res); // rejects on the engine's first error
  return wanted;
}
