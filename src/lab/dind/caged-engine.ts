// The classroom's own engine on this machine: the cage its labs live in (docs/decisions.md,
// "A classroom's labs are caged"). A second dockerd, started and stopped by this tool:
// - its containers run in a user namespace (--userns-remap): root in a lab node is an unprivileged
//   user of this machine, so the host kernel's sysctls, devices and modules stay out of reach;
// - it lives in a network namespace of its own: its bridges, iptables rules and published ports are
//   there, so it never touches this machine's engine, interfaces or firewall, and a node has no
//   route to anything of this machine's;
// - this machine reaches it through its unix socket, and the nodes' published ports through a veth
//   pair (ROOM_ADDRESS), which the nodes themselves may not open a connection to.
import { raiseRoomPlumbing } from './room-cgroup.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { connect, type Endpoint, type Engine } from '../../docker/engine.js';
import { ExitCode, UserError } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import { poll, sleep } from '../../retry.js';

export const NETNS = 'devcoin-classroom';
/** the veth pair: this machine's end, and the engine's end inside its network namespace */
export const HOST_IF = 'dcw-host';
export const ROOM_IF = 'dcw-room';
export const HOST_ADDRESS = '10.212.0.1';
/** where this machine reaches the ports the classroom's nodes publish */
export const ROOM_ADDRESS = '10.212.0.2';
const PREFIX = 30;

const stateDir = () => process.env.DEVCOIN_CLASSROOM_RUN || '/run/devcoin-classroom';
const dataRoot = () => process.env.DEVCOIN_CLASSROOM_DATA || '/var/lib/devcoin-classroom';
const logFile = () => process.env.DEVCOIN_CLASSROOM_LOG || '/var/log/devcoin-classroom-dockerd.log';
export const cagedSocket = () => `${stateDir()}/docker.sock`;
const pidFile = () => `${stateDir()}/dockerd.pid`;
const dnsPidFile = () => `${stateDir()}/room-dns.pid`;

/** The classroom engine as the lab door connects to it. */
export function cagedEndpoint(): Endpoint {
  return { host: `unix://${cagedSocket()}`, source: 'the classroom engine (caged: its own user and network namespaces)', publishAddress: ROOM_ADDRESS };
}

/** Whether an endpoint is this machine's classroom engine. */
export function isCagedEndpoint(ep: Endpoint | undefined): boolean {
  return !!ep && ep.host === `unix://${cagedSocket()}`;
}

const ip = (args: string[]) => execa('ip', args, { reject: false });
const inRoom = (cmd: string, args: string[]) => execa('ip', ['netns', 'exec', NETNS, cmd, ...args], { reject: false });

async function must(what: string, p: Promise<{ exitCode?: number; stderr?: unknown }>): Promise<void> {
  const r = await p;
  if (r.exitCode !== 0) throw new UserError(`could not ${what}: ${String(r.stderr ?? '').split('\n')[0]}`, 'run as root on Linux with iproute2 (ip) installed; see docs/decisions.md');
}

/** The network namespace and the veth pair, made when missing; what exists under these names must be ours. */
async function ensureNetwork(): Promise<void> {
  const list = await ip(['netns', 'list']);
  if (!String(list.stdout).split('\n').some((l) => l.split(' ')[0] === NETNS)) await must(`make network namespace ${NETNS}`, ip(['netns', 'add', NETNS]));
  const host = await ip(['-o', '-4', 'addr', 'show', 'dev', HOST_IF]);
  if (host.exitCode === 0) {
    // an interface of this name that is not the pair this tool made is never touched
    if (!String(host.stdout).includes(`${HOST_ADDRESS}/${PREFIX}`)) {
      throw new UserError(`an interface named ${HOST_IF} exists that devcoin-workshop did not make`, `remove or rename it (ip link del ${HOST_IF}), then run the classroom again`);
    }
  } else {
    const taken = await ip(['-o', '-4', 'addr', 'show', 'to', `${HOST_ADDRESS}/${PREFIX}`]);
    if (String(taken.stdout).trim()) throw new UserError(`${HOST_ADDRESS}/${PREFIX} is already used on this machine: ${String(taken.stdout).trim().split(/\s+/)[1]}`, 'the classroom engine needs that small subnet; free it, then run the classroom again');
    await must('make the classroom engine\'s veth pair', ip(['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', ROOM_IF, 'netns', NETNS]));
    await must(`address ${HOST_IF}`, ip(['addr', 'add', `${HOST_ADDRESS}/${PREFIX}`, 'dev', HOST_IF]));
  }
  await must(`bring ${HOST_IF} up`, ip(['link', 'set', HOST_IF, 'up']));
  const room = await inRoom('ip', ['-o', '-4', 'addr', 'show', 'dev', ROOM_IF]);
  if (!String(room.stdout).includes(`${ROOM_ADDRESS}/${PREFIX}`)) await must(`address ${ROOM_IF}`, inRoom('ip', ['addr', 'add', `${ROOM_ADDRESS}/${PREFIX}`, 'dev', ROOM_IF]));
  await must(`bring ${ROOM_IF} up`, inRoom('ip', ['link', 'set', ROOM_IF, 'up']));
  await must('bring the loopback up', inRoom('ip', ['link', 'set', 'lo', 'up']));
}

/**
 * Rules inside the engine's network namespace (nothing of this machine's firewall): a node may not
 * open a connection to this machine (through the veth) nor to the namespace itself (the published
 * ports of other labs, the engine's own addresses). Replies to what this machine opened still go.
 * Docker keeps DOCKER-USER for rules like these and never flushes it; INPUT goes through a chain
 * of ours, made anew at each start.
 */
const IN_CHAIN = 'DEVCOIN-ROOM-IN';
const IN_RULES: string[][] = [
  ['-i', 'lo', '-j', 'RETURN'],
  ['-i', ROOM_IF, '-j', 'RETURN'],
  ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'],
  // the namespace's name server, which answers "no such name" to everything (room-dns.ts)
  ['-d', ROOM_ADDRESS, '-p', 'udp', '--dport', '53', '-j', 'RETURN'],
  // refused at once, not dropped: a name lookup (the nodes' DNS is this namespace, below) or a
  // connection fails in a moment instead of after a time-out, as it would with no internet
  ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
  ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'],
];
const FORWARD_RULE = ['-o', ROOM_IF, '-m', 'conntrack', '--ctstate', 'NEW,INVALID', '-j', 'DROP'];

async function ensureRoomRules(): Promise<void> {
  if ((await inRoom('iptables', ['-n', '-L', IN_CHAIN])).exitCode !== 0) await must(`make chain ${IN_CHAIN}`, inRoom('iptables', ['-N', IN_CHAIN]));
  await must(`flush chain ${IN_CHAIN}`, inRoom('iptables', ['-F', IN_CHAIN]));
  for (const rule of IN_RULES) await must(`fill chain ${IN_CHAIN}`, inRoom('iptables', ['-A', IN_CHAIN, ...rule]));
  if ((await inRoom('iptables', ['-C', 'INPUT', '-j', IN_CHAIN])).exitCode !== 0) await must('send INPUT through ' + IN_CHAIN, inRoom('iptables', ['-I', 'INPUT', '1', '-j', IN_CHAIN]));
  if ((await inRoom('iptables', ['-C', 'DOCKER-USER', ...FORWARD_RULE])).exitCode !== 0) await must('add a rule to DOCKER-USER in the classroom engine\'s namespace', inRoom('iptables', ['-I', 'DOCKER-USER', '1', ...FORWARD_RULE]));
}

async function answers(): Promise<Engine | undefined> {
  if (!existsSync(cagedSocket())) return undefined;
  return connect(cagedEndpoint(), 3000).catch(() => undefined);
}

function runningPid(file = pidFile()): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0) {
      process.kill(pid, 0);
      return pid;
    }
  } catch {
    /* none */
  }
  return undefined;
}

/**
 * Starts the classroom engine unless it answers already (idempotent). Needs root: it makes a
 * network namespace and runs dockerd. The first start also has dockerd make its `dockremap` user
 * and the subordinate ids in /etc/subuid and /etc/subgid (--userns-remap=default).
 */
export async function ensureCagedEngine(progress: (t: string) => void = () => {}): Promise<Engine> {
  const up = await answers();
  if (up) {
    await ensureRoomRules();
    await ensureRoomDns();
    raisePlumbing();
    return up;
  }
  if (process.getuid?.() !== 0) {
    throw new UserError('the classroom runs its labs on an engine of its own, in a user namespace (the cage), and only root can start it', 'run `sudo devcoin-workshop classroom up ...`, or give --engine ENDPOINT of engines that run with --userns-remap', ExitCode.engine);
  }
  const dockerd = await execa('sh', ['-c', 'command -v dockerd || ls /usr/sbin/dockerd /usr/bin/dockerd 2>/dev/null | head -1'], { reject: false });
  const bin = String(dockerd.stdout).trim().split('\n')[0];
  if (!bin) throw new UserError('dockerd is not installed on this machine', 'run `bash scripts/ensure-engine.sh` (Debian/Ubuntu: apt-get install docker.io)', ExitCode.engine);
  progress('the classroom engine (caged)');
  await ensureNetwork();
  if (!runningPid()) {
    mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
    mkdirSync(dataRoot(), { recursive: true, mode: 0o700 });
    const log = openSync(logFile(), 'a');
    const args = [
      `--net=/run/netns/${NETNS}`, bin,
      '--userns-remap=default',
      `--data-root=${dataRoot()}`,
      `--exec-root=${stateDir()}/exec`,
      `--pidfile=${pidFile()}`,
      `--host=unix://${cagedSocket()}`,
      // the cgroup paths this tool hands to a node's root (and a lab's CPU share) are plain paths
      '--exec-opt=native.cgroupdriver=cgroupfs',
      '--cgroup-parent=/devcoin-classroom',
      // nothing in the room needs a route out; the nodes pull from their lab's hub. Their name
      // server outside the lab is this namespace, which refuses at once: a lookup of Docker Hub
      // fails in a moment (as on a machine without internet), not after the resolver's time-outs
      '--ip-masq=false',
      `--dns=${ROOM_ADDRESS}`,
    ];
    const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    closeSync(log);
  }
  await ensureRoomDns();
  const engine = await poll(answers, 60_000, 500);
  if (!engine) {
    const tail = existsSync(logFile()) ? readFileSync(logFile(), 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    throw new UserError(`the classroom engine did not answer within 60 s; last lines of ${logFile()}:\n${tail}`, `see ${logFile()}`, ExitCode.engine);
  }
  await ensureRoomRules();
  raisePlumbing();
  return engine;
}

/** The engine, its containerd and shims (they name its exec root) and the name server: the room's plumbing. */
function raisePlumbing(): void {
  raiseRoomPlumbing([runningPid(), runningPid(dnsPidFile())].filter((p): p is number => p !== undefined), `${stateDir()}/exec`);
}

/** The namespace's name server (room-dns.ts), started once beside the engine. */
async function ensureRoomDns(): Promise<void> {
  if (runningPid(dnsPidFile())) return;
  // beside this file once compiled; from the sources (the tests), the compiled one under dist/
  const here = join(dirname(fileURLToPath(import.meta.url)), 'room-dns.js');
  const script = existsSync(here) ? here : join(packageRoot, 'dist', 'src', 'lab', 'dind', 'room-dns.js');
  const child = spawn('nsenter', [`--net=/run/netns/${NETNS}`, process.execPath, script, ROOM_ADDRESS], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid) writeFileSync(dnsPidFile(), `${child.pid}\n`);
}

/** Stops the classroom engine and removes its namespace and veth pair; its data root (images) stays. */
export async function stopCagedEngine(): Promise<boolean> {
  const pid = runningPid();
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 60 && runningPid(); i++) await sleep(500);
    if (runningPid()) process.kill(pid, 'SIGKILL');
  }
  const dns = runningPid(dnsPidFile());
  if (dns) process.kill(dns, 'SIGTERM');
  await ip(['link', 'del', HOST_IF]);
  await ip(['netns', 'del', NETNS]);
  return !!pid;
}

/** Whether the classroom engine runs now (for `classroom ls` and tests). */
export function cagedEngineRunning(): boolean {
  return runningPid() !== undefined;
}

