// What a check promises: the directives chapters/README.md documents are the ones the parser and
// the runner implement; verify fails fast on a state that is plainly wrong and waits while Swarm
// converges; the leak probe fails closed.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaptersDir } from '../../src/paths.js';
import { DIRECTIVES, LAB_VERBS, parseChapter, ChapterFormatError } from '../../src/workshop/markdown.js';
import { runSteps } from '../../src/workshop/runner.js';
import { verifyChapter } from '../../src/workshop/verify.js';
import { passwordLeaks } from '../../src/workshop/checks/secrets.js';
import type { Chapter, Check } from '../../src/workshop/types.js';
import type { Lab, LabNode } from '../../src/lab/index.js';
import type { ExecResult } from '../../src/docker/exec.js';

function fakeLab(handler: (node: string, cmd: string) => ExecResult, log: string[] = [], nodes: LabNode[] = []): Lab {
  return {
    name: 'fake', kind: 'built-in', canStopNodes: true,
    nodes: async () => nodes,
    exec: async (node, cmd) => { log.push(`${node}: ${cmd}`); return handler(node, cmd); },
    engine: async () => { throw new Error('no engine in unit tests'); },
    terminal: async () => { throw new Error('no terminal in unit tests'); },
    dockerEnv: async () => ({}),
    routingMesh: async () => false,
    preexisting: async () => [],
    stop: async (n) => { log.push(`stop ${n.join(' ')}`); },
    kill: async (n) => { log.push(`kill ${n.join(' ')}`); },
    start: async (n) => { log.push(`start ${n.join(' ')}`); },
  };
}

const ok: ExecResult = { exitCode: 0, stdout: 'x\n', stderr: '' };

describe('the directive contract of chapters/README.md', () => {
  const doc = readFileSync(join(chaptersDir, 'README.md'), 'utf8');
  const table = doc.slice(doc.indexOf('| directive |'), doc.indexOf('## Sections'));
  const documented = [...table.matchAll(/`<!--\s*([a-z-]+)/g)].map((m) => m[1]);
  const documentedVerbs = [...table.matchAll(/`<!-- lab: (\w+)[^`]*`((?: \/ `\w+`)*)/g)].flatMap((m) => [m[1], ...[...m[2].matchAll(/`(\w+)`/g)].map((x) => x[1])]);

  it('documents exactly the directives the parser knows', () => {
    expect([...new Set(documented)].sort()).toEqual([...DIRECTIVES].sort());
    expect(documentedVerbs.sort()).toEqual(Object.keys(LAB_VERBS).sort());
  });

  it('runs every documented directive and every lab verb', async () => {
    const md = ['# T', '', 'intro', '',
      '<!-- capture node1 TOKEN: echo abc -->', '<!-- run node2: tidy -->', '<!-- wait node3 5: ready -->',
      ...Object.keys(LAB_VERBS).map((v) => `<!-- lab: ${v} node4 node5 -->`),
      '<!-- expect-fail: refused -->', '```sh node1', 'echo $TOKEN', '```', ''].join('\n');
    const parsed = parseChapter(md);
    const c: Chapter = { ...parsed, forms: { dnsrr: parsed, mesh: parsed }, number: 1, slug: 't', dir: '01-t', module: { checks: [], catchUp: async () => {} } };
    const log: string[] = [];
    const lab = fakeLab((_n, cmd) => (cmd.includes('echo $TOKEN') ? { exitCode: 1, stdout: '', stderr: 'refused' } : ok), log);
    expect(await runSteps(lab, c)).toBe('done');
    expect(log).toEqual([
      'node1: echo abc', "node2: export TOKEN='x'; tidy", "node3: export TOKEN='x'; ready", 'stop node4 node5', 'start node4 node5', 'kill node4 node5',
      "node1: export TOKEN='x'; echo $TOKEN",
    ]);
  });

  it('refuses an unknown lab verb when the chapter is read, not half way through a run', () => {
    expect(() => parseChapter('# T\n\n<!-- lab: reboot node2 -->\n')).toThrow(ChapterFormatError);
    expect(() => parseChapter('# T\n\n<!-- lab: reboot node2 -->\n')).toThrow(/stop\/start\/kill/);
  });
});

function chapterWith(checks: Check[]): Chapter {
  const parsed = parseChapter('# T\n\nintro\n');
  return { ...parsed, forms: { dnsrr: parsed, mesh: parsed }, number: 1, slug: 't', dir: '01-t', module: { checks, catchUp: async () => {} } };
}

describe('verify: fast on a plainly wrong state, patient while converging', () => {
  it('a state that does not change fails within the settle time, not the timeout', async () => {
    const wrong: Check = { id: 'w', title: 'w', hint: 'h', run: async () => ({ ok: false, detail: 'nothing publishes a port' }) };
    const t0 = Date.now();
    const r = await verifyChapter(fakeLab(() => ok), chapterWith([wrong]), 30_000, 1500);
    const took = Date.now() - t0;
    expect(r[0]).toMatchObject({ ok: false, detail: 'nothing publishes a port', hint: 'h' });
    expect(took).toBeLessThan(5000);
  });

  it('numbers moving in a detail are not progress: "1 miners, N H/s" settles too', async () => {
    let n = 0;
    const wrong: Check = { id: 'w', title: 'w', hint: 'h', run: async () => ({ ok: false, detail: `1 miners, ${250_000 + n++} H/s` }) };
    const t0 = Date.now();
    await verifyChapter(fakeLab(() => ok), chapterWith([wrong]), 30_000, 1500);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a converging check keeps verify waiting until it passes', async () => {
    let n = 0;
    const conv: Check = { id: 'c', title: 'c', hint: 'h', run: async () => (++n >= 4 ? { ok: true, detail: '5/5 running' } : { ok: false, detail: `${n}/5 running`, converging: true }) };
    const r = await verifyChapter(fakeLab(() => ok), chapterWith([conv]), 30_000, 500);
    expect(r[0]).toMatchObject({ ok: true, detail: '5/5 running' });
    expect(n).toBe(4);
  });

  it('the settle time counts from the end of converging: a route that lags the tasks by a few seconds still passes', async () => {
    // converging for 3 rounds with the same text, then the same failure for 2 more rounds (a
    // proxy whose DNS cache has not seen the new task yet), then it passes
    let n = 0;
    const lag: Check = {
      id: 'l', title: 'l', hint: 'h',
      run: async () => (++n >= 6 ? { ok: true, detail: 'node1: page ok' } : { ok: false, detail: 'node1: page no', converging: n <= 3 }),
    };
    const r = await verifyChapter(fakeLab(() => ok), chapterWith([lag]), 30_000, 2500);
    expect(r[0]).toMatchObject({ ok: true, detail: 'node1: page ok' });
    expect(n).toBe(6);
  });

  it('a check that throws fails and says it could not check', async () => {
    const broken: Check = { id: 'b', title: 'b', hint: 'h', run: async () => { throw new Error('connect ECONNREFUSED\nstack'); } };
    const r = await verifyChapter(fakeLab(() => ok), chapterWith([broken]), 0);
    expect(r[0]).toMatchObject({ ok: false, detail: 'could not check: connect ECONNREFUSED' });
  });
});

describe('the leak probe fails closed', () => {
  const node = (name: string): LabNode => ({ name, plannedRole: 'manager', address: '10.0.0.1', state: 'running' });

  it('a probe that could not run is reported as unprobed, never as "no leak"', async () => {
    // every probe's producer fails (exit 1, nothing to search): before, this counted as clean
    const lab = fakeLab(() => ({ exitCode: 0, stdout: '1 0 0\n', stderr: '' }), [], [node('node1')]);
    const r = await passwordLeaks(lab, 'pw');
    expect(r.leaks).toEqual([]);
    expect(r.unprobed).toEqual([
      'docker service inspect on node1 (exit 1)', 'service logs on node1 (exit 1)',
      'docker inspect on node1 (exit 1)', 'process argv/environ on node1 (exit 1)',
    ]);
  });

  it('empty output and a failed exec are unprobed too; a hit is a leak', async () => {
    const lab = fakeLab((_n, cmd) => {
      if (cmd.includes('service inspect')) return { exitCode: 0, stdout: '0 0 0\n', stderr: '' };
      if (cmd.includes('service logs')) return { exitCode: 126, stdout: '', stderr: 'OCI runtime exec failed' };
      if (cmd.includes('docker inspect $ids')) return { exitCode: 0, stdout: '0 2 5000\n', stderr: '' };
      return { exitCode: 0, stdout: '0 0 120\n', stderr: '' };
    }, [], [node('node1')]);
    const r = await passwordLeaks(lab, 'pw');
    expect(r.leaks).toEqual(['docker inspect on node1']);
    expect(r.unprobed).toEqual([
      'docker service inspect on node1 (no output to search)',
      'service logs on node1 (the probe did not run: OCI runtime exec failed)',
    ]);
  });

  it('the password reaches the node on stdin, never in the command', async () => {
    const cmds: string[] = [];
    const lab: Lab = { ...fakeLab(() => ({ exitCode: 0, stdout: '0 0 10\n', stderr: '' }), cmds, [node('node1')]) };
    await passwordLeaks(lab, 'S3cr3t-pw');
    expect(cmds.length).toBe(4);
    for (const c of cmds) expect(c).not.toContain('S3cr3t-pw');
  });
});

describe("chapter 5's registry, read in one exec", () => {
  const all = ['devcoin/miner', 'devcoin/api', 'devcoin/webui', 'devcoin/redis', 'devcoin/proxy'];
  const digest = 'Docker-Content-Digest: sha256:' + 'a'.repeat(64);
  const answer = (repos: string[], tagged: string[]) =>
    JSON.stringify({ repositories: repos }) + '\n' + all.map((i) => `${i} ${tagged.includes(i) ? digest : 'none'}`).join('\n') + '\n';

  it('says why: not answering, missing images, untagged ones; passes only with all five tagged', async () => {
    const { registryHolds } = await import('../../src/workshop/checks/registry.js');
    const run = (r: ExecResult) => registryHolds(fakeLab(() => r));
    // no registry service converging (no manager answers the fake): a failure to report now
    expect(await run({ exitCode: 7, stdout: '', stderr: '' })).toEqual({ ok: false, detail: 'node1:5000 does not answer', converging: false });
    expect(await run({ exitCode: 0, stdout: answer([], []), stderr: '' })).toMatchObject({ ok: false, detail: expect.stringMatching(/^missing devcoin\/miner, .* \(catalog: empty\)$/) });
    expect(await run({ exitCode: 0, stdout: answer(all, all.slice(1)), stderr: '' })).toEqual({ ok: false, detail: 'no tag latest for devcoin/miner', converging: false });
    expect(await run({ exitCode: 0, stdout: answer(all, all), stderr: '' })).toEqual({ ok: true, detail: '5 images tagged latest' });
    expect((await run({ exitCode: 1, stdout: '', stderr: 'OCI runtime exec failed' })).detail).toMatch(/^could not ask node1:5000: OCI runtime exec failed/);
  });
});

describe('one door (chapters 6, 7 and 8 share it)', () => {
  const svc = (name: string, ports: number[]) => ({ ID: name, Spec: { Name: name, EndpointSpec: { Ports: ports.map((p) => ({ PublishedPort: p })) } } });
  const labWith = (services: unknown[]): Lab => ({
    ...fakeLab(() => ok, [], [{ name: 'node1', plannedRole: 'manager', address: '10.0.0.1', state: 'running' }]),
    engine: async () => ({ info: async () => ({ Swarm: { ControlAvailable: true } }), listNodes: async () => [], listServices: async () => services }) as never,
  });

  it('passes with the one service on its one port, and says who publishes what otherwise', async () => {
    const { onlyDoor } = await import('../../src/workshop/checks/stack.js');
    expect(await onlyDoor(labWith([svc('devcoin_proxy', [80]), svc('devcoin_api', [])]), 'devcoin_proxy', 80)).toEqual({ ok: true, detail: 'devcoin_proxy: 80' });
    expect(await onlyDoor(labWith([svc('devcoin_proxy', [80]), svc('devcoin_redis', [6379])]), 'devcoin_proxy', 80)).toEqual({ ok: false, detail: 'devcoin_proxy: 80; devcoin_redis: 6379' });
    expect(await onlyDoor(labWith([svc('devcoin_webui', [])]), 'devcoin_webui', 8080)).toEqual({ ok: false, detail: 'nothing publishes a port' });
    expect(await onlyDoor(labWith([]), 'devcoin_webui', 8080)).toEqual({ ok: false, detail: 'no stack devcoin' });
  });
});
