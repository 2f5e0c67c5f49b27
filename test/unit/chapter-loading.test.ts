// A chapter that cannot be loaded is an error naming the chapter and the cause, never skipped:
// skipping renumbered the course silently (a student lost a chapter and `goto 7` went elsewhere).
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChaptersFrom } from '../../src/workshop/chapters.js';
import { UserError } from '../../src/errors.js';
import { packageRoot } from '../../src/paths.js';

const README = '# A chapter\n\nWhat it is about.\n\n```sh node1\ndocker version\n```\n';
const MODULE = 'export const checks = [];\nexport async function catchUp() {}\n';

/** chapters/ and compiled/ folders with the given files (paths like 01-one/README.md). */
function tree(files: Record<string, string>): { src: string; compiled: string } {
  const root = mkdtempSync(join(tmpdir(), 'devcoin-chapters-'));
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
  return { src: join(root, 'chapters'), compiled: join(root, 'compiled') };
}

async function failure(files: Record<string, string>): Promise<UserError> {
  const t = tree(files);
  const err = await loadChaptersFrom(t.src, t.compiled).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  const u = err as UserError;
  expect(`${u.message} — ${u.hint}`).not.toContain('\n');
  return u;
}

const good = {
  'chapters/01-one/README.md': README,
  'chapters/01-one/index.ts': '',
  'compiled/01-one/index.js': MODULE,
};

describe('loading chapters', () => {
  it('loads a chapter: README from the sources, module from the compiled folder', async () => {
    const t = tree({ ...good, 'chapters/notes/README.md': 'not a chapter folder' });
    const chapters = await loadChaptersFrom(t.src, t.compiled);
    expect(chapters.map((c) => [c.number, c.slug, c.title])).toEqual([[1, 'one', 'A chapter']]);
  });

  it('a chapter whose module is not built: names it and says to build', async () => {
    const u = await failure({ ...good, 'chapters/02-two/README.md': README, 'chapters/02-two/index.ts': '' });
    expect(u.message).toMatch(/^chapter 02-two could not be loaded: its module is not built \(no .*02-two\/index\.js\)$/);
    expect(u.hint).toMatch(/npm run build/);
  });

  it('a chapter without a module at all: names the missing file', async () => {
    const u = await failure({ ...good, 'chapters/02-two/README.md': README });
    expect(u.message).toBe('chapter 02-two could not be loaded: chapters/02-two/index.ts is missing');
  });

  it('a chapter without its README: names the missing file', async () => {
    const u = await failure({ ...good, 'chapters/02-two/index.ts': '', 'compiled/02-two/index.js': MODULE });
    expect(u.message).toBe('chapter 02-two could not be loaded: chapters/02-two/README.md is missing');
  });

  it('a module that throws while loading: names the chapter and the cause', async () => {
    const u = await failure({ ...good, 'chapters/03-three/README.md': README, 'compiled/03-three/index.js': "throw new Error('boom in three');\n" });
    expect(u.message).toBe('chapter 03-three could not be loaded: boom in three');
    expect(u.hint).toMatch(/npm run build.*chapters\/03-three\/index\.ts/);
  });

  it('a module that imports something gone, or has a syntax error: one line', async () => {
    const gone = await failure({ ...good, 'chapters/03-three/README.md': README, 'compiled/03-three/index.js': "import '../../lib/gone.js';\n" + MODULE });
    expect(gone.message).toMatch(/^chapter 03-three could not be loaded: Cannot find module .*gone\.js/);
    const syntax = await failure({ ...good, 'chapters/03-three/README.md': README, 'compiled/03-three/index.js': 'export const checks = [;\n' });
    expect(syntax.message).toMatch(/^chapter 03-three could not be loaded: /);
  });

  it('a module without checks and catchUp: says what it must export', async () => {
    const u = await failure({ ...good, 'chapters/03-three/README.md': README, 'compiled/03-three/index.js': 'export const check = [];\n' });
    expect(u.message).toMatch(/^chapter 03-three could not be loaded: its module does not export `checks` .* and `catchUp`/);
  });
});

describe('the CLI with a chapter that does not load', () => {
  it('`list` fails in one line naming the chapter (it listed the others, exit 0)', async () => {
    // a copy of the built package whose chapter 08 module (nothing imports it) is missing from dist/
    const root = mkdtempSync(join(tmpdir(), 'devcoin-pkg-'));
    for (const part of ['bin', 'package.json', 'dist', 'chapters']) cpSync(join(packageRoot, part), join(root, part), { recursive: true });
    symlinkSync(join(packageRoot, 'node_modules'), join(root, 'node_modules'));
    const secrets = readFileSync(join(root, 'dist', 'chapters', '08-secrets', 'index.js'), 'utf8');
    expect(secrets).toMatch(/catchUp/);
    rmSync(join(root, 'dist', 'chapters', '08-secrets', 'index.js'));
    const r = await execa(process.execPath, [join(root, 'bin', 'devcoin-workshop'), 'list'], {
      reject: false,
      env: { NO_COLOR: '1', DEVCOIN_HOME: mkdtempSync(join(tmpdir(), 'devcoin-home-')) },
      stdin: 'ignore',
    });
    expect(r.exitCode).toBe(1);
    const lines = String(r.stderr).split('\n').filter((l) => l.trim());
    expect(lines, String(r.stderr)).toHaveLength(1);
    expect(lines[0]).toMatch(/^devcoin-workshop: chapter 08-secrets could not be loaded: its module is not built \(no dist\/chapters\/08-secrets\/index\.js\) — run `npm run build`/);
    expect(String(r.stdout)).toBe('');
  });
});
