// The image pipeline behind `setup` and `images ls`: for each catalog entry, in order, build it
// unless an image with the same inputs hash is already there.
import type Docker from 'dockerode';
import { relative } from 'node:path';
import { packageRoot } from '../paths.js';
import { task, type Face } from '../events.js';
import { ExitCode, UserError } from '../errors.js';
import { BuildError, buildImage, imageId, imageLabels, removeReplaced } from '../docker/build.js';
import { buildBase } from './base.js';
import { buildBundles } from './bundles.js';
import {catalog, type CatalogEntry} from './catalog.js';
import { contextFiles, hasDockerfile, inputsHash } from './inputs.js';
import { LABELS } from '../labels.js';

export type ImageState = 'current' | 'outdated' | 'missing' | 'no-dockerfile';

export interface ImageStatus {
  name: string;
  state: ImageState;
  /** what the image should carry */
  hash?: string;
  /** what the image carries now */
  imageHash?: string;
  context: string;
}

/** Status of every catalog image, without building anything. */
export async function imageStatuses(docker: Docker, entries = catalog()): Promise<ImageStatus[]> {
  const cache = new Map<string, string | undefined>();
  const out: ImageStatus[] = [];
  for (const e of entries) {
    const context = relative(packageRoot, e.context) || '.';
    const hash = inputsHash(e, entries, cache);
    const labels = await imageLabels(docker, e.name);
    const imageHash = labels?.[LABELS.inputs];
    let state: ImageState;
    if (!hash) state = 'no-dockerfile';
    else if (!labels) state = 'missing';
    else state = imageHash === hash ? 'current' : 'outdated';
    out.push({ name: e.name, state, hash, imageHash, context });
  }
  return out;
}

export interface SetupOptions {
  force?: boolean;
  mirror?: string;
  /** the images to consider (default: the whole catalog); tests pass their own */
  entries?: CatalogEntry[];
  /** skip trying to pull debian:trixie-slim */
  noPull?: boolean;
}

export interface SetupResult {
  name: string;
  status: 'built' | 'current' | 'skipped-missing';
  seconds: number;
  /** for the base: how it was made */
  how?: string;
}

function secondsSince(t: number): number {
  return Math.round((Date.now() - t) / 100) / 10;
}

export async function runSetup(docker: Docker, face: Face, opts: SetupOptions = {}): Promise<SetupResult[]> {
  const log = (level: 'info' | 'debug', text: string) => face.emit({ type: 'log', level, text });
  const entries = opts.entries ?? catalog();
  const cache = new Map<string, string | undefined>();
  const results: SetupResult[] = [];
  let bundlesDone = false;
  const replaced: { id: string; name: string }[] = [];

  for (const entry of entries) {
    const started = Date.now();
    if (!hasDockerfile(entry)) {
      log('info', `- ${entry.name}: no ${entry.dockerfile} in ${relative(packageRoot, entry.context)} yet (skipped)`);
      results.push({ name: entry.name, status: 'skipped-missing', seconds: 0 });
      continue;
    }
    if (entry.stack && !bundlesDone) {
      bundlesDone = true;
      // The bundles are part of the stack images' contexts, so they are made before those are
      // hashed. When every stack image already matches its context (bundles included), the
      // sources have not changed since: bundling again would only cost time.
      const stack = entries.filter((e) => e.stack && hasDockerfile(e));
      let allCurrent = !opts.force;
      for (const e of stack) {
        if (!allCurrent) break;
        allCurrent = (await imageLabels(docker, e.name))?.[LABELS.inputs] === inputsHash(e, entries, cache);
      }
      if (!allCurrent) {
        for (const e of stack) cache.delete(e.name);
        await task(face, 'bundle the stack services', (update) => buildBundles(update));
      }
    }
    const hash = inputsHash(entry, entries, cache)!;
    const labels = await imageLabels(docker, entry.name);
    if (!opts.force && labels?.[LABELS.inputs] === hash) {
      log('info', `✓ ${entry.name} current (skipped)`);
      results.push({ name: entry.name, status: 'current', seconds: secondsSince(started) });
      continue;
    }
    const why = !labels ? 'new' : opts.force ? 'forced' : 'inputs changed';
    let how: string | undefined;
    const oldId = labels ? await imageId(docker, entry.name) : undefined;
    await task(face, `build ${entry.name} (${why})`, async (update) => {
      if (entry.special === 'base') {
        how = await buildBase(docker, entry, hash, { mirror: opts.mirror, nocache: opts.force, noPull: opts.noPull, update });
        return;
      }
      await buildEntry(docker, entry, hash, log, !!opts.force, update);
    });
    if (oldId) replaced.push({ id: oldId, name: entry.name });
    results.push({ name: entry.name, status: 'built', seconds: secondsSince(started), how });
  }
  // images that rebuilds replaced, now untagged, would only fill the disk; children first, so
  // their old parents are free to go too. Anything still in use stays.
  for (const r of replaced.reverse()) {
    if (await removeReplaced(docker, r.id, r.name)) log('debug', `removed the replaced ${r.name} (${r.id.slice(7, 19)})`);
  }
  return results;
}

async function buildEntry(
  docker: Docker,
  entry: CatalogEntry,
  hash: string,
  log: (level: 'info' | 'debug', text: string) => void,
  nocache: boolean,
  update: (text: string) => void,
): Promise<void> {
  try {
    await buildImage(docker, {
      context: entry.context,
      files: contextFiles(entry.context, entry.dockerfile),
      dockerfile: entry.dockerfile,
      tag: entry.name,
      labels: { [LABELS.inputs]: hash, [LABELS.builtFrom]: 'Debian packages' },
      nocache,
      onLine: (l) => {
        update(l.length > 70 ? l.slice(0, 69) + '…' : l);
        log('debug', l);
      },
    });
  } catch (err) {
    if (err instanceof BuildError) {
      // the last lines of the build say what went wrong; the error itself stays one line
      for (const l of err.tail) log('info', `  | ${l}`);
      throw new UserError(
        `building ${entry.name} failed: ${err.message.split('\n')[0]}`,
        `fix ${relative(packageRoot, entry.context)}/${entry.dockerfile} (or run with --verbose for the whole build log)`,
        ExitCode.failed,
      );
    }
    throw err;
  }
}
