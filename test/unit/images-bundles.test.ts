import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildBundles } from '../../src/images/bundles.js';

describe('stack bundles', () => {
  it('bundles each service with its shared code into one runnable file, and skips it when unchanged', async () => {
    const root = mkdtempSync(join(tmpdir(), 'devcoin-bundles-'));
    mkdirSync(join(root, 'lib'));
    mkdirSync(join(root, 'echo', 'src'), { recursive: true });
    mkdirSync(join(root, 'configs'));
    writeFileSync(join(root, 'lib', 'greet.ts'), "export const greet = (n: string): string => `hello ${n}`;\n");
    writeFileSync(join(root, 'echo', 'src', 'main.ts'), "import { greet } from '../../lib/greet.js';\nconsole.log(greet('swarm'));\n");
    expect(await buildBundles(undefined, root)).toEqual({ built: ['echo'], current: [] });
    expect(execFileSync('node', [join(root, 'echo', 'dist', 'echo.js')], { encoding: 'utf8' }).trim()).toBe('hello swarm');
    expect(await buildBundles(undefined, root)).toEqual({ built: [], current: ['echo'] });
    // a change in the shared code rebuilds
    writeFileSync(join(root, 'lib', 'greet.ts'), "export const greet = (n: string): string => `hi ${n}`;\n");
    expect((await buildBundles(undefined, root)).built).toEqual(['echo']);
    expect(execFileSync('node', [join(root, 'echo', 'dist', 'echo.js')], { encoding: 'utf8' }).trim()).toBe('hi swarm');
  });
});
