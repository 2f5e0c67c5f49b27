// The quick start as a user who is not root but is in the docker group (issue #15): a real user
// of this machine, made here and removed afterwards, with its own checkout (a copy it owns, its
// node_modules hard-linked), HOME and DEVCOIN_HOME. As that user: the quick start's prepare
// (npm, engine, build, setup) never reaches for apt and names what it cannot install in one
// line; doctor says who it is; setup finds the images root built and skips them; a lab comes up
// with a swarm and goes down. On an empty engine (a student's fresh Docker, offline), setup says
// in one line that the base cannot be made without a registry or root, and `images load` is the
// way it names.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { execa } from 'execa';
import { chmodSync, existsSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { dindHostConfig } from '../../src/docker/dind.js';
import { IMAGES } from '../../src/images/catalog.js';
import { errorLines } from '../helpers/cli.js';
import { asUser, asUserWithoutGroups, createDockerUser, linkOrCopy, removeUser, USER_PATH, userDir, type OsUser } from '../helpers/os-user.js';

const USER = 'hsnonroot';
const LAB = 'hsnr';
const ENGINE = 'hsnr-empty-engine';
const TEST_LABEL = 'io.devcoin.workshop.test';
const host = new Docker({ socketPath: '/var/run/docker.sock' });

let user: OsUser;
let pkg: string;
let stubs: string;
const timings: Record<string, number> = {};
const transcript: string[] = [];

/** the CLI as the user, from its own checkout; the result's first lines go to the transcript */
async function cli(args: string[], env: Record<string, string> = {}, timeout?: number) {
  const t = Date.now();
  const r = await asUser(user, 'node', [join(pkg, 'bin', 'devcoin-workshop'), ...args], { DEVCOIN_HOME: join(user.home, 'devcoin'), ...env }, timeout);
  transcript.push(`$ devcoin-workshop ${args.join(' ')}  -> exit ${r.exitCode} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

async function removeEngine(): Promise<void> {
  for (const c of await host.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=46-nonroot`] } })) {
    await host.getContainer(c.Id).remove({ force: true, v: true });
  }
}

beforeAll(async () => {
  const t = Date.now();
  await removeEngine();
  user = await createDockerUser(USER);
  // the user's own checkout: a copy it owns (so npm run build can write dist/), with the
  // node_modules and the stack bundles of this one (hard links: read only, never written)
  pkg = userDir(user, join(user.home, 'devcoin-workshop'), 0o755);
  const files = (await execa('git', ['ls-files', '-z'], { cwd: packageRoot })).stdout.split('\0').filter((f) => f && existsSync(join(packageRoot, f)));
  await execa('tar', ['-C', packageRoot, '--null', '-T', '-', '-c', '-f', '-'], { input: files.join('\0'), encoding: 'buffer' }).then((r) =>
    execa('tar', ['-C', pkg, '-x', '-f', '-'], { input: r.stdout }),
  );
  for (const s of readdirSync(join(packageRoot, 'stack'))) {
    const dist = join(packageRoot, 'stack', s, 'dist');
    if (existsSync(dist)) await execa('cp', ['-a', dist, join(pkg, 'stack', s)]);
  }
  await execa('chown', ['-R', '--no-dereference', `${user.uid}:${user.gid}`, pkg]);
  // after the chown: hard links share their owner with this checkout's files, which stay as they are
  await linkOrCopy(join(packageRoot, 'node_modules'), pkg);
  // an apt-get and a sudo that only record that they were called: nothing here may try them
  stubs = userDir(user, join(user.home, 'stubs'), 0o755);
  for (const name of ['apt-get', 'sudo']) {
    writeFileSync(join(stubs, name), `#!/bin/sh\necho "$0 $*" >> ${join(user.home, 'stub-calls')}\nexit 100\n`);
    chmodSync(join(stubs, name), 0o755);
  }
  timings.user = Date.now() - t;
}, 300_000);

afterAll(async () => {
  if (user) await cli(['--lab', LAB, 'lab', 'down']).catch(() => {});
  await removeEngine();
  if (user) await removeUser(user);
  // the user is gone, with its processes and home
  expect((await execa('id', [USER], { reject: false })).exitCode).not.toBe(0);
  console.log(`46-nonroot timings (ms): ${JSON.stringify(timings)}\n46-nonroot transcript:\n${transcript.join('\n')}`);
}, 300_000);

describe('the quick start as a user in the docker group, not root', { timeout: 600_000 }, () => {
  it('prepare (npm, engine, build, setup) runs without apt and without root', async () => {
    const t = Date.now();
    const r = await asUser(user, 'bash', [join(pkg, 'scripts', 'prepare.sh')], { PATH: `${stubs}:${USER_PATH}`, DEVCOIN_HOME: join(user.home, 'devcoin') });
    timings.prepare = Date.now() - t;
    transcript.push(`$ bash scripts/prepare.sh  -> exit ${r.exitCode} in ${(timings.prepare / 1000).toFixed(1)} s: ${String(r.stderr).split('\n').filter((l) => l.startsWith('ensure-engine')).join(' / ')}`);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync(join(user.home, 'stub-calls'))).toBe(false);
    expect(String(r.stderr)).toMatch(/^ensure-engine: engine answers/m);
    // the images root made are current for the user's checkout: nothing was built
    expect(String(r.stdout) + String(r.stderr)).toMatch(new RegExp(`setup done in [\\d.]+s: 0 built, ${Object.keys(IMAGES).length} current`));
  });

  /** a PATH with everything of /usr/bin and /bin but `without` (and the apt-get/sudo stubs first) */
  const pathWithout = (name: string, without: string[]) => {
    const bin = userDir(user, join(user.home, name), 0o755);
    for (const dir of ['/usr/bin', '/bin']) {
      for (const f of readdirSync(dir)) if (!without.includes(f) && !existsSync(join(bin, f))) symlinkSync(join(dir, f), join(bin, f));
    }
    return `${stubs}:${bin}`;
  };

  it('what the user cannot install is named in one line, and the run goes on', async () => {
    const r = await asUser(user, 'bash', [join(pkg, 'scripts', 'ensure-engine.sh')], { PATH: pathWithout('no-openssl', ['openssl']) });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr).split('\n').filter(Boolean)).toEqual([
      "ensure-engine: not installing openssl (not root): openssl makes the lab's certificates (lab up fails without it) — ask an admin to run: sudo apt-get install openssl",
      expect.stringMatching(/^ensure-engine: engine answers \(\d+\.\d+/),
    ]);
    expect(existsSync(join(user.home, 'stub-calls'))).toBe(false);
    // no docker command at all: one line, exit 1, still no apt (and no waiting for the dockerd that runs)
    const none = await asUser(user, 'bash', [join(pkg, 'scripts', 'ensure-engine.sh')], { PATH: pathWithout('no-docker', ['docker']) });
    expect(none.exitCode).toBe(1);
    expect(String(none.stderr).split('\n').filter(Boolean)).toEqual([
      `ensure-engine: no docker command here, and as ${USER} (not root) I install nothing — ask an admin to install Docker (sudo apt-get install docker.io docker-cli, or https://docs.docker.com/engine/install/), then run this again`,
    ]);
    expect(existsSync(join(user.home, 'stub-calls'))).toBe(false);
  });

  it('outside the docker group: ensure-engine and doctor each say so in one line', async () => {
    const t = Date.now();
    const r = await asUserWithoutGroups(user, 'bash', [join(pkg, 'scripts', 'ensure-engine.sh')], { PATH: `${stubs}:${USER_PATH}` });
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).split('\n').filter(Boolean)).toEqual([
      `ensure-engine: the Docker engine is there but not yours to use (permission denied on its socket) — ask an admin to add you to the docker group (sudo usermod -aG docker ${USER}), log in again, then run this again`,
    ]);
    const d = await asUserWithoutGroups(user, 'node', [join(pkg, 'bin', 'devcoin-workshop'), 'doctor'], { DEVCOIN_HOME: join(user.home, 'devcoin') });
    expect(d.exitCode).toBe(3);
    expect(errorLines(String(d.stderr))).toEqual([expect.stringMatching(/^devcoin-workshop: not allowed to use the Docker engine at unix:\/\/\/var\/run\/docker\.sock .* — add yourself to the docker group \(then log in again\) or run as root$/)]);
    expect(existsSync(join(user.home, 'stub-calls'))).toBe(false);
    timings.outsideGroup = Date.now() - t;
  });

  it('doctor says who the user is: in the docker group, not root', async () => {
    const t = Date.now();
    const r = await cli(['--json', 'doctor']);
    timings.doctor = Date.now() - t;
    const report = JSON.parse(String(r.stdout));
    const by = (id: string) => report.checks.find((c: { id: string }) => c.id === id);
    expect(report.host.user).toEqual({ name: USER, uid: user.uid, kind: 'docker-group' });
    expect(by('user')).toMatchObject({ status: 'pass', summary: `running as ${USER}, in the docker group: the engine socket is yours (root-equivalent on this machine); sysctl fixes need sudo` });
    expect(by('engine').status).toBe('pass');
    // a nested engine starts for this user too, and the images are there
    expect(by('nested').status).toBe('pass');
    expect(by('images').status).toBe('pass');
    expect(report.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('setup skips every image root built, without root', async () => {
    const t = Date.now();
    const r = await cli(['--json', 'setup']);
    timings.setup = Date.now() - t;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const images = JSON.parse(String(r.stdout)).images as { name: string; status: string }[];
    expect(images).toHaveLength(Object.keys(IMAGES).length);
    expect(images.filter((i) => i.status !== 'current')).toEqual([]);
  });

  it('lab up --swarm and lab down, as the user', async () => {
    let t = Date.now();
    const up = await cli(['--lab', LAB, 'lab', 'up', '--swarm']);
    timings.labUp = Date.now() - t;
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const ls = JSON.parse(String((await cli(['--lab', LAB, '--json', 'lab', 'ls'])).stdout));
    expect(ls.nodes.map((n: { name: string; state: string }) => `${n.name} ${n.state}`)).toEqual(['node1', 'node2', 'node3', 'node4', 'node5'].map((n) => `${n} running`));
    const nodes = await cli(['--lab', LAB, '--json', 'lab', 'exec', 'node1', '--', 'docker', 'node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']);
    const lines = (JSON.parse(String(nodes.stdout)).stdout as string).trim().split('\n').sort();
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => / Ready/.test(l))).toBe(true);
    expect(lines.filter((l) => /Leader|Reachable/.test(l))).toHaveLength(3);
    // the lab's files are the user's, under its DEVCOIN_HOME
    expect(existsSync(join(user.home, 'devcoin', 'labs', LAB))).toBe(true);
    t = Date.now();
    const down = await cli(['--lab', LAB, 'lab', 'down']);
    timings.labDown = Date.now() - t;
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(await host.listContainers({ all: true, filters: { label: [`io.devcoin.workshop.lab=${LAB}`] } })).toHaveLength(0);
  });

  it('offline on an empty engine: setup names `images load` in one line, and images load is that way', async () => {
    // a student's fresh engine: nothing in it, no registry to pull from; its socket the user's group's
    const dir = userDir(user, join(user.home, 'engine'), 0o750);
    await execa('chgrp', [user.socketGroup, dir]);
    const c = await host.createContainer({
      name: ENGINE,
      Image: IMAGES.node,
      Cmd: ['-H', 'unix:///engine/docker.sock', '--group', String(statSync('/var/run/docker.sock').gid)],
      Labels: { [TEST_LABEL]: '46-nonroot' },
      HostConfig: { ...dindHostConfig(), Binds: [`${dir}:/engine`] },
    });
    await c.start();
    const DOCKER_HOST = `unix://${join(dir, 'docker.sock')}`;
    for (let i = 0; ; i++) {
      if ((await asUser(user, 'docker', ['-H', DOCKER_HOST, 'version'])).exitCode === 0) break;
      if (i > 60) throw new Error('the empty engine did not answer within 30 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    let t = Date.now();
    const r = await cli(['setup'], { DOCKER_HOST });
    timings.setupOffline = Date.now() - t;
    expect(r.exitCode).toBe(1);
    expect(errorLines(String(r.stderr))).toEqual([
      'devcoin-workshop: cannot make the base image devcoin/base:trixie: debian:trixie-slim cannot be pulled (no registry answers), and making it with debootstrap needs root — ' +
        'run `sudo devcoin-workshop setup` once, or, offline: `devcoin-workshop images load FILE` with a file that `devcoin-workshop images save FILE` wrote on a machine that has the images',
    ]);
    expect(String((await asUser(user, 'docker', ['-H', DOCKER_HOST, 'images', '-q'])).stdout).trim()).toBe('');
    // the way it names: a file saved where the images are (this machine's engine), loaded into the empty one
    const file = join(user.home, 'base.tar');
    const save = await cli(['images', 'save', file, IMAGES.base]);
    expect(save.exitCode, String(save.stderr)).toBe(0);
    t = Date.now();
    const load = await cli(['images', 'load', file], { DOCKER_HOST });
    timings.imagesLoad = Date.now() - t;
    expect(load.exitCode, String(load.stderr)).toBe(0);
    expect(String(load.stdout)).toMatch(/^loaded devcoin\/base:trixie$/m);
    const ls = JSON.parse(String((await cli(['--json', 'images', 'ls'], { DOCKER_HOST })).stdout));
    expect(ls.images.find((i: { name: string }) => i.name === IMAGES.base).status).toBe('current');
  });
});
