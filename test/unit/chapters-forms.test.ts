// Every chapter reads (and runs) one way on a lab with Swarm's routing mesh and another without
// it: neither form may show or run the other's files and flags.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chaptersDir } from '../../src/paths.js';
import { parseChapter } from '../../src/workshop/markdown.js';

const dirs = readdirSync(chaptersDir).filter((d) => /^\d\d-[a-z]+$/.test(d));
const commands = (c: ReturnType<typeof parseChapter>) => c.steps.flatMap((s) => (s.kind === 'command' ? [s.command] : s.body ? [s.body] : []));

describe('the two forms of the chapters', () => {
  it.each(dirs)('%s: the mesh form runs no dnsrr file or host-mode flag, the other form no vip file', (dir) => {
    const text = readFileSync(join(chaptersDir, dir, 'README.md'), 'utf8');
    const plain = parseChapter(text, dir, 'dnsrr');
    const mesh = parseChapter(text, dir, 'mesh');
    for (const cmd of commands(mesh)) expect(cmd).not.toMatch(/\.dnsrr\.yml|--endpoint-mode dnsrr|mode=host/);
    for (const cmd of commands(plain)) expect(cmd).not.toMatch(/\.vip\.yml/);
    expect(mesh.markdown).not.toMatch(/\.dnsrr\.yml devcoin/);
    // both forms take the same steps, in the same order: only what a step says differs
    expect(mesh.steps.map((s) => s.kind)).toEqual(plain.steps.map((s) => s.kind));
  });

  it('the chapters that publish or deploy say it each way (5 registry to 10 observe)', () => {
    const differ = dirs.filter((dir) => {
      const text = readFileSync(join(chaptersDir, dir, 'README.md'), 'utf8');
      return commands(parseChapter(text, dir, 'mesh')).join('\n') !== commands(parseChapter(text, dir, 'dnsrr')).join('\n');
    });
    expect(differ).toEqual(['05-registry', '06-stack', '07-proxy', '08-secrets', '09-update', '10-observe']);
  });
});
