import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { verdict, versionAtLeast, type Check } from '../../src/doctor/index.js';
import { formatCheck } from '../../src/cli/commands/doctor.js';

const plain = new Chalk({ level: 0 });

describe('doctor check formatting', () => {
  it('shows a passing check on one line with no fix', () => {
    const check: Check = { id: 'engine', status: 'pass', summary: 'engine answers at unix:///var/run/docker.sock', fix: 'never shown' };
    expect(formatCheck(check, plain)).toEqual(['✓ engine       engine answers at unix:///var/run/docker.sock']);
  });

  it('shows the fix of a warning or failure on one more line, aligned under the summary', () => {
    const check: Check = { id: 'routing-mesh', status: 'warn', summary: 'IPVS missing', fix: 'nothing to do' };
    const lines = formatCheck(check, plain, 12);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('! routing-mesh IPVS missing');
    expect(lines[1].indexOf('fix:')).toBe(lines[0].indexOf('IPVS'));
    expect(formatCheck({ ...check, status: 'fail' }, plain)[0].startsWith('✗ ')).toBe(true);
  });

  it('fails (exit 1) when any check fails; warnings alone still pass', () => {
    const ok: Check = { id: 'a', status: 'pass', summary: '', fix: '' };
    const warn: Check = { id: 'b', status: 'warn', summary: '', fix: 'x' };
    const fail: Check = { id: 'c', status: 'fail', summary: '', fix: 'y' };
    expect(verdict([ok]).exitCode).toBe(0);
    expect(verdict([ok, warn])).toEqual({ line: 'ready, with 1 warning', exitCode: 0 });
    expect(verdict([ok, warn, fail]).exitCode).toBe(1);
    expect(verdict([ok, warn, fail]).line).toMatch(/^1 check failed, 1 warning/);
  });

  it('compares engine versions by number, with Debian suffixes', () => {
    expect(versionAtLeast('20.10.24+dfsg1', [20, 10])).toBe(true);
    expect(versionAtLeast('26.1.5', [20, 10])).toBe(true);
    expect(versionAtLeast('19.03.15', [20, 10])).toBe(false);
    expect(versionAtLeast('20.9.1', [20, 10])).toBe(false);
  });
});
