// ensureVolume never takes over a volume it did not make: a volume of the same name without the
// lab's labels (someone's data, another tool's) is refused in one line, and left as it was.
import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { ensureVolume } from '../../src/docker/containers.js';
import { UserError } from '../../src/errors.js';

const LABELS = {
  'io.devcoin.workshop.lab': 'lookalike',
  'io.devcoin.workshop.lab-version': '2',
  'io.devcoin.workshop.kind': 'node',
  'io.devcoin.workshop.node': 'node1',
};

/** A fake engine with the given volumes; records what it was asked to create or remove. */
function fakeEngine(volumes: Record<string, Record<string, string> | null>) {
  const created: string[] = [];
  const removed: string[] = [];
  const docker = {
    getVolume: (name: string) => ({
      inspect: async () => {
        if (!(name in volumes)) throw Object.assign(new Error(`no such volume: ${name}`), { statusCode: 404 });
        return { Name: name, Driver: 'local', Labels: volumes[name] };
      },
      remove: async () => removed.push(name),
    }),
    createVolume: async (opts: { Name: string }) => {
      created.push(opts.Name);
      return {};
    },
  } as unknown as Docker;
  return { docker, created, removed };
}

describe('ensureVolume', () => {
  it('creates the volume when there is none', async () => {
    const e = fakeEngine({});
    await ensureVolume(e.docker, 'lookalike-node1-data', LABELS);
    expect(e.created).toEqual(['lookalike-node1-data']);
  });

  it("keeps the lab's own volume (same labels) as it is", async () => {
    const e = fakeEngine({ 'lookalike-node1-data': { ...LABELS } });
    await ensureVolume(e.docker, 'lookalike-node1-data', LABELS);
    expect(e.created).toEqual([]);
  });

  for (const [what, labels] of [
    ['no labels at all', null],
    ['no lab label', { 'com.example.app': 'db' }],
    ["another lab's label", { ...LABELS, 'io.devcoin.workshop.lab': 'other' }],
  ] as const) {
    it(`refuses a volume of the same name with ${what}, in one line, and touches nothing`, async () => {
      const e = fakeEngine({ 'lookalike-node1-data': labels });
      const err = await ensureVolume(e.docker, 'lookalike-node1-data', LABELS).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(err).toBeInstanceOf(UserError);
      const u = err as UserError;
      expect(u.message).toMatch(/^volume lookalike-node1-data already exists and was not made by lab lookalike$/);
      expect(u.hint).toMatch(/remove or rename it .*docker volume rm lookalike-node1-data.*, or use another --lab name/);
      expect(`${u.message} — ${u.hint}`).not.toContain('\n');
      expect(e.created).toEqual([]);
      expect(e.removed).toEqual([]);
    });
  }

  it('refuses a volume of the lab made for another node or by another version', async () => {
    const e = fakeEngine({ 'lookalike-node1-data': { ...LABELS, 'io.devcoin.workshop.lab-version': '0' } });
    const err = (await ensureVolume(e.docker, 'lookalike-node1-data', LABELS).catch((x: unknown) => x)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/volume lookalike-node1-data of lab lookalike was made by another version of devcoin-workshop or for another part/);
    expect(err.hint).toMatch(/devcoin-workshop lab down --lab lookalike/);
    expect(e.created).toEqual([]);
  });

  it('passes on an engine error other than "no such volume" instead of creating blindly', async () => {
    const docker = {
      getVolume: () => ({ inspect: async () => { throw Object.assign(new Error('engine hiccup'), { statusCode: 500 }); } }),
      createVolume: async () => { throw new Error('must not be called'); },
    } as unknown as Docker;
    await expect(ensureVolume(docker, 'x', LABELS)).rejects.toThrow('engine hiccup');
  });
});
