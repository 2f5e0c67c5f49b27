// The host ports a lab's nodes get: below the kernel's range for outgoing connections (a port
// chosen inside it was taken by the lab's own seeding connection before the engine bound it, and
// lab up failed), never one a stopped lab keeps, never one something listens on.
import { describe, it, expect } from 'vitest';
import { createServer } from 'node:net';
import { ephemeralRange, freePort, portTaken } from '../../src/docker/containers.js';

describe('freePort', () => {
  it('chooses below the ephemeral range, and never the same port twice in a process', async () => {
    const [low] = ephemeralRange();
    const ports = [];
    for (let i = 0; i < 30; i++) ports.push(await freePort());
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(15_000);
      expect(p).toBeLessThan(low);
    }
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('skips the ports it is told to avoid', async () => {
    const [low] = ephemeralRange();
    // every port of the range but ten is to be avoided: it must pick one of those ten
    const open = new Set<number>();
    for (let p = 20_000; open.size < 10; p++) if (!(await portTaken(p))) open.add(p);
    const avoid = [];
    for (let p = 15_000; p < low; p++) if (!open.has(p)) avoid.push(p);
    expect(open.has(await freePort(avoid))).toBe(true);
  });

  it('skips a port something listens on', async () => {
    const [low] = ephemeralRange();
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(21_234, '127.0.0.1', () => r()));
    try {
      expect(await portTaken(21_234)).toBe(true);
      const avoid = [];
      // only 21234 (taken) and one other port are not avoided
      for (let p = 15_000; p < low; p++) if (p !== 21_234 && p !== 21_236) avoid.push(p);
      expect(await freePort(avoid)).toBe(21_236);
    } finally {
      srv.close();
    }
  });
});
