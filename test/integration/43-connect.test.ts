// The second lab provider, `lab connect`: the demo lab's five engines, reached over their TLS
// endpoints as if they were remote machines, driven by chapters and verify exactly like the
// built-in lab; nodes it cannot stop are refused with one line. Then `reset` and `lab down` of
// the demo lab, which must leave look-alikes alone. Runs after 42-negative, on its lab.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { cli, errorLines } from '../helpers/cli.js';
import { DEMO_LAB, demoEnv } from '../helpers/demo-lab.js';
import { join } from 'node:path';
import { IMAGES } from '../../src/images/catalog.js';

const REMOTE = 'ciremote';
const host = new Docker({ socketPath: '/var/run/docker.sock' });
const lookalike = { container: `${DEMO_LAB}-node1-old`, volume: `${DEMO_LAB}-node1-data-old`, network: `devcoin-${DEMO_LAB}-old` };

const remote = (args: string[], timeout?: number) => cli(['--lab', REMOTE, ...args], demoEnv, timeout);

beforeAll(async () => {
  const ls = await cli(['--lab', DEMO_LAB, 'lab', 'ls'], demoEnv);
  if (ls.exitCode !== 0) expect((await cli(['--lab', DEMO_LAB, 'lab', 'up'], demoEnv)).exitCode).toBe(0);
  // things with this lab's name in theirs, but not its label
  await host.createVolume({ Name: lookalike.volume });
  await host.createNetwork({ Name: lookalike.network });
  const c = await host.createContainer({ name: lookalike.container, Image: IMAGES.busybox, Cmd: ['sleep', '600'] });
  await c.start();
}, 600_000);

afterAll(async () => {
  await remote(['lab', 'down']);
  await host.getContainer(lookalike.container).remove({ force: true }).catch(() => {});
  await host.getVolume(lookalike.volume).remove().catch(() => {});
  await host.getNetwork(lookalike.network).remove().catch(() => {});
});

describe('lab connect: existing engines as the lab', { timeout: 600_000 }, () => {
  it('connects to five engines over TLS and lists them', async () => {
    // the machines' owner has a swarm of their own, with a service and a secret whose names the
    // chapters' catch-ups use: the lab must never remove them without asking
    expect((await cli(['--lab', DEMO_LAB, 'lab', 'up', '--swarm'], demoEnv)).exitCode).toBe(0);
    const own = await cli(['--lab', DEMO_LAB, 'lab', 'exec', 'node1', '--', 'sh', '-c',
      'docker service inspect registry >/dev/null 2>&1 || docker service create --detach --name registry busybox sleep 100000 >/dev/null; ' +
      'docker secret inspect redis_password >/dev/null 2>&1 || echo owner-secret | docker secret create redis_password - >/dev/null'], demoEnv);
    expect(own.exitCode, String(own.stderr)).toBe(0);
    const nodes = JSON.parse(String((await cli(['--lab', DEMO_LAB, '--json', 'lab', 'ls'], demoEnv)).stdout)).nodes as { name: string; port: number }[];
    expect(nodes).toHaveLength(5);
    // the demo lab's own client certificates, where `lab env` points a docker CLI: what a user would give connect
    const certs = JSON.parse(String((await cli(['--lab', DEMO_LAB, '--json', 'lab', 'env', 'node1'], demoEnv)).stdout)).DOCKER_CERT_PATH as string;
    const tls = { ca: join(certs, 'ca.pem'), cert: join(certs, 'cert.pem'), key: join(certs, 'key.pem') };
    const r = await remote(
      ['lab', 'connect', ...nodes.map((n) => `${n.name}=tcp://127.0.0.1:${n.port}`), '--tlscacert', tls.ca, '--tlscert', tls.cert, '--tlskey', tls.key],
      600_000,
    );
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const ls = JSON.parse(String((await remote(['--json', 'lab', 'ls'])).stdout));
    expect(ls.nodes.map((n: { name: string }) => n.name)).toEqual(['node1', 'node2', 'node3', 'node4', 'node5']);
    for (const n of ls.nodes) {
      expect(n.state).toBe('running');
      expect(n.engine).toMatch(/^\d+\.\d+/);
      expect(n.address).toMatch(/^10\.213\.\d+\.\d+$/);
    }
  });

  it('runs commands on a machine through its engine only', async () => {
    const r = await remote(['--json', 'lab', 'exec', 'node3', '--', 'sh', '-c', 'hostname; test -f /workshop/compose.yml && echo sources']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(String(r.stdout)).stdout.split('\n')).toEqual(['node3', 'sources', '']);
  });

  it('a catch-up lists what was on the machines before lab connect and removes nothing without --yes', async () => {
    // the demo's swarm, stack, registry, secret and images were there when the machines were connected
    const r = await remote(['goto', 'swarm'], 600_000);
    expect(r.exitCode).toBe(2);
    const line = errorLines(String(r.stderr));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/^devcoin-workshop: catching up to swarm would remove \d+ thing\(s\) that were on these machines before lab connect: /);
    for (const n of ['node1', 'node2', 'node3']) expect(line[0]).toMatch(new RegExp(`${n}: its membership in swarm \\w+ \\(docker swarm leave --force\\)`));
    for (const n of ['node4', 'node5']) expect(line[0]).toMatch(new RegExp(`${n}: its membership in a swarm, as worker node \\w+ \\(docker swarm leave --force\\)`));
    expect(line[0]).toMatch(/ — run it again with --yes to remove them anyway$/);
    // nothing changed: node1 still manages the same swarm with the owner's service
    const ls = await remote(['--json', 'lab', 'exec', 'node1', '--', 'docker', 'service', 'ls', '--format', '{{.Name}}']);
    expect(JSON.parse(String(ls.stdout)).stdout).toMatch(/^registry$/m);
    // a later chapter's catch-up names the owner's objects it would remove, by name
    const later = await remote(['goto', 'secrets'], 600_000);
    expect(later.exitCode).toBe(2);
    expect(String(later.stderr)).toMatch(/service registry/);
    expect(String(later.stderr)).toMatch(/secret redis_password/);
    expect(String(later.stderr)).not.toMatch(/membership in/);
  });

  it('a chapter runs and verifies on the connected machines', async () => {
    expect((await remote(['goto', 'swarm', '--yes'], 600_000)).exitCode).toBe(0);
    const run = await remote(['run', 'swarm'], 600_000);
    expect(run.exitCode, String(run.stderr)).toBe(0);
    const v = await remote(['--json', 'verify', 'swarm', '--timeout', '60']);
    expect(JSON.parse(String(v.stdout)).checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(v.exitCode).toBe(0);
  });

  it('never stops a real machine: lab stop and a chapter that stops nodes say so in one line', async () => {
    const stop = await remote(['lab', 'stop', 'node2']);
    expect(stop.exitCode).toBe(1);
    expect(errorLines(String(stop.stderr))).toEqual([expect.stringMatching(/nodes of lab ciremote are real machines — stop them yourself/)]);
    expect((await remote(['goto', 'drain'], 600_000)).exitCode).toBe(0);
    const run = await remote(['run', 'drain'], 600_000);
    expect(run.exitCode).toBe(1);
    expect(errorLines(String(run.stderr)).pop()).toMatch(/needs to stop node\d( node\d)* — stop those machines by hand, then run verify/);
  });

  it('lab down of a connected lab removes only its shell containers; the machines keep their swarm', async () => {
    const r = await remote(['--json', 'lab', 'down']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).removed.containers).toBe(5);
    const ls = await cli(['--lab', DEMO_LAB, '--json', 'lab', 'exec', 'node1', '--', 'docker', 'node', 'ls', '-q'], demoEnv);
    expect(JSON.parse(String(ls.stdout)).stdout.trim().split('\n')).toHaveLength(5);
    expect((await remote(['lab', 'ls'])).exitCode).not.toBe(0);
  });
});

describe('reset and lab down of the demo lab', { timeout: 600_000 }, () => {
  it('reset --yes brings progress and lab back to the start; look-alikes survive', async () => {
    const r = await cli(['--lab', DEMO_LAB, 'reset', '--yes'], demoEnv, 600_000);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const list = JSON.parse(String((await cli(['--lab', DEMO_LAB, '--json', 'list'], demoEnv)).stdout));
    expect(list.chapters[0].status).toBe('current');
    expect((await host.getContainer(lookalike.container).inspect()).State.Running).toBe(true);
  });

  it('lab down removes the lab; look-alikes survive', async () => {
    const r = await cli(['--lab', DEMO_LAB, 'lab', 'down'], demoEnv);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const filters = { label: [`io.devcoin.workshop.lab=${DEMO_LAB}`] };
    expect(await host.listContainers({ all: true, filters })).toHaveLength(0);
    expect((await host.getContainer(lookalike.container).inspect()).State.Running).toBe(true);
    await host.getVolume(lookalike.volume).inspect();
    await host.getNetwork(lookalike.network).inspect();
  });
});
