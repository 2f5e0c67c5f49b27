import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { buildBase, findProgram, TempDir } from '../../src/images/base.js';
import { catalog, IMAGES } from '../../src/images/catalog.js';
import { UserError } from '../../src/errors.js';

const base = catalog().find((e) => e.name === IMAGES.base)!;
// an engine that is never reached: these paths must fail before any build
const noEngine = new Proxy({}, { get: () => () => Promise.reject(new Error('engine must not be used')) }) as unknown as Docker;

describe('base image without a registry', () => {
  it('names the missing tool and how to install it when debootstrap is not there', async () => {
    const err = await buildBase(noEngine, base, 'hash', { noPull: true, searchPath: '/nonexistent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/debootstrap is not installed/);
    expect((err as UserError).hint).toMatch(/apt-get install debootstrap/);
  });

  it('finds programs only where it is told to look', () => {
    expect(findProgram('sh', '/bin:/usr/bin')).toMatch(/\/sh$/);
    expect(findProgram('sh', '/nonexistent')).toBeUndefined();
  });

  it('removes its temporary folder, also on exit', () => {
    const t = new TempDir('devcoin-tempdir-test-');
    expect(existsSync(t.path)).toBe(true);
    t.remove();
    expect(existsSync(t.path)).toBe(false);
    // an interrupted run ends in process.exit, which runs only 'exit' listeners
    const before = process.listeners('exit');
    const u = new TempDir('devcoin-tempdir-test-');
    const added = process.listeners('exit').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    (added[0] as () => void)();
    expect(existsSync(u.path)).toBe(false);
    expect(process.listeners('exit')).toEqual(before);
  });
});
