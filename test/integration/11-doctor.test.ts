// doctor on this machine's real engine, and with an engine address where nothing answers.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

const cli = join(packageRoot, 'bin', 'devcoin-workshop');

interface Report {
  checks: { id: string; status: string; summary: string; fix: string }[];
  routingMesh: boolean;
}

describe('doctor', () => {
  it('passes on this machine and reports what it found', async () => {
    const r = await execa('node', [cli, '--json', 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const by = (id: string) => report.checks.find((c) => c.id === id)!;
    expect(report.checks.map((c) => c.id)).toEqual(['engine', 'version', 'cgroup', 'storage', 'disk', 'nested', 'routing-mesh', 'images']);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // what the engine itself says, not a value written into the test
    const cgroup = (await execa('docker', ['info', '--format', '{{.CgroupVersion}}'])).stdout.trim();
    expect(by('cgroup').summary).toContain(`cgroup v${cgroup}`);
    expect(by('nested').status).toBe('pass');
    // the engine is local here, so its kernel is this one
    const ipvs = existsSync('/proc/net/ip_vs');
    expect(report.routingMesh).toBe(ipvs);
    if (!ipvs) {
      expect(by('routing-mesh').status).toBe('warn');
      expect(by('routing-mesh').summary).toMatch(/IPVS missing.*dnsrr \+ host publishing/);
    }
    // the trial node is gone
    const left = await execa('docker', ['ps', '-aq', '--filter', 'label=io.devcoin.workshop.trial']);
    expect(left.stdout.trim()).toBe('');
  });

  it("its trial node is no lab's part: it carries the trial label, never a lab's", async () => {
    // a trial that carried io.devcoin.workshop.lab=<lab> made a concurrent `lab up` refuse the
    // lab as "made by another version"; watch the trial while doctor runs
    const run = execa('node', [cli, '--json', 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    const seen = new Map<string, string>();
    let done = false;
    void run.finally(() => (done = true));
    while (!done) {
      const ps = await execa('docker', ['ps', '-a', '--filter', 'label=io.devcoin.workshop.trial=nested-engine', '--format', '{{.Names}} lab=[{{.Label "io.devcoin.workshop.lab"}}]'], { reject: false });
      for (const l of ps.stdout.split('\n').filter(Boolean)) seen.set(l.split(' ')[0], l);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await run;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(0);
    expect(seen.size, 'the trial container was never seen').toBeGreaterThan(0);
    for (const l of seen.values()) expect(l).toMatch(/ lab=\[\]$/);
  });

  it('prints the checks for people, one line each plus fixes', async () => {
    const r = await execa('node', [cli, 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^✓ engine +engine answers at /m);
    expect(r.stdout).toMatch(/^✓ nested +a lab node ran Docker/m);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^ready/);
  });

  it('fails in one line that says what to do, exit 3, when no engine answers', async () => {
    const r = await execa('node', [cli, 'doctor'], { reject: false, env: { DOCKER_HOST: 'tcp://127.0.0.1:1', NO_COLOR: '1' } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^devcoin-workshop: no Docker engine answers at tcp:\/\/127\.0\.0\.1:1 .*— start that engine, or unset DOCKER_HOST/);
  });
});
