// The launcher (bin/devcoin-workshop) when dist/ is missing or does not load (out of date, half
// built, dependencies not installed): one line that says what to do, exit 1, no stack trace.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

/** A copy of the package with only bin/ and package.json, plus the given dist/ files. */
function fakePackage(dist: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'devcoin-bin-'));
  cpSync(join(packageRoot, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(root, 'package.json'));
  for (const [file, text] of Object.entries(dist)) {
    mkdirSync(join(root, 'dist', file, '..'), { recursive: true });
    writeFileSync(join(root, 'dist', file), text);
  }
  return root;
}

async function run(root: string, ...args: string[]) {
  return execa(process.execPath, [join(root, 'bin', 'devcoin-workshop'), ...args, 'list'], { reject: false, env: { NO_COLOR: '1' }, stdin: 'ignore' });
}

function oneLine(r: { stderr: unknown; stdout: unknown; exitCode?: number }, re: RegExp) {
  const err = String(r.stderr);
  const lines = err.split('\n').filter((l) => l.trim());
  expect(lines, err).toHaveLength(1);
  expect(lines[0]).toMatch(/^devcoin-workshop: [^\n]+ — [^\n]+$/);
  expect(lines[0]).toMatch(re);
  expect(err).not.toMatch(/^\s+at /m); // no stack frames
  expect(String(r.stdout)).toBe('');
  expect(r.exitCode).toBe(1);
}

describe('the launcher without a working dist/', () => {
  it('not built at all: says so and how to build', async () => {
    oneLine(await run(fakePackage()), /the CLI is not built .*— run `npm run build` \(or `npm run workshop`\)/);
  });

  it('dist/ out of date, a module it imports is gone: one line, no stack trace', async () => {
    const root = fakePackage({ 'src/cli/main.js': "import './commands/gone.js';\n" });
    oneLine(await run(root), /the built CLI in dist\/ is out of date or incomplete .*gone\.js.* — run `npm run build`/);
  });

  it('dist/ out of date, a name it imports is no longer exported: one line', async () => {
    const root = fakePackage({ 'src/cli/main.js': "import { renamed } from '../errors.js';\nrenamed();\n", 'src/errors.js': 'export const other = 1;\n' });
    oneLine(await run(root), /the built CLI in dist\/ is out of date or incomplete .*renamed.* — run `npm run build`/);
  });

  it('a half-written file in dist/ (syntax error): one line', async () => {
    const root = fakePackage({ 'src/cli/main.js': 'export function main( {\n' });
    oneLine(await run(root), /the built CLI in dist\/ is out of date or incomplete .* — run `npm run build`/);
  });

  it('dependencies not installed: says to install them', async () => {
    const root = fakePackage({ 'src/cli/main.js': "import 'devcoin-no-such-package';\n" });
    oneLine(await run(root), /dependencies are not installed .*devcoin-no-such-package.* — run `npm ci` \(or `npm run workshop`\)/);
  });

  it('--verbose adds the stack trace for whoever debugs it', async () => {
    const root = fakePackage({ 'src/cli/main.js': "import './commands/gone.js';\n" });
    const r = await run(root, '--verbose');
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).split('\n')[0]).toMatch(/^devcoin-workshop: the built CLI in dist\/ is out of date/);
    expect(String(r.stderr)).toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
  });
});
