// `lab connect` with ssh:// on real sshd: five "machines", each a container that runs sshd and
// a Docker engine, on its own address of a user-defined network where the others find it as
// node1..node5. The CLI runs as a real non-root user of this machine (in the docker group: it
// sends the shell image from the host engine) with its own ~/.ssh, as an instructor would:
// host keys in known_hosts (read from each machine out of band, never accepted blindly), the
// key in an ssh-agent (SSH_AUTH_SOCK) for the lab, in ~/.ssh/config for a second connection.
// Then chapter 2 runs and verifies on them, and `lab down` leaves the machines' own things.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import Docker from 'dockerode';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { dindHostConfig } from '../../src/docker/dind.js';
import { buildImage } from '../../src/docker/build.js';
import { IMAGES } from '../../src/images/catalog.js';
import { errorLines } from '../helpers/cli.js';
import { asUser, createDockerUser, packageFor, removeUser, userDir, type OsUser } from '../helpers/os-user.js';

const LAB = 'hsssh';
const USER = 'hsssh';
const NET = 'hsssh-net';
const TEST_LABEL = 'io.devcoin.workshop.test';
const MACHINE_IMAGE = 'devcoin-test/ssh-machine:latest';
const FIXTURE = join(packageRoot, 'test', 'fixtures', 'ssh-machine');
const NODES = ['node1', 'node2', 'node3', 'node4', 'node5'];
const host = new Docker({ socketPath: '/var/run/docker.sock' });

let user: OsUser;
let pkg: string;
let agentSock: string;
let agentPid = 0;
const addr: Record<string, string> = {};
const timings: Record<string, number> = {};

/** the CLI as the user; env: DEVCOIN_HOME, plus SSH_AUTH_SOCK unless `agent` is false */
async function cli(args: string[], opts: { agent?: boolean; lab?: string; timeout?: number } = {}) {
  const env: Record<string, string> = { DEVCOIN_HOME: join(user.home, 'devcoin') };
  if (opts.agent !== false) env.SSH_AUTH_SOCK = agentSock;
  return asUser(user, 'node', [join(pkg, 'bin', 'devcoin-workshop'), '--lab', opts.lab ?? LAB, ...args], env, opts.timeout);
}

const machine = (node: string) => `${LAB}-${node}`;
const onMachine = (node: string, script: string) => execa('docker', ['exec', machine(node), 'sh', '-c', script], { reject: false });

async function removeFixtures(): Promise<void> {
  for (const c of await host.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=44-ssh`] } })) {
    await host.getContainer(c.Id).remove({ force: true, v: true });
  }
  for (const n of await host.listNetworks({ filters: { label: [`${TEST_LABEL}=44-ssh`] } })) await host.getNetwork(n.Id).remove();
}

/** The machine image, built once and kept (its inputs' hash in a label, like setup's). */
async function machineImage(): Promise<void> {
  const files = ['Dockerfile', 'machine-entrypoint.sh'];
  const nodeId = (await host.getImage(IMAGES.node).inspect()).Id;
  const hash = createHash('sha256').update(nodeId);
  for (const f of files) hash.update(f).update(readFileSync(join(FIXTURE, f)));
  const inputs = hash.digest('hex');
  const have = await host.getImage(MACHINE_IMAGE).inspect().catch(() => undefined);
  if (have?.Config?.Labels?.[`${TEST_LABEL}.inputs`] === inputs) return;
  await buildImage(host, { context: FIXTURE, files, tag: MACHINE_IMAGE, labels: { [`${TEST_LABEL}.inputs`]: inputs } });
}

beforeAll(async () => {
  let t = Date.now();
  await removeFixtures();
  await machineImage();
  timings.image = Date.now() - t;

  // the instructor: a real user with a key of their own, not in ~/.ssh's default names
  user = await createDockerUser(USER);
  pkg = await packageFor(user);
  const keys = userDir(user, join(user.home, 'keys'));
  const ssh = userDir(user, join(user.home, '.ssh'));
  expect((await asUser(user, 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'instructor', '-f', join(keys, 'machines')])).exitCode).toBe(0);
  const publicKey = readFileSync(join(keys, 'machines.pub'), 'utf8').trim();

  t = Date.now();
  await host.createNetwork({ Name: NET, Labels: { [TEST_LABEL]: '44-ssh' } });
  for (const node of NODES) {
    const c = await host.createContainer({
      name: machine(node),
      Hostname: node,
      Image: MACHINE_IMAGE,
      Env: [`AUTHORIZED_KEY=${publicKey}`],
      Labels: { [TEST_LABEL]: '44-ssh' },
      HostConfig: { ...dindHostConfig(), NetworkMode: NET },
      NetworkingConfig: { EndpointsConfig: { [NET]: { Aliases: [node] } } },
    });
    await c.start();
    addr[node] = (await c.inspect()).NetworkSettings.Networks[NET].IPAddress;
  }
  // each machine's engine answers, and its host key is what known_hosts will say (read through
  // the host engine: the out-of-band check an instructor does on a VM's console)
  const knownHosts: string[] = [];
  for (const node of NODES) {
    for (let i = 0; ; i++) {
      if ((await onMachine(node, 'docker version >/dev/null 2>&1 && test -s /etc/ssh/ssh_host_ed25519_key.pub')).exitCode === 0) break;
      if (i > 60) throw new Error(`${machine(node)}: its engine did not answer within 30 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const key = (await onMachine(node, 'cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub')).stdout.trim();
    knownHosts.push(`${addr[node]} ${key}`);
  }
  // a machine that was reinstalled: its name in known_hosts carries another machine's old key
  const node2Key = knownHosts[1].split(' ').slice(1).join(' ');
  knownHosts.push(`reinstalled ${node2Key}`);
  writeFileSync(join(ssh, 'known_hosts'), knownHosts.join('\n') + '\n', { mode: 0o600 });
  writeFileSync(
    join(ssh, 'config'),
    [
      'Host machine1',
      `  HostName ${addr.node1}`,
      '  User root',
      '  IdentityFile ~/keys/machines',
      '  IdentitiesOnly yes',
      'Host reinstalled',
      `  HostName ${addr.node1}`,
      '  HostKeyAlias reinstalled',
      '  User root',
      '  IdentityFile ~/keys/machines',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await execa('chown', ['-R', `${user.uid}:${user.gid}`, ssh]);
  timings.machines = Date.now() - t;

  // the key goes into an ssh-agent the user starts, as after `eval $(ssh-agent); ssh-add`
  agentSock = join(user.home, 'agent.sock');
  const agent = await asUser(user, 'ssh-agent', ['-s', '-a', agentSock]);
  expect(agent.exitCode, String(agent.stderr)).toBe(0);
  agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(String(agent.stdout))?.[1]);
  expect((await asUser(user, 'ssh-add', ['-q', join(keys, 'machines')], { SSH_AUTH_SOCK: agentSock })).exitCode).toBe(0);

  // the owner's own container on node1, there before the lab is connected
  await execa('sh', ['-c', `docker save ${IMAGES.busybox} | docker exec -i ${machine('node1')} docker load -q`]);
  expect((await onMachine('node1', `docker run -d --name owners-app ${IMAGES.busybox} sleep 100000`)).exitCode).toBe(0);
}, 300_000);

afterAll(async () => {
  if (user) {
    await cli(['lab', 'down']).catch(() => {});
    await cli(['lab', 'down'], { lab: `${LAB}cfg` }).catch(() => {});
  }
  if (agentPid > 0) {
    try {
      process.kill(agentPid);
    } catch {
      /* gone */
    }
  }
  await removeFixtures();
  if (user) await removeUser(user);
  console.log(`44-ssh timings (ms): ${JSON.stringify(timings)}`);
}, 120_000);

describe('lab connect over ssh to real sshd', { timeout: 600_000 }, () => {
  it('bad input: a refused key, a wrong host and a changed host key each give one line naming the endpoint', async () => {
    // no agent, and the key is not in ~/.ssh under a default name: the machine refuses
    const refused = await cli(['lab', 'connect', `node1=ssh://root@${addr.node1}`], { agent: false });
    expect(refused.exitCode).toBe(3);
    expect(errorLines(String(refused.stderr))).toEqual([
      `devcoin-workshop: no Docker engine answers over ssh at ssh://root@${addr.node1}: root@${addr.node1}: Permission denied (publickey). — ` +
        `check that \`ssh root@${addr.node1} docker version\` works from this shell without a prompt (key in ssh-agent or ~/.ssh, host key in ~/.ssh/known_hosts)`,
    ]);
    // an address of the machines' network where no machine is
    const wrong = addr.node1.replace(/\.\d+$/, '.250');
    const gone = await cli(['lab', 'connect', `node1=ssh://root@${wrong}`]);
    expect(gone.exitCode).toBe(3);
    expect(errorLines(String(gone.stderr))).toEqual([expect.stringMatching(new RegExp(`^devcoin-workshop: no Docker engine answers over ssh at ssh://root@${wrong.replace(/\./g, '\\.')}: ssh: connect to host ${wrong.replace(/\./g, '\\.')} port 22: (No route to host|Connection timed out) — check that`))]);
    // known_hosts has another key for this name: ssh refuses, and so does the CLI (never accepts a key blindly)
    const changed = await cli(['lab', 'connect', 'node1=ssh://reinstalled']);
    expect(changed.exitCode).toBe(3);
    expect(errorLines(String(changed.stderr))).toEqual([
      'devcoin-workshop: no Docker engine answers over ssh at ssh://reinstalled: Host key verification failed. — check that `ssh reinstalled docker version` works from this shell without a prompt (key in ssh-agent or ~/.ssh, host key in ~/.ssh/known_hosts)',
    ]);
    // one good machine and one that refuses: nothing is made on the good one either
    const mixed = await cli(['lab', 'connect', `node1=ssh://root@${addr.node1}`, `node2=ssh://nobody@${addr.node2}`]);
    expect(mixed.exitCode).toBe(3);
    expect(errorLines(String(mixed.stderr))).toEqual([
      expect.stringMatching(new RegExp(`^devcoin-workshop: no Docker engine answers over ssh at ssh://nobody@${addr.node2.replace(/\./g, '\\.')}: nobody@${addr.node2.replace(/\./g, '\\.')}: Permission denied \\(publickey\\)\\. — `)),
    ]);
    // nothing was made: no lab, and no shell container on node1
    expect((await cli(['lab', 'ls'])).exitCode).not.toBe(0);
    expect((await onMachine('node1', 'docker ps -aq --filter label=io.devcoin.workshop.lab')).stdout.trim()).toBe('');
  });

  it('connects five machines with ssh://root@ADDRESS through the agent', async () => {
    const t = Date.now();
    const r = await cli(['--json', 'lab', 'connect', ...NODES.map((n) => `${n}=ssh://root@${addr[n]}`)]);
    timings.connect = Date.now() - t;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).not.toMatch(/Warning|DeprecationWarning/);
    const nodes = JSON.parse(String(r.stdout)).nodes as { name: string; address: string; role: string }[];
    expect(nodes.map((n) => [n.name, n.address, n.role])).toEqual(NODES.map((n, i) => [n, addr[n], i < 3 ? 'manager' : 'worker']));
    const ls = JSON.parse(String((await cli(['--json', 'lab', 'ls'])).stdout));
    for (const n of ls.nodes) {
      expect(n.state).toBe('running');
      expect(n.engine).toMatch(/^\d+\.\d+/);
    }
    // the command really ran on each machine, which finds the others by name
    const e = await cli(['--json', 'lab', 'exec', 'node3', '--', 'sh', '-c', 'hostname; hostname -i; getent hosts node5 | cut -d" " -f1']);
    expect(JSON.parse(String(e.stdout)).stdout.split('\n')).toEqual(['node3', addr.node3, addr.node5, '']);
  });

  it('chapter 2 (swarm) catches up, runs and verifies on the machines', async () => {
    let t = Date.now();
    const g = await cli(['goto', 'swarm']);
    expect(g.exitCode, String(g.stderr)).toBe(0);
    const run = await cli(['run', 'swarm']);
    timings.runSwarm = Date.now() - t;
    expect(run.exitCode, String(run.stderr)).toBe(0);
    t = Date.now();
    const v = await cli(['--json', 'verify', 'swarm', '--timeout', '60']);
    timings.verifySwarm = Date.now() - t;
    expect(v.exitCode, String(v.stderr)).toBe(0);
    const checks = JSON.parse(String(v.stdout)).checks as { id: string; ok: boolean; detail: string }[];
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.map((c) => c.detail).join(' | ')).toMatch(/3 managers \(node1, node2, node3\), 3 reachable, 1 leader.*2\/2 workers ready \(node4, node5\)/);
    // the swarm is the machines' own engines', seen from the machine itself
    const nodeLs = await onMachine('node1', "docker node ls --format '{{.Hostname}} {{.Status}}' | sort");
    expect(nodeLs.stdout.trim().split('\n')).toEqual(NODES.map((n) => `${n} Ready`));
  });

  it('lab down removes only the shell containers; the owner\'s container and the swarm stay', async () => {
    const r = await cli(['--json', 'lab', 'down']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).removed.containers).toBe(5);
    expect((await onMachine('node1', "docker inspect -f '{{.State.Running}}' owners-app")).stdout.trim()).toBe('true');
    for (const node of NODES) expect((await onMachine(node, 'docker ps -aq --filter label=io.devcoin.workshop.lab')).stdout.trim()).toBe('');
    expect((await onMachine('node1', "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.Nodes}}'")).stdout.trim()).toBe('active 5');
    expect((await cli(['lab', 'ls'])).exitCode).not.toBe(0);
  });

  it('a host alias from ~/.ssh/config with its IdentityFile works without an agent', async () => {
    const r = await cli(['lab', 'connect', 'node1=ssh://machine1'], { agent: false, lab: `${LAB}cfg` });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const e = await cli(['--json', 'lab', 'exec', 'node1', '--', 'hostname'], { agent: false, lab: `${LAB}cfg` });
    expect(JSON.parse(String(e.stdout)).stdout).toBe('node1\n');
    const down = await cli(['--json', 'lab', 'down'], { agent: false, lab: `${LAB}cfg` });
    expect(JSON.parse(String(down.stdout)).removed.containers).toBe(1);
    expect((await onMachine('node1', "docker inspect -f '{{.State.Running}}' owners-app")).stdout.trim()).toBe('true');
  });
});
