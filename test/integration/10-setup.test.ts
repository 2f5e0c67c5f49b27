// setup on the real engine: builds (or finds current) every image, skips fast the second time,
// and the images work: busybox runs, a lab node runs a nested engine that runs a container
// from an archive made by `images save`.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execa } from 'execa';
import Docker from 'dockerode';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import {catalog, IMAGES} from '../../src/images/catalog.js';
import { hasDockerfile, inputsHash } from '../../src/images/inputs.js';
import { dindHostConfig } from '../../src/docker/dind.js';
import { execIn } from '../../src/docker/exec.js';
import { BuildError, buildImage } from '../../src/docker/build.js';
import { runSetup } from '../../src/images/setup.js';
import { silent } from '../../src/events.js';
import { Output } from '../../src/cli/output.js';
import { terminalFace } from '../../src/cli/face.js';
import type { CatalogEntry } from '../../src/images/catalog.js';
import { LABELS } from '../../src/labels.js';

const cli = join(packageRoot, 'bin', 'devcoin-workshop');
const docker = new Docker();
const work = mkdtempSync(join(tmpdir(), 'devcoin-setup-test-'));
const run = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [cli, ...args], { reject: false, env: { ...env, NO_COLOR: '1' }, cwd: packageRoot, timeout: 900_000 });

let firstSetup: Awaited<ReturnType<typeof run>>;

beforeAll(async () => {
  if (!existsSync(join(packageRoot, 'dist', 'src', 'cli', 'main.js'))) await execa('npm', ['run', 'build'], { cwd: packageRoot, reject: false });
  const t = Date.now();
  firstSetup = await run(['setup']);
  console.log(`first setup in this run: ${((Date.now() - t) / 1000).toFixed(1)} s\n${firstSetup.stderr}`);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('setup', () => {
  it('builds every catalog image that has a Dockerfile, labelled with its inputs hash', async () => {
    expect(firstSetup.exitCode, firstSetup.stderr).toBe(0);
    const entries = catalog();
    const cache = new Map<string, string | undefined>();
    let checked = 0;
    for (const e of entries) {
      if (!hasDockerfile(e)) continue;
      const info = await docker.getImage(e.name).inspect();
      expect(info.Config.Labels?.[LABELS.inputs], e.name).toBe(inputsHash(e, entries, cache));
      expect(info.Config.Labels?.['io.devcoin.workshop.built-from'], e.name).toMatch(/Debian/);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it('finds everything current the second time, in under 10 s', async () => {
    const t = Date.now();
    const r = await run(['--json', 'setup']);
    const seconds = (Date.now() - t) / 1000;
    console.log(`second (warm) setup: ${seconds.toFixed(2)} s`);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { images: { name: string; status: string }[] };
    const withDockerfile = catalog().filter(hasDockerfile).map((e) => e.name);
    expect(summary.images.filter((i) => i.status === 'current').map((i) => i.name)).toEqual(withDockerfile);
    expect(summary.images.filter((i) => i.status === 'built')).toEqual([]);
    expect(seconds).toBeLessThan(10);
  });

  it('makes a busybox image that runs', async () => {
    const r = await execa('docker', ['run', '--rm', IMAGES.busybox, 'busybox', 'echo', 'ok']);
    expect(r.stdout.trim()).toBe('ok');
  });

  it('lists the images as current', async () => {
    const r = await run(['--json', 'images', 'ls']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { images } = JSON.parse(r.stdout) as { images: { name: string; status: string }[] };
    expect(images.find((i) => i.name === IMAGES.node)?.status).toBe('current');
    expect(images.find((i) => i.name === IMAGES.busybox)?.status).toBe('current');
  });
});

describe('the inputs hash decides what is built', () => {
  it('builds a new image, skips it when nothing changed, rebuilds it when a file changes', async () => {
    const ctx = mkdtempSync(join(work, 'pipeline-'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${IMAGES.busybox}\nCOPY sub/dir/hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`);
    mkdirSync(join(ctx, 'sub', 'dir'), { recursive: true });
    writeFileSync(join(ctx, 'sub', 'dir', 'hello.txt'), 'one\n');
    const name = `devcoin-test/pipeline:${process.pid}`;
    // busybox with its parent, the base: a parent left out would count as another input
    const entries: CatalogEntry[] = [...catalog().filter((e) => e.name === IMAGES.base || e.name === IMAGES.busybox), { key: 'busybox', name, context: ctx, dockerfile: 'Dockerfile' }];
    const out = silent;
    try {
      const first = await runSetup(docker, out, { entries });
      expect(first.map((r) => r.status)).toEqual(['current', 'current', 'built']);
      const firstHash = (await docker.getImage(name).inspect()).Config.Labels?.[LABELS.inputs];
      const second = await runSetup(docker, out, { entries });
      expect(second.map((r) => r.status)).toEqual(['current', 'current', 'current']);
      writeFileSync(join(ctx, 'sub', 'dir', 'hello.txt'), 'two\n');
      const third = await runSetup(docker, out, { entries });
      expect(third.map((r) => r.status)).toEqual(['current', 'current', 'built']);
      const info = await docker.getImage(name).inspect();
      expect(info.Config.Labels?.[LABELS.inputs]).not.toBe(firstHash);
      expect((await execa('docker', ['run', '--rm', name])).stdout.trim()).toBe('two');
    } finally {
      await docker.getImage(name).remove().catch(() => {});
    }
  });
});

describe('stack images', () => {
  it('bundles the stack services only when a stack image is not current', async () => {
    const ctx = mkdtempSync(join(work, 'stack-'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${IMAGES.busybox}\nCOPY app.js /app.js\n`);
    writeFileSync(join(ctx, 'app.js'), 'console.log(1)\n');
    const name = `devcoin-test/stack:${process.pid}`;
    const entries: CatalogEntry[] = [
      ...catalog().filter((e) => e.name === IMAGES.base || e.name === IMAGES.busybox),
      { key: 'miner', name, context: ctx, dockerfile: 'Dockerfile', stack: true },
    ];
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const out = terminalFace(new Output({ tty: false }));
    try {
      expect((await runSetup(docker, out, { entries })).at(-1)?.status).toBe('built');
      expect(stderr.join('')).toContain('bundle the stack services');
      stderr.length = 0;
      expect((await runSetup(docker, out, { entries })).at(-1)?.status).toBe('current');
      expect(stderr.join('')).not.toContain('bundle the stack services');
      writeFileSync(join(ctx, 'app.js'), 'console.log(2)\n');
      expect((await runSetup(docker, out, { entries })).at(-1)?.status).toBe('built');
      expect(stderr.join('')).toContain('bundle the stack services');
    } finally {
      spy.mockRestore();
      await docker.getImage(name).remove().catch(() => {});
    }
  });
});

describe('a failing build', () => {
  it('says why in one message and keeps the last lines of its output', async () => {
    const ctx = mkdtempSync(join(work, 'broken-'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${IMAGES.busybox}\nRUN echo marker-before-failure && exit 3\n`);
    const tag = `devcoin-test/broken:${process.pid}`;
    const err = await buildImage(docker, { context: ctx, files: ['Dockerfile'], tag }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).message).toMatch(/returned a non-zero code: 3/);
    expect((err as BuildError).tail.join('\n')).toContain('marker-before-failure');
    expect((err as BuildError).tail.length).toBeLessThanOrEqual(10);
    // nothing half-built is left under the name, and no intermediate container stays
    await expect(docker.getImage(tag).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ ancestor: [IMAGES.busybox] }) });
    expect(left.filter((c) => c.Command.includes('marker-before-failure'))).toEqual([]);
  });
});

describe('images save / load', () => {
  const archive = join(work, 'busybox.tar');

  it('saves one image into an archive that names it, and loads it back', async () => {
    const before = (await docker.getImage(IMAGES.busybox).inspect()).Id;
    const saved = await run(['images', 'save', archive, 'devcoin/busybox']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    const manifest = JSON.parse((await execa('tar', ['-xOf', archive, 'manifest.json'])).stdout) as { RepoTags: string[] }[];
    expect(manifest.flatMap((m) => m.RepoTags)).toEqual([IMAGES.busybox]);
    const loaded = await run(['--json', 'images', 'load', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    expect((JSON.parse(loaded.stdout) as { images: string[] }).images).toEqual([IMAGES.busybox]);
    expect((await docker.getImage(IMAGES.busybox).inspect()).Id).toBe(before);
  });

  it('refuses a corrupt file with one line', async () => {
    const bad = join(work, 'corrupt.tar');
    writeFileSync(bad, 'this is not an image archive\n'.repeat(50));
    const r = await run(['images', 'load', bad]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^devcoin-workshop: .*corrupt\.tar is not an image archive — /);
  });

  it('refuses a cut-short archive and a missing file, each with one error line', async () => {
    const cut = join(work, 'cut.tar');
    writeFileSync(cut, readFileSync(archive).subarray(0, 4096));
    const r = await run(['images', 'load', cut]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('devcoin-workshop:'))).toHaveLength(1);
    const missing = await run(['images', 'load', join(work, 'nope.tar')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^devcoin-workshop: no such file: .*nope\.tar — /)]);
  });

  it('a lab node runs a nested engine, which runs busybox loaded from that archive', async () => {
    const name = `devcoin-test-nested-${process.pid}`;
    const c = await docker.createContainer({
      name,
      Image: IMAGES.node,
      Labels: { 'io.devcoin.workshop.lab': 'setup-test' },
      HostConfig: dindHostConfig(),
    });
    try {
      await c.start();
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = (await execIn(docker, c.id, ['docker', 'version'])).exitCode === 0;
        if (!up) await new Promise((r) => setTimeout(r, 300));
      }
      expect(up).toBe(true);
      const load = await execIn(docker, c.id, ['docker', 'load'], { stdin: readFileSync(archive), timeoutMs: 60_000 });
      expect(load.stdout).toContain(IMAGES.busybox);
      const r = await execIn(docker, c.id, ['docker', 'run', '--rm', 'devcoin/busybox', 'echo', 'ok'], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('ok');
    } finally {
      await c.remove({ force: true, v: true });
    }
  });
});
