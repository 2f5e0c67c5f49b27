// doctor on this machine's real engine, and with an engine address where nothing answers.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';

const cli = join(packageRoot, 'bin', 'devcoin-workshop');

interface Report {
  checks: { id: string; status: string; summary: string; fix: string }[];
  routingMesh: boolean;
  host: {
    engine: string;
    cgroup: string;
    localCgroup: { mode: string; hybrid: boolean } | null;
    ipvs: boolean;
    rootless: boolean;
    desktop: boolean;
    wsl: boolean;
    inotify: { maxUserInstances: number; maxUserWatches: number } | null;
    user: { uid: number; kind: string };
  };
}

/**
 * What doctor should conclude of IPVS on this machine (the engine is local, so its kernel is this
 * one), read here from the kernel's own files: loaded (/proc/net/ip_vs), or a module the kernel
 * lists (modules.builtin or modules.dep of this kernel) and may load (modules_disabled not 1),
 * which the kernel loads when Swarm first asks; otherwise missing. /proc/net/ip_vs alone said
 * "missing" on a stock Debian/Ubuntu host where the module is there and not yet loaded.
 */
function ipvsHere(): 'loaded' | 'module' | 'missing' {
  if (existsSync('/proc/net/ip_vs')) return 'loaded';
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  if (read('/proc/sys/kernel/modules_disabled').trim() === '1') return 'missing';
  const dir = join('/lib/modules', release());
  return ['modules.builtin', 'modules.dep'].some((f) => /(^|\/)ip_vs\.ko/m.test(read(join(dir, f)))) ? 'module' : 'missing';
}

/** doctor's routing-mesh line for each conclusion */
function expectRoutingMesh(check: { status: string; summary: string }, ipvs: ReturnType<typeof ipvsHere>) {
  if (ipvs === 'loaded') expect(check).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^IPVS present: Swarm routing mesh and VIPs work$/) });
  else if (ipvs === 'module') expect(check).toMatchObject({ status: 'pass', summary: expect.stringMatching(/^IPVS available as a module \(ip_vs, loaded by the kernel when Swarm first needs it\)/) });
  else expect(check).toMatchObject({ status: 'warn', summary: expect.stringMatching(/^IPVS missing: lab uses dnsrr \+ host publishing/) });
}

describe('doctor', () => {
  it('passes on this machine and reports what it found', async () => {
    const r = await execa('node', [cli, '--json', 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const by = (id: string) => report.checks.find((c) => c.id === id)!;
    expect(report.checks.map((c) => c.id)).toEqual([
      'engine', 'host', 'user', 'version', 'cgroup', 'rootless', 'desktop', 'wsl', 'inotify', 'storage', 'disk', 'nested', 'routing-mesh', 'images',
    ]);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // what the engine itself says, not a value written into the test
    const cgroup = (await execa('docker', ['info', '--format', '{{.CgroupVersion}}'])).stdout.trim();
    expect(by('cgroup').summary).toContain(`cgroup v${cgroup}`);
    expect(by('nested').status).toBe('pass');
    // the engine is local here, so its kernel is this one: loaded, an unloaded module, or missing
    const ipvs = ipvsHere();
    console.log(`IPVS on this machine's kernel: ${ipvs}`);
    expect(report.routingMesh).toBe(ipvs !== 'missing');
    expectRoutingMesh(by('routing-mesh'), ipvs);
    // the trial node is gone
    const left = await execa('docker', ['ps', '-aq', '--filter', 'label=io.devcoin.workshop.trial']);
    expect(left.stdout.trim()).toBe('');
  });

  it('says which host this is and what follows, each fact read here another way than doctor reads it', async () => {
    const r = await execa('node', [cli, '--json', 'doctor'], { reject: false, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    const by = (id: string) => report.checks.find((c) => c.id === id)!;
    for (const id of ['host', 'user', 'cgroup', 'rootless', 'desktop', 'wsl', 'inotify', 'routing-mesh']) console.log(`${id}: ${by(id).summary}`);
    const info = JSON.parse((await execa('docker', ['info', '--format', '{{json .}}'])).stdout) as {
      CgroupVersion: string; OperatingSystem: string; Name: string; SecurityOptions: string[];
    };
    // cgroup: what stat says of /sys/fs/cgroup (tmpfs: v1, cgroup2fs: v2), and the engine agrees
    const fsType = (await execa('stat', ['-fc', '%T', '/sys/fs/cgroup'])).stdout.trim();
    const local = fsType === 'cgroup2fs' ? 'v2' : fsType === 'tmpfs' ? 'v1' : 'unknown';
    expect(report.host.localCgroup?.mode).toBe(local);
    expect(report.host.cgroup).toBe(`v${info.CgroupVersion}`);
    expect(by('cgroup').summary).toContain(`/proc/self/mountinfo: ${local}`);
    // each fact below asserts doctor's line whichever way it falls on this host; the other ways
    // are covered with recorded /proc and `docker info` inputs in test/unit/host-facts.test.ts
    if (local === 'v1') expect(by('cgroup').summary).toMatch(/^cgroup v1 .*: the node entrypoint remounts each hierarchy read-write/);
    else expect(by('cgroup').summary).toMatch(/^cgroup v2 .*: the node entrypoint moves its processes to an init cgroup and delegates/);
    // IPVS: the kernel's own files on this machine (the engine is local)
    const ipvs = ipvsHere();
    expect(report.host.ipvs).toBe(ipvs !== 'missing');
    expectRoutingMesh(by('routing-mesh'), ipvs);
    // who: id -u, and id -nG for the docker group
    const uid = Number((await execa('id', ['-u'])).stdout.trim());
    expect(report.host.user.uid).toBe(uid);
    const inDocker = (await execa('id', ['-nG'])).stdout.trim().split(/\s+/).includes('docker');
    const kind = uid === 0 ? 'root' : inDocker ? 'docker-group' : 'other';
    expect(report.host.user.kind).toBe(kind);
    expect(by('user').summary).toMatch(kind === 'root' ? /^running as root/ : kind === 'docker-group' ? /^running as \S+, in the docker group/ : /^running as \S+, neither root nor in the docker group/);
    // rootless and Docker Desktop: what docker info says
    const rootless = info.SecurityOptions.some((o) => o.includes('name=rootless'));
    expect(report.host.rootless).toBe(rootless);
    const desktop = info.OperatingSystem === 'Docker Desktop' || info.Name === 'docker-desktop';
    expect(report.host.desktop).toBe(desktop);
    expect(by('desktop').summary).toMatch(desktop ? /^Docker Desktop \(.*\): this machine cannot route to container addresses/ : /^not Docker Desktop/);
    expect(by('rootless')).toMatchObject(rootless ? { status: 'warn', summary: expect.stringMatching(/^rootless engine:/) } : { status: 'pass', summary: expect.stringMatching(/^not a rootless engine/) });
    // WSL: /proc/version
    const wsl = /microsoft|wsl/i.test(readFileSync('/proc/version', 'utf8'));
    expect(report.host.wsl).toBe(wsl);
    expect(by('wsl').summary).toMatch(wsl ? /^WSL: the kernel is WSL's/ : /^not WSL/);
    // inotify: the sysctls themselves
    const sysctl = async (k: string) => Number((await execa('sysctl', ['-n', k])).stdout.trim());
    const instances = await sysctl('fs.inotify.max_user_instances');
    const watches = await sysctl('fs.inotify.max_user_watches');
    expect(report.host.inotify).toEqual({ maxUserInstances: instances, maxUserWatches: watches });
    expect(by('inotify').summary).toContain(`max_user_instances ${instances}, max_user_watches ${watches}`);
    if (instances < 512) {
      expect(by('inotify').status).toBe('warn');
      expect(by('inotify').fix).toMatch(/^sysctl -w fs\.inotify\.max_user_instances=512/);
    } else expect(by('inotify').status).toBe(watches < 65_536 ? 'warn' : 'pass');
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
    // the host lines, with what follows for the lab
    expect(r.stdout).toMatch(/^✓ host +\S.*: the engine (runs on this machine|runs in Docker Desktop's VM|runs on another machine)$/m);
    expect(r.stdout).toMatch(/^✓ cgroup +cgroup v[12] \(.*\): the node entrypoint /m);
    expect(r.stdout).toMatch(/^[✓!] inotify +inotify max_user_instances \d+, max_user_watches \d+/m);
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
