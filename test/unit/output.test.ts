import { describe, expect, it, vi, afterEach } from 'vitest';
import { Output, stripAnsi } from '../../src/cli/output.js';

describe('output', () => {
  afterEach(() => vi.restoreAllMocks());

  it('uses no colour when NO_COLOR is set, even on a TTY', () => {
    process.env.NO_COLOR = '1';
    try {
      const out = new Output({ tty: true });
      expect(out.c.red('x')).toBe('x');
    } finally {
      delete process.env.NO_COLOR;
    }
  });

  it('prints only the JSON document on stdout in --json mode', () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      writes.push(String(s));
      return true;
    });
    const out = new Output({ json: true, tty: false });
    out.line('people text');
    out.data({ ok: true });
    expect(writes.join('')).toBe(JSON.stringify({ ok: true }, null, 2) + '\n');
  });

  it('reports a step as plain lines without a TTY', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const out = new Output({ tty: false });
    await out.step('build thing', async () => 1);
    await expect(out.step('fail thing', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(lines[0]).toBe('… build thing\n');
    expect(lines[1]).toMatch(/^✓ build thing \(\d+\.\ds\)\n$/);
    expect(lines[3]).toMatch(/^✗ fail thing/);
  });

  it('aligns table columns ignoring colour codes', () => {
    expect(stripAnsi('\x1b[31mred\x1b[39m')).toBe('red');
  });
});
