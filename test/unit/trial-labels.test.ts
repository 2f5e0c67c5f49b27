// doctor's trial containers (and probes) are not part of any lab: a lab finds its parts by the
// label io.devcoin.workshop.lab, so a trial carrying it made a concurrent `lab up` refuse
// ("made by another version") and `lab down` count it. Trials carry only their own label.
import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import {nestedEngineTrial, removeStaleTrials, runOnce} from '../../src/docker/trial.js';
import { LABELS } from '../../src/labels.js';


/** What the engine's `label=k=v` filter does: every given k=v must be on the container. */
const matches = (labels: Record<string, string>, filter: string[]) =>
  filter.every((f) => {
    const [k, v] = f.split(/=(.*)/s);
    return v === undefined ? k in labels : labels[k] === v;
  });

function fakeEngine() {
  const created: { name?: string; Labels: Record<string, string> }[] = [];
  const listFilters: string[][] = [];
  const container = {
    id: 'c1',
    start: async () => {},
    // a node that stops at once: the trial ends without waiting for an engine
    inspect: async () => ({ Id: 'c1', State: { Running: false, ExitCode: 1 } }),
    wait: async () => ({ StatusCode: 0 }),
    logs: async () => Buffer.alloc(0),
    remove: async () => {},
  };
  const docker = {
    createContainer: async (opts: { name?: string; Labels: Record<string, string> }) => {
      created.push(opts);
      return container;
    },
    listContainers: async (opts: { filters: string }) => {
      const f = (JSON.parse(opts.filters) as { label: string[] }).label;
      listFilters.push(f);
      return created.filter((c) => matches(c.Labels, f)).map((c) => ({ Id: c.name, Created: 0, Labels: c.Labels }));
    },
    getContainer: () => container,
    modem: { demuxStream: () => {} },
  } as unknown as Docker;
  return { docker, created, listFilters };
}

describe("trial containers are not a lab's parts", () => {
  it("doctor's nested engine trial carries the trial label and no lab label", async () => {
    const e = fakeEngine();
    const r = await nestedEngineTrial(e.docker, { image: 'devcoin/node', lab: 'devcoin' } as Parameters<typeof nestedEngineTrial>[1]);
    expect(r.ok).toBe(false);
    expect(e.created).toHaveLength(1);
    const labels = e.created[0].Labels;
    expect(labels[LABELS.trial]).toBe('nested-engine');
    expect(Object.keys(labels).filter((k) => k.startsWith(LABELS.lab))).toEqual([]);
    // what `lab up`'s version check and `lab down` look for does not see it
    expect(matches(labels, [`${LABELS.lab}=devcoin`])).toBe(false);
    expect(matches(labels, [LABELS.lab])).toBe(false);
  });

  it('a probe (runOnce) carries the trial label and no lab label, even when asked to', async () => {
    const e = fakeEngine();
    await runOnce(e.docker, { image: 'devcoin/busybox', cmd: ['true'], labels: { [LABELS.lab]: 'devcoin', 'x.y': 'z' } });
    const labels = e.created[0].Labels;
    expect(labels[LABELS.trial]).toBe('probe');
    expect(labels['x.y']).toBe('z');
    expect(LABELS.lab in labels).toBe(false);
  });

  it('the leftovers of an interrupted trial are still found by their own label', async () => {
    const e = fakeEngine();
    await nestedEngineTrial(e.docker, { image: 'devcoin/node' });
    expect(await removeStaleTrials(e.docker)).toBe(1);
    expect(e.listFilters.at(-1)).toEqual([LABELS.trial]);
    expect(await removeStaleTrials(e.docker, 'nested-engine')).toBe(1);
  });
});
