import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveKind, checkArchive } from '../../src/docker/archive.js';
import { UserError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'devcoin-archive-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('image archive checks (before the engine is asked)', () => {
  it('tells a tar, a gzip and anything else apart by their first bytes', () => {
    writeFileSync(join(dir, 'manifest.json'), '[]');
    execFileSync('tar', ['-cf', join(dir, 'a.tar'), '-C', dir, 'manifest.json']);
    execFileSync('sh', ['-c', `gzip -c ${join(dir, 'a.tar')} > ${join(dir, 'a.tar.gz')}`]);
    writeFileSync(join(dir, 'junk.tar'), 'not a tar at all');
    expect(archiveKind(join(dir, 'a.tar'))).toBe('tar');
    expect(archiveKind(join(dir, 'a.tar.gz'))).toBe('gzip');
    expect(archiveKind(join(dir, 'junk.tar'))).toBe('other');
  });

  it('refuses a missing file (usage, exit 2) and a non-archive (exit 1) with a hint', () => {
    const missing = (() => {
      try {
        checkArchive(join(dir, 'nope.tar'));
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.exitCode).toBe(2);
    expect(missing.message).toMatch(/^no such file: /);
    expect(() => checkArchive(join(dir, 'junk.tar'))).toThrow(/is not an image archive/);
    expect(() => checkArchive(dir)).toThrow(/is not an image archive/);
    expect(() => checkArchive(join(dir, 'a.tar'))).not.toThrow();
  });
});
