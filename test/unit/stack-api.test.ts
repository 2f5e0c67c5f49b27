// The api's pure parts: query validation and the rate arithmetic. No Redis.
import { describe, expect, it } from 'vitest';
import { LIMIT_DEFAULT, parseLimit, unknownParams } from '../../stack/api/src/query.js';
import { statsFrom } from '../../stack/api/src/stats.js';
import { redisSettings, backoff } from '../../stack/lib/redis.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const q = (s: string) => new URLSearchParams(s);

describe('api query validation', () => {
  it('accepts 1..100 and defaults when absent', () => {
    expect(parseLimit(q(''))).toEqual({ ok: true, value: LIMIT_DEFAULT });
    expect(parseLimit(q('limit=1'))).toEqual({ ok: true, value: 1 });
    expect(parseLimit(q('limit=100'))).toEqual({ ok: true, value: 100 });
  });

  it.each(['limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'limit=1e2', 'limit=99999999', 'limit=1&limit=2'])('refuses %s', (s) => {
    const r = parseLimit(q(s));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/limit/);
  });

  it('names unknown parameters once each', () => {
    expect(unknownParams(q('limit=1&lmit=2&lmit=3&x=1'), ['limit'])).toEqual(['lmit', 'x']);
    expect(unknownParams(q('limit=1'), ['limit'])).toEqual([]);
  });
});

describe('api stats', () => {
  it('hash rates are sums over whole seconds divided by the window', () => {
    const values = Array.from({ length: 60 }, (_, i) => (i < 50 ? 100 : 1000));
    const s = statsFrom(7, 12345, { end: 1000, values }, [
      { id: 'a', node: 'node1' } as never,
      { id: 'b', node: 'node1' } as never,
      { id: 'c', node: 'node2' } as never,
    ], 5);
    expect(s).toEqual({ coins: 7, totalHashes: 12345, hashRate10s: 1000, hashRate60s: Math.round((50 * 100 + 10 * 1000) / 60), miners: 3, nodes: 2, time: 5 });
  });
});

describe('redis settings', () => {
  it('reads the password only from the file, without its trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-pw-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n', { mode: 0o600 });
    expect(redisSettings({ REDIS_HOST: 'r', REDIS_PORT: '7000', REDIS_PASSWORD_FILE: join(dir, 'pw') })).toEqual({ host: 'r', port: 7000, password: 's3cret' });
    expect(redisSettings({ REDIS_PASSWORD: 'ignored' } as NodeJS.ProcessEnv)).toEqual({ host: 'redis', port: 6379, password: undefined });
  });

  it('a missing password file or a bad port is a clear error that does not echo a password', () => {
    expect(() => redisSettings({ REDIS_PASSWORD_FILE: '/nonexistent/pw' })).toThrow(/cannot read the Redis password file .*ENOENT/);
    expect(() => redisSettings({ REDIS_PORT: '70000' })).toThrow(/REDIS_PORT must be a port number/);
  });

  it('backoff grows and stays bounded', () => {
    for (let i = 0; i < 20; i++) {
      expect(backoff(i)).toBeGreaterThan(0);
      expect(backoff(i)).toBeLessThanOrEqual(3000 * 1.25);
    }
    expect(backoff(0)).toBeLessThan(backoff(10));
  });
});
