import { describe, expect, it, vi } from 'vitest';
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
    expect((err as UserError).hint).toMatch(/offline: `devcoin-workshop images load FILE`/);
  });

  it('without root says so first, and names sudo setup and `images load` as the ways out', async () => {
    const uid = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      for (const searchPath of ['/nonexistent', '/usr/sbin:/usr/bin:/sbin:/bin']) {
        const err = (await buildBase(noEngine, base, 'hash', { noPull: true, searchPath }).catch((e: unknown) => e)) as UserError;
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toBe('cannot make the base image devcoin/base:trixie: debian:trixie-slim was not pulled (--no-pull), and making it with debootstrap needs root');
        expect(err.hint).toMatch(/^run `sudo devcoin-workshop setup` once/);
        expect(err.hint).toMatch(/offline: `devcoin-workshop images load FILE` with a file that `devcoin-workshop images save FILE` wrote/);
        // where debootstrap is missing too, the sudo line says to install it
        expect(err.hint!.includes('sudo apt-get install debootstrap')).toBe(findProgram('debootstrap', searchPath) === undefined);
      }
    } finally {
      uid.mockRestore();
    }
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
