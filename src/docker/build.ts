// Building, importing, pulling and inspecting images through the engine API (no docker CLI).
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';

/** A build that failed: the engine's message plus the last lines of the build's output. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly tail: string[],
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads an engine progress stream (newline-separated JSON) to its end. Resolves with every
 * event; rejects on the first `error` event, keeping the last output lines for the message.
 */
export function readProgress(stream: NodeJS.ReadableStream, onEvent?: (e: ProgressEvent) => void, tailSize = 10): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    const events: ProgressEvent[] = [];
    const tail: string[] = [];
    let buf = '';
    let failed: BuildError | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      let e: ProgressEvent;
      try {
        e = JSON.parse(line) as ProgressEvent;
      } catch {
        e = { stream: line };
      }
      events.push(e);
      for (const l of (e.stream ?? (e.status ? `${e.status}${e.id ? ' ' + e.id : ''}` : '')).split('\n')) {
        if (l.trim()) {
          tail.push(l.trimEnd());
          if (tail.length > tailSize) tail.shift();
        }
      }
      if (e.error && !failed) failed = new BuildError(e.errorDetail?.message || e.error, [...tail]);
      onEvent?.(e);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        handle(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    let ended = false;
    stream.on('end', () => {
      ended = true;
      handle(buf);
      if (failed) reject(failed);
      else resolve(events);
    });
    stream.on('error', (err) => reject(err));
    // an aborted request may close without 'end' or 'error'; a promise must not hang on it
    stream.on('close', () => {
      if (!ended) reject(failed ?? new Error('the engine closed the stream before the end'));
    });
  });
}

export interface BuildOptions {
  /** build context folder */
  context: string;
  /** files of the context to send (relative paths), e.g. from contextFiles() */
  files: string[];
  dockerfile?: string;
  /** name:tag */
  tag: string;
  labels?: Record<string, string>;
  /** ignore the build cache (a real rebuild) */
  nocache?: boolean;
  /** each line of build output */
  onLine?: (line: string) => void;
}

/** Builds an image with the classic builder; resolves with the image id. */
export async function buildImage(docker: Docker, opts: BuildOptions): Promise<string> {
  const stream = (await docker.buildImage(
    { context: opts.context, src: opts.files },
    {
      t: opts.tag,
      dockerfile: opts.dockerfile ?? 'Dockerfile',
      labels: opts.labels,
      nocache: !!opts.nocache,
      // remove intermediate containers even when a step fails or the build is cut short
      rm: true,
      forcerm: true,
      pull: false,
    } as Docker.ImageBuildOptions,
  )) as NodeJS.ReadableStream;
  let id = '';
  await readProgress(stream, (e) => {
    if (e.aux?.ID) id = e.aux.ID;
    if (e.stream && opts.onLine) for (const l of e.stream.split('\n')) if (l.trim()) opts.onLine(l.trimEnd());
  });
  if (!id) id = (await docker.getImage(opts.tag).inspect()).Id;
  return id;
}

/** Labels of a local image, or undefined when there is no such image. */
export async function imageLabels(docker: Docker, name: string): Promise<Record<string, string> | undefined> {
  try {
    const info = await docker.getImage(name).inspect();
    return info.Config?.Labels ?? {};
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Image id of a local image, or undefined. */
export async function imageId(docker: Docker, name: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(name).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * Removes an image that a rebuild replaced, if nothing uses it any more (no tag, no child
 * image, no container): the engine refuses otherwise, and that is fine. Never forced.
 */
export async function removeReplaced(docker: Docker, oldId: string, newName: string): Promise<boolean> {
  try {
    const info = await docker.getImage(oldId).inspect();
    if (info.RepoTags?.length || (await imageId(docker, newName)) === oldId) return false;
    await docker.getImage(oldId).remove({ noprune: false });
    return true;
  } catch {
    return false;
  }
}

export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  return (await imageLabels(docker, name)) !== undefined;
}

/**
 * Tries to pull an image, giving up when the registry stays silent for `idleMs` (registries
 * that do not answer make pulls hang for a long time; a slow but progressing download is fine).
 * Resolves true when the image is there afterwards.
 */
export async function tryPull(docker: Docker, ref: string, idleMs = 15_000): Promise<boolean> {
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), idleMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), idleMs);
  };
  try {
    const stream = (await docker.pull(ref, { abortSignal: abort.signal } as object)) as NodeJS.ReadableStream;
    alive();
    await readProgress(stream, alive);
    return await imageExists(docker, ref);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Creates an image from a root filesystem tar stream (POST /images/create?fromSrc=-). */
export async function importImage(
  docker: Docker,
  rootfsTar: Readable,
  opts: { repo: string; tag: string; changes?: string[]; message?: string },
): Promise<void> {
  const stream = (await docker.importImage(rootfsTar as unknown as string, {
    repo: opts.repo,
    tag: opts.tag,
    changes: opts.changes,
    message: opts.message,
  } as object)) as NodeJS.ReadableStream;
  await readProgress(stream);
}
