// The miner's pure parts: the proof of work and its config file. No Redis, no engine.
import { describe, expect, it } from 'vitest';
import { hash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowSearch, isValidCoin, leadingZeros, benchmark } from '../../stack/miner/src/pow.js';
import { ConfigWatcher, DEFAULT_CONFIG, parseConfig, ConfigError } from '../../stack/miner/src/config.js';

describe('proof of work', () => {
  it('every coin found has the difficulty and re-hashes to itself', () => {
    const search = new PowSearch('miner-a', hash('sha256', 'genesis'));
    const coins = [];
    let tried = 0;
    while (coins.length < 20 && tried < 5_000_000) {
      const r = search.run(10_000, 3);
      tried += r.hashes;
      if (r.found) coins.push(r.found);
    }
    expect(coins.length).toBe(20);
    for (const c of coins) {
      expect(c.hash.startsWith('000')).toBe(true);
      expect(isValidCoin({ ...c, miner: 'miner-a' }, 3)).toBe(true);
    }
    // each coin chains on the one before
    for (let i = 1; i < coins.length; i++) expect(coins[i].prev).toBe(coins[i - 1].hash);
  });

  it('rejects a coin whose hash, nonce or miner was changed, or that misses the difficulty', () => {
    const search = new PowSearch('miner-b', 'x');
    let found;
    while (!found) found = search.run(100_000, 2).found;
    const coin = { ...found, miner: 'miner-b' };
    expect(isValidCoin(coin, 2)).toBe(true);
    expect(isValidCoin({ ...coin, miner: 'miner-c' }, 2)).toBe(false);
    expect(isValidCoin({ ...coin, nonce: coin.nonce + '1' }, 2)).toBe(false);
    expect(isValidCoin({ ...coin, hash: '00' + coin.hash.slice(2).replace(/./, 'f') }, 2)).toBe(false);
    // a real difficulty-2 coin is (almost surely) not a difficulty-12 coin
    expect(isValidCoin(coin, 12)).toBe(false);
  });

  it('counts nonces in decimal across digit boundaries (9 -> 10, 99 -> 100)', () => {
    const search = new PowSearch('m', 'p');
    expect(search.nonce).toBe('0');
    search.run(10, 64);
    expect(search.nonce).toBe('10');
    search.run(90, 64);
    expect(search.nonce).toBe('100');
    search.run(900, 64);
    expect(search.nonce).toBe('1000');
    // the search goes on from where it stopped: the next coin's nonce is past 1000 and
    // its hash is sha256(prev + miner + nonce)
    let hit;
    while (!hit) hit = search.run(1000, 1).found;
    expect(Number(hit.nonce)).toBeGreaterThanOrEqual(1000);
    expect(hit.hash).toBe(hash('sha256', 'pm' + hit.nonce));
  });

  it('leadingZeros checks exactly the first n hex digits', () => {
    expect(leadingZeros('000abc', 3)).toBe(true);
    expect(leadingZeros('000abc', 4)).toBe(false);
    expect(leadingZeros('abc', 0)).toBe(true);
  });

  it('benchmark reports a positive rate', () => {
    const r = benchmark(0.2);
    expect(r.hashes).toBeGreaterThan(1000);
    expect(r.hashesPerSecond).toBeGreaterThan(0);
  });
});

describe('miner config', () => {
  it('reads YAML and JSON; missing keys take the defaults', () => {
    expect(parseConfig('difficulty: 4\nspeedLimit: unlimited\n')).toEqual({ ...DEFAULT_CONFIG, difficulty: 4, speedLimit: 'unlimited' });
    expect(parseConfig('{"threads": 2, "reportInterval": 0.5}')).toEqual({ ...DEFAULT_CONFIG, threads: 2, reportInterval: 0.5 });
    expect(parseConfig('')).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['difficulty: [1', /not valid JSON or YAML/],
    ['- 1\n- 2', /expected a mapping/],
    ['dificulty: 4', /unknown setting "dificulty"/],
    ['difficulty: 0', /difficulty must be a whole number from 1 to 16, got 0/],
    ['difficulty: 3.5', /difficulty must be a whole number/],
    ['threads: 65', /threads must be a whole number from 1 to 64/],
    ['speedLimit: fast', /speedLimit must be a number of hashes per second/],
    ['speedLimit: 0', /speedLimit must be/],
    ['reportInterval: 0.1', /reportInterval must be seconds from 0.2 to 60/],
  ])('refuses %j with a clear reason', (text, reason) => {
    expect(() => parseConfig(text, 'miner.yml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'miner.yml')).toThrow(reason);
  });

  it('a broken file keeps the previous settings and says why; a fixed one applies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-cfg-'));
    const file = join(dir, 'miner.yml');
    writeFileSync(file, 'difficulty: 4\nspeedLimit: 1000\n');
    const logs: string[] = [];
    const changes: number[] = [];
    const w = new ConfigWatcher(file, (next) => changes.push(next.difficulty), (m) => logs.push(m));
    expect(w.current.difficulty).toBe(4);
    writeFileSync(file, 'difficulty: [oops\n');
    expect(w.reload()).toBe(false);
    expect(w.current).toMatchObject({ difficulty: 4, speedLimit: 1000 });
    expect(logs.at(-1)).toMatch(/not valid JSON or YAML.*keeping the previous settings \(difficulty 4/);
    writeFileSync(file, 'difficulty: 6\nspeedLimit: 1000\n');
    expect(w.reload()).toBe(true);
    expect(w.current.difficulty).toBe(6);
    expect(changes).toEqual([6]);
    // a missing file also keeps what was there
    writeFileSync(file, '');
    const gone = new ConfigWatcher(join(dir, 'absent.yml'), () => {}, (m) => logs.push(m));
    expect(gone.current).toEqual(DEFAULT_CONFIG);
    expect(logs.at(-1)).toMatch(/cannot read .*absent\.yml \(ENOENT\); using defaults/);
  });
});
