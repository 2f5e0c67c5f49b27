// --engine values, lab placement, and the capacity check of `classroom up`.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEngine, placeLabs } from '../../src/classroom/engines.js';
import { capacity, labCost, availableMiB, MEASURED, RESERVE_MIB } from '../../src/classroom/capacity.js';
import { checkCapacity } from '../../src/classroom/classroom.js';
import { UserError } from '../../src/errors.js';

describe('--engine', () => {
  it('takes contexts, ssh:// and tcp://host:port, and refuses the rest in one line (exit 2)', () => {
    for (const ok of ['local', 'ssh://me@10.0.0.5', 'ssh://box:2222', 'tcp://10.0.0.6:2376', 'unix:///var/run/docker.sock']) expect(parseEngine(ok)).toBe(ok);
    // a context name must be a context the docker CLI knows
    expect(() => parseEngine('no-such-context-here')).toThrow(/no docker context named "no-such-context-here"/);
    for (const bad of ['tcp://10.0.0.6', 'tcp://h:99999', 'http://x', 'ssh://', '', 'a b']) {
      let err: unknown;
      try {
        parseEngine(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
      expect((err as UserError).message).toMatch(/is not an engine|no docker context/);
    }
  });

  it('places labs here without engines, in turn without memory figures, by free memory with them', () => {
    expect(placeLabs(2, [])).toEqual(['local', 'local']);
    expect(placeLabs(3, ['a', 'b'])).toEqual(['a', 'b', 'a']);
    const free = new Map([['a', 10_000], ['b', 5_000]]);
    // room in whole labs: a 4, b 2; a tie (2 and 2 after two labs on a) goes to the engine with fewer labs
    expect(placeLabs(4, ['a', 'b'], free, 2_500)).toEqual(['a', 'a', 'b', 'a']);
    expect(placeLabs(6, ['a', 'b'], free, 2_500)).toEqual(['a', 'a', 'b', 'a', 'b', 'a']);
    // two engines of one machine read a few bytes apart: one lab each, in the order given
    expect(placeLabs(2, ['local', 'tcp://x:2376'], new Map([['local', 10_000], ['tcp://x:2376', 10_003]]), 2_500)).toEqual(['local', 'tcp://x:2376']);
    // ... even when those few bytes cross a lab's boundary (10 labs' room read here, 9 there)
    expect(placeLabs(2, ['local', 'tcp://x:2376'], new Map([['local', 25_000], ['tcp://x:2376', 24_990]]), 2_500)).toEqual(['local', 'tcp://x:2376']);
    // an engine with room for nothing gets nothing while another has room
    expect(placeLabs(2, ['a', 'b'], new Map([['a', 10_000], ['b', 1_000]]), 2_500)).toEqual(['a', 'a']);
  });
});

describe('capacity', () => {
  const cost = { labMiB: 1000, labCpuCores: 0.5, source: 'test' };

  it('counts what fits in free memory less the reserve, plus the labs already up', () => {
    const c = capacity({ existingLabs: 0, availableMiB: RESERVE_MIB + 5500, cores: 2, cost });
    expect(c.memoryFits).toBe(5);
    expect(c.cpuHolds).toBe(3); // 2 cores * 0.9 / 0.5
    expect(capacity({ existingLabs: 2, availableMiB: RESERVE_MIB + 1500, cores: 2, cost }).memoryFits).toBe(3);
    expect(capacity({ existingLabs: 0, availableMiB: 100, cores: 2, cost }).memoryFits).toBe(0);
    // several engines: each keeps its own reserve
    const two = capacity({ existingLabs: 0, availableMiB: [RESERVE_MIB + 2500, RESERVE_MIB + 1200, 500], cores: 2, cost });
    expect(two.memoryFits).toBe(3);
    expect(two.availableMiB).toBe(2 * RESERVE_MIB + 4200);
  });

  it('refuses above memory, saying how many fit; warns above the cores; says nothing below', () => {
    const c = capacity({ existingLabs: 0, availableMiB: RESERVE_MIB + 5500, cores: 2, cost });
    expect(checkCapacity(2, c, [])).toEqual([]);
    expect(checkCapacity(4, c, [])[0]).toMatch(/runs 3 lab\(s\) well at the secrets chapter .*; 4 will be slow/);
    let err: UserError | undefined;
    try {
      checkCapacity(6, c, []);
    } catch (e) {
      err = e as UserError;
    }
    expect(err?.message).toMatch(/6 student labs do not fit in this machine's memory: .* at most 5 fit/);
    expect(err?.hint).toMatch(/--students 5/);
    expect(err?.exitCode).toBe(2);
    // labs on engines: their memory decides; their cores are not known here, so no CPU note
    expect(checkCapacity(4, c, ['ssh://a'])).toEqual([]);
    expect(() => checkCapacity(6, c, ['ssh://a'])).toThrow(/6 student labs do not fit in the memory of its 1 engine\(s\): .* at most 5 fit/);
  });

  it('takes the lab cost from the bench results when there is one, else the measured defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-cap-'));
    const f = join(dir, 'results.json');
    expect(labCost(f)).toMatchObject(MEASURED);
    writeFileSync(f, JSON.stringify({ figures: [{ id: 'classroom-lab-memory', value: 777 }, { id: 'classroom-lab-cpu', value: 0.25 }] }));
    expect(labCost(f)).toEqual({ labMiB: 777, labCpuCores: 0.25, source: 'bench/results.json' });
    writeFileSync(f, 'not json');
    expect(labCost(f)).toMatchObject(MEASURED);
  });

  it('reads MemAvailable from /proc/meminfo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-mem-'));
    writeFileSync(join(dir, 'meminfo'), 'MemTotal:       24730000 kB\nMemFree:         100 kB\nMemAvailable:   2097152 kB\n');
    expect(availableMiB(join(dir, 'meminfo'), () => 1)).toBe(2048);
  });

  it("without /proc/meminfo (macOS) or its MemAvailable line, falls back to node's os.freemem(), not 0 MiB (which refused every room)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'devcoin-mem-'));
    expect(availableMiB(join(dir, 'nothing'), () => 6 * 2 ** 30)).toBe(6144);
    writeFileSync(join(dir, 'old-kernel'), 'MemTotal:       24730000 kB\nMemFree:         100 kB\n');
    expect(availableMiB(join(dir, 'old-kernel'), () => 3 * 2 ** 30)).toBe(3072);
    // the default is this machine's own free memory: a number, more than nothing
    expect(availableMiB(join(dir, 'nothing'))).toBeGreaterThan(0);
    // and a room then fits by it: 6 GiB free, 2 GiB kept, 1,203 MiB a lab -> 3 labs
    expect(capacity({ existingLabs: 0, availableMiB: availableMiB(join(dir, 'nothing'), () => 6 * 2 ** 30), cores: 2, cost: { labMiB: 1203, labCpuCores: 0.41, source: 'test' } }).memoryFits).toBe(3);
  });
});
