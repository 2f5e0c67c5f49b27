// Classroom tokens and the roster: >= 128 random bits in URL-safe form, compared in constant
// time, stored 0600 in a 0700 folder, surviving a reload; a damaged roster is one line.
import { describe, it, expect, beforeEach } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newToken, sameToken, whichToken, looksLikeToken, redact, TOKEN_BYTES } from '../../src/classroom/tokens.js';
import { newRoster, readRoster, writeRoster, rosterFile, rosterDir, updateStudent, removeRoster } from '../../src/classroom/roster.js';
import { UserError } from '../../src/errors.js';

describe('tokens', () => {
  it('are 32 random bytes as 43 base64url characters, never the same twice', () => {
    expect(TOKEN_BYTES * 8).toBeGreaterThanOrEqual(128);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = newToken();
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, 'base64url').length).toBe(32);
      seen.add(t);
    }
    expect(seen.size).toBe(1000);
  });

  it('compare equal only to themselves, whatever the length of the other', () => {
    const a = newToken();
    expect(sameToken(a, a)).toBe(true);
    expect(sameToken(a, newToken())).toBe(false);
    expect(sameToken(a.slice(0, 42), a)).toBe(false);
    expect(sameToken('', a)).toBe(false);
    expect(sameToken(a + 'x', a)).toBe(false);
  });

  it('whichToken finds the owner among many, and nobody for a stranger', () => {
    const known = Array.from({ length: 5 }, (_, i) => ({ token: newToken(), value: `s${i}` }));
    expect(whichToken(known[3].token, known)).toBe('s3');
    expect(whichToken(newToken(), known)).toBeUndefined();
  });

  it('a log line never shows one: redact replaces every token-shaped run', () => {
    const t = newToken();
    expect(looksLikeToken(t)).toBe(true);
    expect(looksLikeToken('short')).toBe(false);
    expect(redact(`GET /s/${t}/api/state 200`)).toBe('GET /s/<token>/api/state 200');
  });
});

describe('the roster', () => {
  beforeEach(() => {
    process.env.DEVCOIN_HOME = mkdtempSync(join(tmpdir(), 'devcoin-roster-'));
  });

  it('names students and labs in order, each with its own token, and the instructor apart', () => {
    const r = newRoster(3, { bind: '127.0.0.1', port: 8780 });
    expect(r.students.map((s) => [s.name, s.lab, s.engine])).toEqual([
      ['student-01', 'class-01', 'local'],
      ['student-02', 'class-02', 'local'],
      ['student-03', 'class-03', 'local'],
    ]);
    expect(new Set([r.instructorToken, ...r.students.map((s) => s.token)]).size).toBe(4);
  });

  it('is written 0600 in a 0700 folder and read back the same (a restart keeps tokens and jobs)', () => {
    const r = newRoster(2, { bind: '0.0.0.0', port: 9000, engines: ['ssh://a@b', 'ctx'] });
    writeRoster(r);
    expect(statSync(rosterFile()).mode & 0o777).toBe(0o600);
    expect(statSync(rosterDir()).mode & 0o777).toBe(0o700);
    updateStudent(r, 'student-02', (s) => (s.pending = { op: 'goto', chapter: 'stack', startedAt: 1, by: 'instructor' }));
    const back = readRoster()!;
    expect(back).toEqual(r);
    expect(back.students[1].pending?.chapter).toBe('stack');
    expect(back.students.map((s) => s.engine)).toEqual(['ssh://a@b', 'ctx']);
    removeRoster();
    expect(readRoster()).toBeUndefined();
  });

  it('a damaged roster is one line that says what to do', () => {
    const r = newRoster(1, { bind: '127.0.0.1', port: 1 });
    writeRoster(r);
    writeFileSync(rosterFile(), '{"version":1,');
    expect(() => readRoster()).toThrow(UserError);
    expect(() => readRoster()).toThrow(/damaged \(not JSON\)/);
    const bad = JSON.parse(JSON.stringify(r));
    bad.students[0].token = r.instructorToken;
    writeFileSync(rosterFile(), JSON.stringify(bad));
    expect(() => readRoster()).toThrow(/two tokens are the same/);
    bad.students[0].token = 'short';
    writeFileSync(rosterFile(), JSON.stringify(bad));
    expect(() => readRoster()).toThrow(/a token or a lab name is missing/);
    expect(readFileSync(rosterFile(), 'utf8')).toContain('short');
  });
});
