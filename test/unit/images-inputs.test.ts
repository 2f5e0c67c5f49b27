import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFiles, hashContext, inputsHash, isIgnored, parentImages, parseDockerignore } from '../../src/images/inputs.js';
import { catalog, IMAGES, withTag, type CatalogEntry } from '../../src/images/catalog.js';

let root: string;

function entry(name: string, dir: string, dockerfile: string, files: Record<string, string> = {}): CatalogEntry {
  const context = join(root, dir);
  mkdirSync(context, { recursive: true });
  writeFileSync(join(context, 'Dockerfile'), dockerfile);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(context, f, '..'), { recursive: true });
    writeFileSync(join(context, f), text);
  }
  return { key: 'busybox', name, context, dockerfile: 'Dockerfile' };
}

describe('inputs hash', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'devcoin-inputs-test-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is stable: the same files give the same hash, run after run', () => {
    const a = entry('devcoin/a:latest', 'a', 'FROM scratch\nCOPY x /x\n', { x: 'one' });
    const h1 = inputsHash(a, [a]);
    const h2 = inputsHash(a, [a], new Map());
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(h2).toBe(h1);
  });

  it('changes when a file of the context changes, or a file is added', () => {
    const a = entry('devcoin/a:latest', 'a', 'FROM scratch\nCOPY . /\n', { 'sub/x.txt': 'one' });
    const before = inputsHash(a, [a], new Map());
    writeFileSync(join(a.context, 'sub/x.txt'), 'two');
    const changed = inputsHash(a, [a], new Map());
    expect(changed).not.toBe(before);
    writeFileSync(join(a.context, 'y.txt'), 'new');
    expect(inputsHash(a, [a], new Map())).not.toBe(changed);
  });

  it('changes when a file becomes executable', () => {
    const a = entry('devcoin/a:latest', 'a', 'FROM scratch\n', { 'run.sh': 'echo' });
    const before = hashContext(a.context);
    chmodSync(join(a.context, 'run.sh'), 0o755);
    expect(hashContext(a.context)).not.toBe(before);
  });

  it('changes when a devcoin/* parent image changes, and not when an unrelated image does', () => {
    const base = entry('devcoin/base:trixie', 'base', 'FROM scratch\n', { f: '1' });
    const other = entry('devcoin/other:latest', 'other', 'FROM scratch\n', { f: '1' });
    const child = entry('devcoin/child:latest', 'child', 'FROM devcoin/base:trixie\nRUN true\n');
    const all = [base, other, child];
    const before = inputsHash(child, all, new Map());
    writeFileSync(join(other.context, 'f'), '2');
    expect(inputsHash(child, all, new Map())).toBe(before);
    writeFileSync(join(base.context, 'f'), '2');
    expect(inputsHash(child, all, new Map())).not.toBe(before);
  });

  it('ignores node_modules and what .dockerignore lists, but keeps `!` exceptions', () => {
    const a = entry('devcoin/a:latest', 'a', 'FROM scratch\n', {
      'node_modules/dep/index.js': 'x',
      'src/app.ts': 'code',
      'dist/app.js': 'bundle',
      'notes.md': 'n',
      'docs/keep.md': 'k',
      'docs/drop.md': 'd',
      '.dockerignore': '# comment\n**/*.md\n!docs/keep.md\ndist\n',
    });
    expect(contextFiles(a.context)).toEqual(['.dockerignore', 'Dockerfile', 'docs/keep.md', 'src/app.ts']);
    const before = hashContext(a.context);
    writeFileSync(join(a.context, 'node_modules/dep/index.js'), 'changed');
    writeFileSync(join(a.context, 'notes.md'), 'changed');
    expect(hashContext(a.context)).toBe(before);
  });

  it('is undefined for an entry without a Dockerfile yet', () => {
    const e: CatalogEntry = { key: 'miner', name: 'devcoin/miner:latest', context: join(root, 'none'), dockerfile: 'Dockerfile' };
    expect(inputsHash(e, [e])).toBeUndefined();
  });
});

describe('Dockerfile parents', () => {
  it('finds FROM and COPY --from images, not stage names or scratch', () => {
    const text = [
      'FROM devcoin/base:trixie AS build',
      'RUN apt-get install x',
      'FROM --platform=linux/amd64 devcoin/runtime',
      'COPY --from=build /a /a',
      'COPY --from=devcoin/busybox:latest /bin/busybox /bin/',
      'FROM scratch',
    ].join('\n');
    expect(parentImages(text)).toEqual(['devcoin/base:trixie', 'devcoin/runtime:latest', 'devcoin/busybox:latest']);
  });

  it('adds :latest only where no tag is given', () => {
    expect(withTag('devcoin/x')).toBe('devcoin/x:latest');
    expect(withTag('localhost:5000/x')).toBe('localhost:5000/x:latest');
    expect(withTag('devcoin/x:1')).toBe('devcoin/x:1');
  });
});

describe('dockerignore rules', () => {
  it('matches folders, globs and ** like docker', () => {
    const rules = parseDockerignore('/build\n**/*.log\ntmp?\n');
    expect(isIgnored('build/a/b.js', rules)).toBe(true);
    expect(isIgnored('src/build.js', rules)).toBe(false);
    expect(isIgnored('a/b/c.log', rules)).toBe(true);
    expect(isIgnored('x.log', rules)).toBe(true);
    expect(isIgnored('tmp1/f', rules)).toBe(true);
    expect(isIgnored('tmp12/f', rules)).toBe(false);
  });
});

describe('catalog', () => {
  it('lists every devcoin parent before the images built on it (checked on the real Dockerfiles)', () => {
    const entries = catalog();
    const names = entries.map((e) => e.name);
    expect(names[0]).toBe(IMAGES.base);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !n.endsWith(':latest'))).toEqual([IMAGES.base]);
    let checked = 0;
    for (const e of entries) {
      if (e.special || !existsSync(join(e.context, e.dockerfile))) continue;
      for (const p of parentImages(readFileSync(join(e.context, e.dockerfile), 'utf8')).filter((n) => n.startsWith('devcoin/'))) {
        expect(names.indexOf(p), `${e.name} builds on ${p}`).toBeGreaterThanOrEqual(0);
        expect(names.indexOf(p), `${e.name} builds on ${p}`).toBeLessThan(names.indexOf(e.name));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
