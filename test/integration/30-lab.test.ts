// The lab on the real host engine: five engines in containers, TLS, the hub, swarm forming,
// quorum loss and recovery, and a `lab down` that removes exactly what the lab made.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execa } from 'execa';
import { statSync, writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import Docker from 'dockerode';
import { cli, bin, tempHome, errorLines } from '../helpers/cli.js';
import { openLab } from '../../src/lab/index.js';
import type { Lab } from '../../src/lab/index.js';

const LAB = 'citest';
const home = tempHome('devcoin-lab-');
const env = { DEVCOIN_HOME: home };
const host = new Docker({ socketPath: '/var/run/docker.sock' });
const lookalike = { container: `${LAB}-node1-lookalike`, network: `devcoin-${LAB}-lookalike`, volume: `${LAB}-node1-data-lookalike` };
let lab: Lab;
/** the environment of a shell where `eval "$(devcoin-workshop lab env node1)"` ran */
let labEnv: Record<string, string> = env;

async function removeLookalikes() {
  await host.getContainer(lookalike.container).remove({ force: true }).catch(() => {});
  await host.getNetwork(lookalike.network).remove().catch(() => {});
  await host.getVolume(lookalike.volume).remove().catch(() => {});
}

beforeAll(async () => {
  process.env.DEVCOIN_HOME = home;
  await cli(['--lab', LAB, 'lab', 'down'], env);
  await removeLookalikes();
  // things with look-alike names (one even labelled for another lab) that lab down must not touch
  await host.createNetwork({ Name: lookalike.network, Labels: { 'io.devcoin.workshop.lab': 'other-lab' } });
  await host.createVolume({ Name: lookalike.volume });
  const c = await host.createContainer({ name: lookalike.container, Image: 'devcoin/busybox:latest', Cmd: ['sleep', '600'] });
  await c.start();
  const up = await cli(['--lab', LAB, 'lab', 'up'], env);
  expect(up.exitCode, String(up.stderr)).toBe(0);
  lab = await openLab(LAB);
});

afterAll(async () => {
  await cli(['--lab', LAB, 'lab', 'down'], env);
  await removeLookalikes();
});

describe('lab', () => {
  it('a second lab up changes nothing and says so', async () => {
    const r = await cli(['--lab', LAB, 'lab', 'up'], env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('already up; nothing changed');
  });

  it('lab up --swarm gives 3 managers (one leader) and 2 workers, all Ready, read over TLS', async () => {
    const t0 = Date.now();
    const r = await cli(['--lab', LAB, 'lab', 'up', '--swarm'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    console.log(`lab up --swarm on a running lab: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const nodes = await (await lab.engine('node1')).listNodes();
    expect(nodes).toHaveLength(5);
    expect(nodes.filter((n) => n.Spec?.Role === 'manager')).toHaveLength(3);
    expect(nodes.filter((n) => n.Spec?.Role === 'worker')).toHaveLength(2);
    expect(nodes.filter((n) => n.ManagerStatus?.Leader)).toHaveLength(1);
    expect(nodes.every((n) => n.Status?.State === 'ready')).toBe(true);
  });

  it('lab ls --json lists every node with address and swarm role', async () => {
    const r = await cli(['--lab', LAB, '--json', 'lab', 'ls'], env);
    const data = JSON.parse(String(r.stdout));
    expect(data.nodes.map((n: { name: string }) => n.name)).toEqual(['node1', 'node2', 'node3', 'node4', 'node5']);
    expect(data.nodes.map((n: { swarm: string }) => n.swarm)).toEqual(['manager', 'manager', 'manager', 'worker', 'worker']);
    expect(data.nodes.every((n: { address: string }) => /^10\.213\.\d+\.\d+$/.test(n.address))).toBe(true);
  });

  // a lost quorum and its recovery (lab stop, lab start, same addresses): tested once, in 42-negative

  it('a worker pulls busybox with no internet, through the hub', async () => {
    const r = await cli(['--lab', LAB, 'lab', 'exec', 'node4', '--', 'sh', '-c', 'docker pull -q busybox && docker run --rm busybox echo ok'], env);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/\bok\b/);
  });

  it('no node can push into the hub (every lab shares its storage): it is read-only for them', async () => {
    const push = await cli(['--lab', LAB, 'lab', 'exec', 'node2', '--', 'sh', '-c', 'docker tag busybox hub:5000/library/busybox:poison && docker push hub:5000/library/busybox:poison'], env);
    expect(push.exitCode, String(push.stdout) + String(push.stderr)).not.toBe(0);
    const tags = await cli(['--lab', LAB, 'lab', 'exec', 'node2', '--', 'curl', '-fs', 'http://hub:5000/v2/library/busybox/tags/list'], env);
    expect(tags.exitCode).toBe(0);
    expect(JSON.parse(String(tags.stdout)).tags).toEqual(['latest']);
    // the writable seeder is not on the lab network, and stopped once seeding is done
    const reach = await cli(['--lab', LAB, 'lab', 'exec', 'node2', '--', 'sh', '-c', `curl -s --max-time 3 http://${LAB}-hub-seeder:5000/v2/ || echo unreachable`], env);
    expect(String(reach.stdout)).toMatch(/unreachable/);
    const seeder = await host.listContainers({ all: true, filters: { label: [`io.devcoin.workshop.lab=${LAB}`, 'io.devcoin.workshop.kind=hub-seeder'] } });
    expect(seeder.map((c) => c.State)).toEqual(['exited']);
  });

  it('lab env points the host docker CLI at a node over TLS', async () => {
    const r = await cli(['--lab', LAB, 'lab', 'env', 'node1'], env);
    const vars = Object.fromEntries(
      String(r.stdout).split('\n').filter((l) => l.startsWith('export ')).map((l) => l.slice(7).split('=') as [string, string]),
    );
    const v = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { env: vars });
    // the engine of the node image, as its packages say (Debian's docker.io, without the Debian
    // revision: 26.1.5+dfsg1-9+b1 runs as 26.1.5+dfsg1), not a version written into the test
    const pkg = await execa('docker', ['run', '--rm', '--entrypoint', 'dpkg-query', 'devcoin/node:latest', '-W', '-f=${Version}', 'docker.io']);
    const upstream = pkg.stdout.trim().replace(/^\d+:/, '').replace(/-[^-]+$/, '');
    expect(upstream).toMatch(/^\d+\.\d+\.\d+/);
    expect(v.stdout.trim()).toBe(upstream);
  });

  it('in a shell where `eval "$(lab env node1)"` ran, every command still finds the lab', async () => {
    const r = await cli(['--lab', LAB, 'lab', 'env', 'node1'], env);
    const vars = Object.fromEntries(
      String(r.stdout).split('\n').filter((l) => l.startsWith('export ')).map((l) => l.slice(7).split('=') as [string, string]),
    );
    labEnv = { ...env, ...vars };
    // the student's docker CLI talks to node1 in that shell...
    expect((await execa('docker', ['info', '--format', '{{.Name}}'], { env: labEnv })).stdout.trim()).toBe('node1');
    // ...and the workshop's CLI still to the engine that runs the lab, saying why when asked
    const verbose = await cli(['--lab', LAB, '--verbose', 'lab', 'ls'], labEnv);
    expect(verbose.exitCode, String(verbose.stderr)).toBe(0);
    expect(String(verbose.stderr)).toMatch(/host engine: unix:\/\/\S+ \(.*DOCKER_HOST points at a node of lab citest/);
    for (const args of [['lab', 'ls'], ['lab', 'up'], ['lab', 'exec', 'node2', '--', 'hostname'], ['lab', 'env', 'node3'], ['list'], ['show', 'swarm'], ['current'], ['hint'], ['images', 'ls']]) {
      const c = await cli(['--lab', LAB, ...args], labEnv);
      expect(c.exitCode, `${args.join(' ')}: ${c.stderr}`).toBe(0);
      expect(String(c.stderr), args.join(' ')).not.toMatch(/is not up/);
    }
    const v = await cli(['--lab', LAB, '--json', 'verify', 'swarm', '--timeout', '60'], labEnv);
    expect(JSON.parse(String(v.stdout)).checks.filter((x: { ok: boolean }) => !x.ok)).toEqual([]);
    expect(v.exitCode).toBe(0);
    // lab shell runs the host's docker CLI: it too must reach the lab's engine, not node1's
    const script = (await execa('sh', ['-c', 'command -v script'])).stdout.trim(); // util-linux: a terminal
    const sh = await execa(script, ['-qefc', `${process.execPath} ${bin} --lab ${LAB} lab shell node2`, '/dev/null'], {
      reject: false, timeout: 60_000, input: 'hostname; exit 7\n', env: { NO_COLOR: '1', SHELL: '/bin/sh', ...labEnv },
    });
    // the terminal's own escapes (bracketed paste, colours) are not output: strip them
    const shOut = String(sh.stdout).replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
    expect(shOut).not.toMatch(/No such container|is not up/);
    expect(shOut).toMatch(/^node2$/m);
    expect(sh.exitCode, shOut).toBe(7);
    const stop = await cli(['--lab', LAB, 'lab', 'stop', 'node5'], labEnv);
    expect(stop.exitCode, String(stop.stderr)).toBe(0);
    expect((await host.getContainer(`${LAB}-node5`).inspect()).State.Running).toBe(false);
    const start = await cli(['--lab', LAB, 'lab', 'start', 'node5'], labEnv);
    expect(start.exitCode, String(start.stderr)).toBe(0);
    expect((await host.getContainer(`${LAB}-node5`).inspect()).State.Running).toBe(true);
  });

  it('refuses a TLS client without the lab certificate: the node, known by the lab CA, ends the handshake with "certificate required"', async () => {
    // not any connection error (a closed port's ECONNREFUSED passed before): the TLS handshake
    // reaches the node, whose certificate the lab's CA verifies, and the node refuses the client
    // for the one thing it lacks
    const port = (await lab.nodes())[0].port!;
    const ca = readFileSync(join(home, 'labs', LAB, 'certs', 'ca.pem'));
    const outcome = await new Promise<{ peer?: string; code?: string; message: string }>((resolve) => {
      let peer: string | undefined;
      const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'node1', checkServerIdentity: () => undefined, timeout: 5000 });
      s.on('secureConnect', () => {
        const cn = s.getPeerCertificate().subject?.CN;
        peer = Array.isArray(cn) ? cn.join(",") : cn;
        s.write('GET /version HTTP/1.1\r\nHost: node1\r\n\r\n');
      });
      s.on('data', (d) => resolve({ peer, message: `answered: ${String(d).split('\r\n')[0]}` }));
      s.on('error', (e: NodeJS.ErrnoException) => resolve({ peer, code: e.code, message: e.message }));
      s.on('timeout', () => (s.destroy(), resolve({ peer, message: 'no answer within 5 s' })));
    });
    expect(outcome.peer, outcome.message).toBe('node1');
    // TLS 1.3 (what Go and Node agree on): alert 116; TLS 1.2 would say bad certificate
    expect(outcome.code, outcome.message).toMatch(/^ERR_SSL_(TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_BAD_CERTIFICATE)$/);
  });

  it('keeps private keys readable by the owner only', () => {
    const keys = ['certs/ca-key.pem', 'certs/client/key.pem', 'certs/nodes/node1/server-key.pem'];
    for (const k of keys) expect((statSync(join(home, 'labs', LAB, k)).mode & 0o777).toString(8)).toBe('600');
  });

  it('a damaged client key: one line with the way out, and the lab left as it is', async () => {
    const key = join(home, 'labs', LAB, 'certs', 'client', 'key.pem');
    const good = readFileSync(key);
    writeFileSync(key, 'not a key\n');
    try {
      const r = await cli(['--lab', LAB, 'lab', 'ls'], env);
      expect(r.exitCode).toBe(1);
      expect(errorLines(String(r.stderr))).toEqual([expect.stringMatching(/certificates of lab citest in .* are damaged — remove the lab and make it again/)]);
    } finally {
      writeFileSync(key, good, { mode: 0o600 });
    }
    expect((await cli(['--lab', LAB, 'lab', 'ls'], env)).exitCode).toBe(0);
  });

  it('a port taken while a node was stopped: one line, and the node starts once it is free', async () => {
    const node5 = (await lab.nodes()).find((n) => n.name === 'node5')!;
    expect((await cli(['--lab', LAB, 'lab', 'stop', 'node5'], env)).exitCode).toBe(0);
    const squatter = createServer().listen(node5.port, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const r = await cli(['--lab', LAB, 'lab', 'start', 'node5'], env);
      expect(r.exitCode).toBe(1);
      expect(errorLines(String(r.stderr))).toEqual([expect.stringMatching(new RegExp(`port ${node5.port} on 127.0.0.1 is taken by another program`))]);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    const again = await cli(['--lab', LAB, 'lab', 'start', 'node5'], env);
    expect(again.exitCode, String(again.stderr)).toBe(0);
  });

  it('unknown node: exit 2 and one line naming the real ones', async () => {
    const r = await cli(['--lab', LAB, 'lab', 'stop', 'node9'], env);
    expect(r.exitCode).toBe(2);
    expect(errorLines(String(r.stderr))).toEqual(['devcoin-workshop: unknown node "node9" — the nodes are node1, node2, node3, node4, node5']);
  });

  it('a lab that is not up: one line that says how', async () => {
    const r = await cli(['--lab', 'nosuchlab', 'lab', 'ls'], env);
    expect(r.exitCode).toBe(1);
    expect(errorLines(String(r.stderr))).toEqual(['devcoin-workshop: lab nosuchlab is not up — run `devcoin-workshop --lab nosuchlab lab up`']);
  });

  it('a second lab up while one runs is refused by the lock', async () => {
    const dir = join(home, 'labs', LAB);
    mkdirSync(dir, { recursive: true });
    // a live process that holds the lock (this test runner)
    writeFileSync(join(dir, 'lock'), `${process.pid} lab up\n`);
    try {
      const r = await cli(['--lab', LAB, 'lab', 'up'], env);
      expect(r.exitCode).toBe(1);
      expect(errorLines(String(r.stderr))[0]).toMatch(/another `lab up` is running on lab citest/);
    } finally {
      writeFileSync(join(dir, 'lock'), '999999999 lab up\n'); // a dead owner: the lock is stale
    }
    const r2 = await cli(['--lab', LAB, 'lab', 'up'], env);
    expect(r2.exitCode, String(r2.stderr)).toBe(0);
  });

  it('lab down removes exactly what the lab made; look-alikes survive', async () => {
    // from the student's shell of `lab env node1`, as the README's flow leaves it
    const r = await cli(['--lab', LAB, 'lab', 'down'], labEnv);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const filters = { label: [`io.devcoin.workshop.lab=${LAB}`] };
    expect(await host.listContainers({ all: true, filters })).toHaveLength(0);
    expect((await host.listVolumes({ filters })).Volumes ?? []).toHaveLength(0);
    expect(await host.listNetworks({ filters })).toHaveLength(0);
    expect(existsSync(join(home, 'labs', LAB, 'certs'))).toBe(false);
    expect((await host.getContainer(lookalike.container).inspect()).State.Running).toBe(true);
    await host.getNetwork(lookalike.network).inspect();
    await host.getVolume(lookalike.volume).inspect();
  });
});
