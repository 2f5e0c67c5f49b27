// The radar's scheduling with fake labs (no engine): never more than `concurrency` verifies at
// once, every student checked each round, an asked-for student first, dead labs not verified,
// a student with a job left alone, and "stuck" after long failing or long without progress.
import { describe, it, expect } from 'vitest';
import { Radar, p95, type RadarDeps, type StudentView, type LabHealth } from '../../src/classroom/radar.js';

function fakeRoom(n: number, opts: { verifyMs?: number; health?: (lab: string) => LabHealth; ok?: (lab: string) => boolean; now?: () => number } = {}) {
  const students = new Map<string, StudentView>();
  for (let i = 1; i <= n; i++) students.set(`s${i}`, { name: `s${i}`, lab: `lab${i}`, engine: 'local', chapter: 'swarm', chapterSince: 0 });
  let inFlight = 0;
  const order: string[] = [];
  const deps: RadarDeps = {
    progress: async () => ({ current: 'swarm', done: ['compose'] }),
    health: async (lab) => opts.health?.(lab) ?? { up: true, nodes: [] },
    verify: async (lab) => {
      inFlight++;
      order.push(lab);
      await new Promise((r) => setTimeout(r, opts.verifyMs ?? 20));
      inFlight--;
      const ok = opts.ok?.(lab) ?? false;
      return { chapter: 'swarm', checks: [{ id: 'c', title: 'c', ok, detail: ok ? undefined : 'not yet' }] };
    },
    student: (name) => students.get(name),
    chapterSeen: (name, chapter, at) => Object.assign(students.get(name)!, { chapter, chapterSince: at }),
    now: opts.now,
  };
  return { deps, students, order, inFlight: () => inFlight };
}

const waitFor = async (fn: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('radar scheduling', () => {
  it('checks every student, at most `concurrency` at a time, and times each round', async () => {
    const room = fakeRoom(7, { verifyMs: 30 });
    const radar = new Radar([...room.students.keys()], room.deps, { concurrency: 2, intervalMs: 60_000 });
    let maxSeen = 0;
    const probe = setInterval(() => (maxSeen = Math.max(maxSeen, room.inFlight())), 1);
    radar.start();
    await waitFor(() => radar.snapshot().refresh.rounds >= 1);
    await radar.stop();
    clearInterval(probe);
    expect(radar.maxInFlight).toBe(2);
    expect(maxSeen).toBeLessThanOrEqual(2);
    expect(new Set(room.order)).toEqual(new Set(['lab1', 'lab2', 'lab3', 'lab4', 'lab5', 'lab6', 'lab7']));
    const snap = radar.snapshot();
    expect(snap.rows.every((r) => r.state === 'failing' && r.checkedChapter === 'swarm' && r.done[0] === 'compose')).toBe(true);
    // 7 checks of 30 ms two at a time: at least 4 x 30 ms
    expect(snap.refresh.lastMs!).toBeGreaterThanOrEqual(110);
  });

  it('a student asked for (refreshNow) goes before the ones already due', async () => {
    const room = fakeRoom(6, { verifyMs: 20 });
    const radar = new Radar([...room.students.keys()], room.deps, { concurrency: 1, intervalMs: 60_000 });
    radar.refreshNow('s6');
    radar.start();
    await waitFor(() => room.order.length >= 6);
    await radar.stop();
    expect(room.order[0]).toBe('lab6');
  });

  it('a dead lab is shown with its reason and not verified; a student with a job is left alone', async () => {
    const room = fakeRoom(3, { health: (lab) => (lab === 'lab2' ? { up: false, detail: 'node3 exited', nodes: [] } : { up: true, nodes: [] }) });
    room.students.get('s3')!.job = 'catching up to stack';
    const radar = new Radar([...room.students.keys()], room.deps, { concurrency: 2, intervalMs: 60_000 });
    radar.start();
    await waitFor(() => radar.snapshot().refresh.rounds >= 1);
    await radar.stop();
    const rows = Object.fromEntries(radar.snapshot().rows.map((r) => [r.name, r]));
    expect(rows.s2.state).toBe('dead');
    expect(rows.s2.health?.detail).toBe('node3 exited');
    expect(rows.s3.state).toBe('busy');
    expect(room.order).toEqual(['lab1']);
  });

  it('pushes a snapshot to listeners on each result, and records a student\'s own verify at once', async () => {
    const room = fakeRoom(2, { ok: () => true });
    const radar = new Radar([...room.students.keys()], room.deps, { concurrency: 2, intervalMs: 60_000 });
    const seen: string[] = [];
    radar.onChange((s) => seen.push(s.rows.map((r) => r.state).join(',')));
    radar.record('s1', 'swarm', [{ id: 'c', title: 'c', ok: true }]);
    expect(seen[0]).toBe('passing,unknown');
    radar.start();
    await waitFor(() => radar.snapshot().refresh.rounds >= 1);
    await radar.stop();
    expect(seen.at(-1)).toBe('passing,passing');
  });

  it('is stuck after failing for long on a chapter, or long on it without passing; not when passing', () => {
    let now = 1_000_000;
    const room = fakeRoom(2, { now: () => now });
    const radar = new Radar(['s1', 's2'], room.deps, { stuckFailingMs: 10 * 60_000, stuckIdleMs: 25 * 60_000 });
    room.students.get('s1')!.chapterSince = now;
    room.students.get('s2')!.chapterSince = now;
    radar.record('s1', 'swarm', [{ id: 'c', title: 'c', ok: false }]);
    radar.record('s2', 'swarm', [{ id: 'c', title: 'c', ok: true }]);
    now += 9 * 60_000;
    radar.record('s1', 'swarm', [{ id: 'c', title: 'c', ok: false, detail: 'still' }]);
    expect(radar.snapshot().rows[0].stuck).toBeUndefined();
    now += 2 * 60_000;
    expect(radar.snapshot().rows[0].stuck).toBe('verify failing for 11 min');
    now += 20 * 60_000;
    expect(radar.snapshot().rows[1].stuck).toBeUndefined(); // passing: waiting for `next` is not stuck
    radar.record('s2', 'swarm', [{ id: 'c', title: 'c', ok: false }]);
    expect(radar.snapshot().rows[1].stuck).toBe('no progress for 31 min');
  });

  it('p95 of a few values is the largest but one of twenty', () => {
    expect(p95([])).toBeUndefined();
    expect(p95([5])).toBe(5);
    expect(p95(Array.from({ length: 20 }, (_, i) => i + 1))).toBe(19);
  });
});
