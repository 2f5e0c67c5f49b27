import { describe, it, expect, beforeEach } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { packageRoot } from '../../src/paths.js';
import { parseChapter, ChapterFormatError } from '../../src/workshop/markdown.js';
import { closest, findChapter } from '../../src/workshop/chapters.js';
import { readProgress, writeProgress, progressFile } from '../../src/workshop/progress.js';
import { SETTLE_MS, verifyChapter } from '../../src/workshop/verify.js';
import { runSteps, StepFailed } from '../../src/workshop/runner.js';
import { UserError } from '../../src/errors.js';
import type { Chapter, ChapterModule } from '../../src/workshop/types.js';
import type { Lab } from '../../src/lab/index.js';
import type { ExecResult } from '../../src/docker/exec.js';

const sample = `# Title here

The intro paragraph.

\`\`\`sh node1
docker swarm init
\`\`\`

<!-- capture node1 TOKEN: docker swarm join-token -q worker -->
<!-- an ordinary comment -->
<!-- lab: stop node2 -->
<!-- expect-fail: does not have a leader -->
\`\`\`sh node2
docker node ls \\
  --quiet
\`\`\`

<!-- wait node1 30: test -n "$(docker node ls -q)" -->

## Hint

Try again.
`;

function fakeLab(handler: (node: string, cmd: string) => ExecResult, log: string[] = []): Lab {
  return {
    name: 'fake', kind: 'built-in', canStopNodes: true,
    nodes: async () => [],
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

function chapter(md: string, module: Partial<ChapterModule> = {}): Chapter {
  const parsed = parseChapter(md);
  return { ...parsed, forms: { dnsrr: parsed, mesh: parseChapter(md, 'README.md', 'mesh') }, number: 9, slug: 'sample', dir: '09-sample', module: { checks: [], catchUp: async () => {}, ...module } };
}

describe('chapter markdown', () => {
  it('finds title, intro, commands, directives and hint; hides directives from the text', () => {
    const c = parseChapter(sample);
    expect(c.title).toBe('Title here');
    expect(c.intro).toBe('The intro paragraph.');
    expect(c.steps.map((s) => (s.kind === 'command' ? `cmd ${s.node}` : `dir ${s.name}`))).toEqual([
      'cmd node1', 'dir capture', 'dir lab', 'cmd node2', 'dir wait',
    ]);
    const node2 = c.steps[3];
    expect(node2.kind === 'command' && node2.command).toBe('docker node ls \\\n  --quiet');
    expect(node2.kind === 'command' && node2.expectFail?.source).toBe("does not have a leader");
    expect(c.markdown).not.toContain('<!--');
    expect(c.hint).toBe('Try again.');
  });

  it('rejects an unknown directive and an unclosed block', () => {
    expect(() => parseChapter('# T\n\n<!-- explode: now -->\n')).toThrow(ChapterFormatError);
    expect(() => parseChapter('# T\n\n```sh node1\nls\n')).toThrow(/not closed/);
  });
});

describe('chapter names', () => {
  const chapters = ['swarm', 'services', 'drain'].map((slug, i) => ({ slug, number: i + 2, dir: `0${i + 2}-${slug}` }) as Chapter);
  it('accepts slug, number and folder', () => {
    expect(findChapter(chapters, 'drain').slug).toBe('drain');
    expect(findChapter(chapters, '3').slug).toBe('services');
    expect(findChapter(chapters, '02-swarm').slug).toBe('swarm');
  });
  it('suggests the closest name for a typo', () => {
    expect(closest('servces', ['swarm', 'services', 'drain'])).toBe('services');
    const err = (() => { try { findChapter(chapters, 'swrm'); } catch (e) { return e as UserError; } })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.hint).toContain('did you mean "swarm"');
    expect(err!.exitCode).toBe(2);
  });
});

describe('progress file', () => {
  beforeEach(() => {
    process.env.DEVCOIN_HOME = mkdtempSync(join(tmpdir(), 'devcoin-progress-'));
  });
  it('starts at the first chapter and round-trips', () => {
    expect(readProgress('t', 'swarm')).toEqual({ current: 'swarm', done: [] });
    writeProgress('t', { current: 'drain', done: ['swarm', 'services'] });
    expect(readProgress('t', 'swarm')).toEqual({ current: 'drain', done: ['swarm', 'services'] });
    // written through a temp file and a rename: no temp file is left behind
    expect(readdirSync(join(process.env.DEVCOIN_HOME!, 'labs', 't'))).toEqual(['progress.json']);
  });
  it('survives a process killed in the middle of writing it', async () => {
    // a writer that rewrites the file as fast as it can, killed at a random moment, many times
    const mod = join(packageRoot, 'dist', 'src', 'workshop', 'progress.js');
    const done = Array.from({ length: 2000 }, (_, i) => `chapter-${i}`);
    writeProgress('t', { current: 'start', done: [] });
    for (let i = 0; i < 15; i++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e',
        `const { writeProgress } = await import(${JSON.stringify(mod)}); for (let n = 0; ; n++) writeProgress('t', { current: 'c' + n, done: ${JSON.stringify(done)} });`],
        { env: { ...process.env }, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 120));
      // a writer that died by itself (its module did not load) never wrote: that is a failure, not a hang
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode, 'the writer must still be writing when it is killed').toBe('SIGKILL');
      const p = readProgress('t', 'swarm'); // never throws: the file is the old or the new one, whole
      expect(p.current).toMatch(/^(start|c\d+)$/);
    }
  });
  it('a damaged file gives one line that names it and the way out', () => {
    writeProgress('t', { current: 'drain', done: [] });
    writeFileSync(progressFile('t'), '{"current": "dra');
    const err = (() => { try { readProgress('t', 'swarm'); } catch (e) { return e as UserError; } })()!;
    expect(err.message).toContain(progressFile('t'));
    expect(err.hint).toMatch(/reset --progress-only/);
    expect(readFileSync(progressFile('t'), 'utf8')).toBe('{"current": "dra'); // never overwritten by reading
    expect(existsSync(progressFile('t'))).toBe(true);
  });
});

describe('runner', () => {
  it('runs commands in order, passes captured values, stops nodes, retries an expected failure', async () => {
    const log: string[] = [];
    let attempts = 0;
    const lab = fakeLab((node, cmd) => {
      if (cmd.includes('join-token')) return { exitCode: 0, stdout: 'SECRET\n', stderr: '' };
      if (cmd.includes('node ls \\')) {
        attempts++;
        return attempts < 3 ? { exitCode: 1, stdout: '', stderr: 'deadline exceeded' } : { exitCode: 1, stdout: '', stderr: 'The swarm does not have a leader' };
      }
      return { exitCode: 0, stdout: 'x', stderr: '' };
    }, log);
    await runSteps(lab, chapter(sample));
    expect(log[0]).toBe('node1: docker swarm init');
    expect(log[1]).toBe('node1: docker swarm join-token -q worker');
    expect(log[2]).toBe('stop node2');
    expect(log[3]).toMatch(/^node2: export TOKEN='SECRET'; set -e\ndocker node ls/);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(log[log.length - 1]).toMatch(/^node1: export TOKEN='SECRET'; test -n/);
  });

  it('a failing command stops the chapter with its last output line', async () => {
    const lab = fakeLab(() => ({ exitCode: 1, stdout: '', stderr: 'Error: no such image' }));
    const err = await runSteps(lab, chapter('# T\n\n```sh node1\ndocker run nope\n```\n')).catch((e) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect(err.message).toContain('`docker run nope` on node1 exited with 1');
    expect(err.output).toBe('Error: no such image');
  });
});

describe('verify', () => {
  it('retries until the swarm converges, then passes', async () => {
    let calls = 0;
    const c = chapter('# T\n', {
      checks: [{ id: 'a', title: 'a', hint: 'h', run: async () => ({ ok: ++calls >= 3 }) }],
    });
    const r = await verifyChapter(fakeLab(() => ({ exitCode: 0, stdout: '', stderr: '' })), c, 10_000);
    expect(r).toEqual([{ id: 'a', title: 'a', ok: true, detail: undefined, hint: undefined }]);
    expect(calls).toBe(3);
  });
  it('a check that never answers fails, saying so, instead of holding verify forever', async () => {
    const c = chapter('# T\n', {
      checks: [{ id: 'hangs', title: 'hangs', hint: 'h', run: () => new Promise(() => {}) }],
    });
    const t0 = Date.now();
    const r = await verifyChapter(fakeLab(() => ({ exitCode: 0, stdout: '', stderr: '' })), c, 0, SETTLE_MS, 200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r).toEqual([{ id: 'hangs', title: 'hangs', ok: false, detail: 'could not check: no answer within 0.2 s', hint: 'h' }]);
  });

  it('gives up after the timeout with the hint, and treats a throwing check as failed', async () => {
    const c = chapter('# T\n', {
      checks: [
        { id: 'never', title: 'never', hint: 'look here', run: async () => ({ ok: false, detail: '0/5' }) },
        { id: 'boom', title: 'boom', hint: 'h2', run: async () => { throw new Error('engine gone\nmore'); } },
      ],
    });
    const r = await verifyChapter(fakeLab(() => ({ exitCode: 0, stdout: '', stderr: '' })), c, 0);
    expect(r).toEqual([
      { id: 'never', title: 'never', ok: false, detail: '0/5', hint: 'look here' },
      { id: 'boom', title: 'boom', ok: false, detail: 'could not check: engine gone', hint: 'h2' },
    ]);
  });
});

describe('a chapter in two forms: with the routing mesh and without', () => {
  const md = [
    '# Publish', '', 'Both read this.', '',
    '<!-- form: dnsrr -->',
    'Without the mesh, the port answers where a task runs.', '',
    '```sh node1', 'docker service create --endpoint-mode dnsrr --publish published=80,target=80,mode=host web', '```', '',
    '<!-- form: mesh -->',
    'With the mesh, every node answers.', '',
    '```sh node1', 'docker service create --publish 80:80 web', '```', '',
    '<!-- form: all -->',
    '```sh node1', 'docker service ls', '```', '',
  ].join('\n');

  it('reads and runs only the lab\'s form, with the text both share', () => {
    const plain = parseChapter(md, 'README.md', 'dnsrr');
    const mesh = parseChapter(md, 'README.md', 'mesh');
    const commands = (c: typeof plain) => c.steps.map((s) => (s.kind === 'command' ? s.command : s.name));
    expect(commands(plain)).toEqual(['docker service create --endpoint-mode dnsrr --publish published=80,target=80,mode=host web', 'docker service ls']);
    expect(commands(mesh)).toEqual(['docker service create --publish 80:80 web', 'docker service ls']);
    expect(plain.markdown).toContain('where a task runs');
    expect(plain.markdown).not.toContain('every node answers');
    expect(mesh.markdown).toContain('every node answers');
    expect(mesh.markdown).not.toContain('mode=host');
    for (const c of [plain, mesh]) {
      expect(c.markdown).toContain('Both read this.');
      expect(c.markdown).not.toContain('<!--');
    }
  });

  it('refuses an unknown form and a form block never closed, when the chapter is read', () => {
    expect(() => parseChapter('# T\n\n<!-- form: ipvs -->\n\nx\n\n<!-- form: all -->\n')).toThrow(/form must be dnsrr, mesh or all, not "ipvs"/);
    expect(() => parseChapter('# T\n\n<!-- form: mesh -->\n\nx\n')).toThrow(/a form block is not closed/);
  });
});
