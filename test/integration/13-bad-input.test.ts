// Bad input that needs no lab: each gets one clear line, an exit code that means something,
// and changes nothing. (Lab-level bad input is in 30-lab; stack-level in 20-stack-redis.)
import { describe, it, expect, afterAll } from 'vitest';
import Docker from 'dockerode';
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, cli, errorLines, fakeLabNode, tempHome } from '../helpers/cli.js';
import { IMAGES } from '../../src/images/catalog.js';

const host = new Docker({ socketPath: '/var/run/docker.sock' });
const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((id) => host.getContainer(id).remove({ force: true }).catch(() => {})));
});

/** Exactly one error line, matching `re`, and nothing on stdout. */
function oneLine(r: { stdout: unknown; stderr: unknown }, re: RegExp) {
  const lines = errorLines(String(r.stderr));
  expect(lines, String(r.stderr)).toHaveLength(1);
  expect(lines[0]).toMatch(/^devcoin-workshop: /);
  expect(lines[0]).toMatch(re);
  expect(String(r.stderr)).not.toMatch(/\n\s+at .*\(/); // no stack trace
}

describe('bad input, refused in one line', () => {
  it('an engine this user may not use: exit 3, says how to get access', async () => {
    const home = tempHome();
    chmodSync(home, 0o777);
    const r = await execa('runuser', ['-u', 'nobody', '--', process.execPath, bin, 'doctor'], {
      reject: false,
      env: { NO_COLOR: '1', DEVCOIN_HOME: home, HOME: home, PATH: process.env.PATH },
    });
    expect(r.exitCode).toBe(3);
    oneLine(r, /not allowed to use the Docker engine .* — add yourself to the docker group/);
  });

  it('no engine at all, for setup too: exit 3', async () => {
    const r = await cli(['setup'], { DOCKER_HOST: 'tcp://127.0.0.1:1' });
    expect(r.exitCode).toBe(3);
    oneLine(r, /no Docker engine answers/);
  });

  it('an unknown command, chapter or option value: exit 2 with a suggestion', async () => {
    const home = tempHome();
    const cmd = await cli(['demoo'], { DEVCOIN_HOME: home });
    expect(cmd.exitCode).toBe(2);
    expect(String(cmd.stderr)).toMatch(/demo/);
    const ch = await cli(['show', 'swarn'], { DEVCOIN_HOME: home });
    expect(ch.exitCode).toBe(2);
    oneLine(ch, /unknown chapter "swarn" — did you mean "swarm"/);
    const m0 = await cli(['--lab', 'cibad', 'lab', 'up', '--managers', '0'], { DEVCOIN_HOME: home });
    expect(m0.exitCode).toBe(2);
    oneLine(m0, /at least one manager/);
    const mx = await cli(['--lab', 'cibad', 'lab', 'up', '--managers', 'three'], { DEVCOIN_HOME: home });
    expect(mx.exitCode).toBe(2);
    oneLine(mx, /--managers must be a whole number/);
    // nothing was made for that lab
    expect(await host.listContainers({ all: true, filters: { label: ['io.devcoin.workshop.lab=cibad'] } })).toHaveLength(0);
  });

  it('a disk too full for setup: refused before anything is built', async () => {
    const before = (await host.listImages()).map((i) => i.Id).sort();
    const r = await cli(['setup', '--force'], { DEVCOIN_MIN_FREE_GIB: '1000000' });
    expect(r.exitCode).toBe(1);
    oneLine(r, /free on .*setup needs .* — free some disk space/);
    expect((await host.listImages()).map((i) => i.Id).sort()).toEqual(before);
  });

  it('a damaged progress file: one line with the way out, and the file left as it was', async () => {
    const home = tempHome();
    mkdirSync(join(home, 'labs', 'devcoin'), { recursive: true });
    const file = join(home, 'labs', 'devcoin', 'progress.json');
    writeFileSync(file, '{"current": ');
    const r = await cli(['list'], { DEVCOIN_HOME: home });
    expect(r.exitCode).toBe(1);
    oneLine(r, /progress file .* is damaged — run `devcoin-workshop reset --progress-only --yes`/);
    expect(readFileSync(file, 'utf8')).toBe('{"current": ');
  });

  it('a lab made by another version is refused, and left alone', async () => {
    const c = await host.createContainer({
      name: `ciold-node1-${process.pid}`,
      Image: IMAGES.busybox,
      Cmd: ['sleep', '600'],
      Labels: { 'io.devcoin.workshop.lab': 'ciold', 'io.devcoin.workshop.kind': 'node', 'io.devcoin.workshop.node': 'node1', 'io.devcoin.workshop.lab-version': '0' },
    });
    made.push(c.id);
    await c.start();
    const r = await cli(['--lab', 'ciold', 'lab', 'up'], { DEVCOIN_HOME: tempHome() });
    expect(r.exitCode).toBe(1);
    oneLine(r, /lab ciold was made by another version of devcoin-workshop — remove it with `devcoin-workshop lab down --lab ciold`/);
    expect((await c.inspect()).State.Running).toBe(true);
  });

  it('verify --timeout that is not a number of seconds: exit 2 at once (it waited forever)', async () => {
    // a lab that is up (a stand-in node), so verify would get as far as waiting for its checks
    const home = tempHome();
    made.push(await fakeLabNode('citimeout', home));
    for (const bad of ['abc', '-5', '', '1e3x', 'Infinity']) {
      const r = await cli(['--lab', 'citimeout', 'verify', '--timeout', bad], { DEVCOIN_HOME: home }, 30_000);
      expect(r.timedOut, `--timeout "${bad}" hung`).toBe(false);
      expect(r.exitCode, `--timeout "${bad}"`).toBe(2);
      oneLine(r, /--timeout must be a number of seconds, 0 or more .* — e\.g\. --timeout 30/);
      expect(r.stdout).toBe('');
    }
    // 0 is one pass, no waiting (the bench times verify so): the checks run and fail on the
    // stand-in node, which has no engine to answer them (exit 1, not a usage error)
    const once = await cli(['--lab', 'citimeout', 'verify', '--timeout', '0'], { DEVCOIN_HOME: home }, 30_000);
    expect(once.timedOut).toBe(false);
    expect(once.exitCode, String(once.stderr)).toBe(1);
  });

  it('lab shell needs no docker CLI on this machine: a shell in the node through the engine API, its exit code passed through', async () => {
    const home = tempHome();
    made.push(await fakeLabNode('cishell', home));
    // a terminal (lab shell needs one) and a PATH where no docker is
    const emptyBin = mkdtempSync(join(tmpdir(), 'devcoin-nobin-'));
    const script = (await execa('sh', ['-c', 'command -v script'])).stdout.trim(); // util-linux
    const r = await execa(script, ['-qefc', `${process.execPath} ${bin} --lab cishell lab shell node1`, '/dev/null'], {
      reject: false,
      timeout: 60_000,
      input: 'echo in-the-node-$((6*7)) $(hostname); exit 3\n',
      env: { NO_COLOR: '1', DEVCOIN_HOME: home, PATH: emptyBin, SHELL: '/bin/sh' },
    });
    const out = String(r.stdout).replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    expect(out).not.toMatch(/docker CLI|ENOENT|\s+at /);
    // the arithmetic ran in the node's shell (the typed line holds no "42"), on the node container
    const container = (await execa('docker', ['inspect', '-f', '{{.Config.Hostname}}', made[made.length - 1]])).stdout.trim();
    expect(out).toMatch(new RegExp(`^in-the-node-42 ${container}$`, 'm'));
    expect(r.exitCode, out).toBe(3);
  });
});
