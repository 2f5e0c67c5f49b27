// The base image every other image starts FROM. Where a registry answers it is Debian's own
// debian:trixie-slim; offline it is made here: debootstrap from the machine's Debian mirror,
// then imported into the engine as an image.
import type Docker from 'dockerode';
import { execa, type ResultPromise } from 'execa';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { buildImage, imageExists, importImage, tryPull } from '../docker/build.js';
import {type CatalogEntry} from './catalog.js';
import { detectMirror } from './mirror.js';
import { LABELS } from '../labels.js';

interface Recipe {
  image: string;
  suite: string;
  variant: string;
  pull?: string;
}

export function readRecipe(entry: CatalogEntry): Recipe {
  return JSON.parse(readFileSync(join(entry.context, entry.dockerfile), 'utf8')) as Recipe;
}

export interface BaseOptions {
  /** --mirror */
  mirror?: string;
  nocache?: boolean;
  /** skip the pull attempt (tests, or known-offline machines) */
  noPull?: boolean;
  pullTimeoutMs?: number;
  /** where to look for debootstrap (default: PATH plus the sbin folders) */
  searchPath?: string;
  update?: (text: string) => void;
}

/** Finds a program in PATH, plus the sbin folders that a non-root PATH often lacks. */
export function findProgram(name: string, searchPath?: string): string | undefined {
  const dirs = searchPath !== undefined ? searchPath.split(delimiter) : [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/**
 * A temporary folder removed when the job ends, also when the process is interrupted
 * (process.exit runs 'exit' listeners, not finally blocks). Anything still mounted inside
 * (debootstrap mounts /proc and /sys in its target) is unmounted first, and rm never crosses
 * into another file system, so an interrupted run can never delete outside the folder.
 */
export class TempDir {
  readonly path: string;
  private child?: { kill: (sig?: NodeJS.Signals) => boolean };
  private readonly onExit = () => this.remove();

  constructor(prefix: string) {
    this.path = mkdtempSync(join(tmpdir(), prefix));
    process.on('exit', this.onExit);
  }

  /** a process writing into the folder, stopped before the folder is removed */
  watch(child: { kill: (sig?: NodeJS.Signals) => boolean }): void {
    this.child = child;
  }

  remove(): void {
    process.off('exit', this.onExit);
    try {
      this.child?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    if (!existsSync(this.path)) return;
    let mounts: string[] = [];
    try {
      mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
        .filter((m): m is string => !!m && (m === this.path || m.startsWith(this.path + '/')))
        .sort((a, b) => b.length - a.length);
    } catch {
      /* not Linux */
    }
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    spawnSync('rm', ['-rf', '--one-file-system', this.path], { stdio: 'ignore' });
  }
}

function labelsFor(hash: string, builtFrom: string): Record<string, string> {
  return { [LABELS.inputs]: hash, [LABELS.builtFrom]: builtFrom };
}

/** Builds the base: pull where possible, else debootstrap + import. Returns how it was made. */
export async function buildBase(docker: Docker, entry: CatalogEntry, hash: string, opts: BaseOptions = {}): Promise<string> {
  const recipe = readRecipe(entry);
  const update = opts.update ?? (() => {});
  const [repo, tag] = recipe.image.split(':');

  if (recipe.pull && !opts.noPull) {
    update(`trying to pull ${recipe.pull}`);
    const have = (await imageExists(docker, recipe.pull)) || (await tryPull(docker, recipe.pull, opts.pullTimeoutMs ?? 15_000));
    if (have) {
      // a one-line build only to put our labels on Debian's image
      const tmp = new TempDir('devcoin-base-');
      try {
        writeFileSync(join(tmp.path, 'Dockerfile'), `FROM ${recipe.pull}\n`);
        await buildImage(docker, {
          context: tmp.path,
          files: ['Dockerfile'],
          tag: recipe.image,
          labels: labelsFor(hash, recipe.pull),
          nocache: opts.nocache,
          onLine: update,
        });
      } finally {
        tmp.remove();
      }
      return `pulled ${recipe.pull}`;
    }
  }

  // offline and without root (or debootstrap) there is one way left: images made elsewhere
  const offline = 'or, offline: `devcoin-workshop images load FILE` with a file that `devcoin-workshop images save FILE` wrote on a machine that has the images';
  const noPull = opts.noPull ? 'was not pulled (--no-pull)' : `cannot be pulled (no registry answers)`;
  const debootstrap = findProgram('debootstrap', opts.searchPath);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new UserError(
      `cannot make the base image ${recipe.image}: ${recipe.pull ?? 'a Debian image'} ${noPull}, and making it with debootstrap needs root`,
      `run \`sudo devcoin-workshop setup\` once${debootstrap ? '' : ' (after `sudo apt-get install debootstrap`)'}, ${offline}`,
      ExitCode.failed,
    );
  }
  if (!debootstrap) {
    throw new UserError(
      `cannot make the base image ${recipe.image}: ${recipe.pull ?? 'a Debian image'} ${noPull}, and debootstrap is not installed`,
      `install it with \`apt-get install debootstrap\`, then run setup again, ${offline}`,
      ExitCode.failed,
    );
  }
  const mirror = detectMirror(opts.mirror);
  if (!mirror) {
    throw new UserError(
      'no Debian mirror found in /etc/apt sources',
      'pass --mirror URL or set DEVCOIN_DEBIAN_MIRROR',
      ExitCode.usage,
    );
  }

  const tmp = new TempDir('devcoin-base-');
  try {
    const rootfs = join(tmp.path, 'rootfs');
    update(`debootstrap ${recipe.suite} from ${mirror.url}`);
    const child: ResultPromise = execa(debootstrap, [`--variant=${recipe.variant}`, recipe.suite, rootfs, mirror.url], {
      all: true,
      reject: false,
      stdin: 'ignore',
    });
    tmp.watch(child);
    const lines: string[] = [];
    child.all?.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n')) {
        if (!l.trim()) continue;
        lines.push(l);
        if (lines.length > 10) lines.shift();
        update(l.replace(/^I: /, ''));
      }
    });
    const res = await child;
    if (res.exitCode !== 0) {
      throw new UserError(
        `debootstrap ${recipe.suite} from ${mirror.url} failed (exit ${res.exitCode}): ${lines.at(-1) ?? ''}`.trim(),
        `check that the mirror answers (from ${mirror.source}); another one can be given with --mirror URL`,
        ExitCode.failed,
      );
    }
    // caches that only make the image bigger
    spawnSync('sh', ['-c', 'rm -rf var/cache/apt/*.bin var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/*.log'], {
      cwd: rootfs,
    });
    update('importing the root file system');
    const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    tmp.watch(tar);
    let tarErr = '';
    tar.stderr.on('data', (b: Buffer) => (tarErr += b.toString()));
    const tarDone = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
    // imported under a temporary tag, renamed only once tar has finished cleanly: a cut-short
    // stream must never become an image that looks current
    const staging = `importing-${process.pid}`;
    await importImage(docker, tar.stdout, {
      repo,
      tag: staging,
      message: `debootstrap --variant=${recipe.variant} ${recipe.suite}`,
      changes: [
        `LABEL ${LABELS.inputs}=${hash}`,
        `LABEL ${LABELS.builtFrom}="Debian packages (debootstrap ${recipe.suite} ${recipe.variant})"`,
        'ENV LANG=C.UTF-8',
        'CMD ["/bin/bash"]',
      ],
    });
    const code = await tarDone;
    if (code !== 0) {
      await docker.getImage(`${repo}:${staging}`).remove().catch(() => {});
      throw new UserError(`packing the base file system failed: ${tarErr.split('\n')[0]}`, 'run setup again', ExitCode.failed);
    }
    await docker.getImage(`${repo}:${staging}`).tag({ repo, tag });
    await docker.getImage(`${repo}:${staging}`).remove();
    return `debootstrap from ${mirror.url}`;
  } finally {
    tmp.remove();
  }
}
