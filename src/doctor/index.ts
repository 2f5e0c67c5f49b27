// Is this machine ready for the workshop? Which host it is, and a check per thing the lab needs,
// each passing, warning or failing with the fix in one line. Returns data; the trial run is a
// task on the face. No engine at all is a one-line error (exit 3, from connect).
import type Docker from 'dockerode';
import { task, type Face } from '../events.js';
import { discoverHostEndpoint, connect, type Engine } from '../docker/engine.js';
import { engineDisk, gib } from '../docker/disk.js';
import { imageExists } from '../docker/build.js';
import { nestedEngineTrial, removeStaleTrials } from '../docker/trial.js';
import { probeRoutingMesh } from '../docker/ipvs.js';
import {
  cgroupConsequence, cgroupModeFromInfo, isDockerDesktop, isRootless, judgeInotify, readHostFacts, userKind,
  type CgroupLayout, type EngineFacts, type HostFacts,
} from '../docker/host-facts.js';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { IMAGES } from '../images/catalog.js';
import { imageStatuses } from '../images/setup.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: CheckStatus;
  summary: string;
  /** what to do, one line; empty when there is nothing to do */
  fix: string;
}

/** The closing line and exit code. */
export function verdict(checks: Check[]): { line: string; exitCode: number } {
  const fails = checks.filter((c) => c.status === 'fail').length;
  const warns = checks.filter((c) => c.status === 'warn').length;
  if (fails) return { line: `${fails} check${fails > 1 ? 's' : ''} failed, ${warns} warning${warns === 1 ? '' : 's'}: fix the failures above, then run doctor again`, exitCode: 1 };
  return { line: warns ? `ready, with ${warns} warning${warns === 1 ? '' : 's'}` : 'ready', exitCode: 0 };
}

const MIN_ENGINE = [20, 10];

export function versionAtLeast(version: string, min: number[]): boolean {
  const parts = version.split(/[.+~-]/).map((p) => parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const v = Number.isFinite(parts[i]) ? parts[i] : 0;
    if (v !== min[i]) return v > min[i];
  }
  return true;
}

interface EngineInfo extends EngineFacts {
  ServerVersion?: string;
  CgroupVersion?: string;
  CgroupDriver?: string;
  Driver?: string;
  DockerRootDir?: string;
}

async function checkVersion(docker: Docker): Promise<Check> {
  const v = (await docker.version()) as { Version: string; ApiVersion: string; Os?: string; Arch?: string };
  const ok = versionAtLeast(v.Version, MIN_ENGINE);
  return {
    id: 'version',
    status: ok ? 'pass' : 'fail',
    summary: `Docker ${v.Version}, API ${v.ApiVersion} (${v.Os ?? '?'}/${v.Arch ?? '?'})`,
    fix: ok ? '' : `the workshop needs Docker ${MIN_ENGINE.join('.')} or newer: upgrade the engine`,
  };
}

/** Where the engine runs, as far as the CLI can tell: here, in Docker Desktop's VM, or elsewhere. */
export type EngineWhere = 'local' | 'desktop' | 'remote';

export function engineWhere(endpointHost: string, info: EngineFacts): EngineWhere {
  if (isDockerDesktop(info)) return 'desktop';
  return endpointHost.startsWith('unix://') || endpointHost.startsWith('npipe://') ? 'local' : 'remote';
}

function osName(): string {
  try {
    const t = readFileSync('/etc/os-release', 'utf8');
    return t.match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

export function checkHost(where: EngineWhere, info: EngineInfo, os: string): Check {
  const engine = where === 'local' ? 'the engine runs on this machine' : where === 'desktop' ? "the engine runs in Docker Desktop's VM" : 'the engine runs on another machine';
  return { id: 'host', status: 'pass', summary: `${os}, engine kernel ${info.KernelVersion ?? '?'}: ${engine}`, fix: '' };
}

/** The engine's cgroup version (what nested engines get), with this machine's when they are the same kernel. */
export function checkCgroup(info: EngineInfo, local?: CgroupLayout, where: EngineWhere = 'local'): Check {
  const engine = cgroupModeFromInfo(info);
  const mode = engine !== 'unknown' ? engine : where === 'local' && local ? local.mode : 'unknown';
  const seen = where === 'local' && local && local.mode !== 'unknown' ? `; /proc/self/mountinfo: ${local.mode}${local.hybrid ? ', hybrid' : ''}` : '';
  return {
    id: 'cgroup',
    status: mode === 'unknown' ? 'warn' : 'pass',
    summary: `cgroup ${mode} (${info.CgroupDriver ?? '?'} driver${seen}): ${cgroupConsequence(mode)}`,
    fix: mode === 'unknown' ? 'unknown cgroup setup; nested engines may fail' : '',
  };
}

export function checkUser(user: HostFacts['user'], name: string): Check {
  const kind = userKind(user);
  if (kind === 'root') return { id: 'user', status: 'pass', summary: 'running as root: the engine socket is yours, and so are the sysctl fixes below', fix: '' };
  if (kind === 'docker-group') {
    return { id: 'user', status: 'pass', summary: `running as ${name}, in the docker group: the engine socket is yours (root-equivalent on this machine); sysctl fixes need sudo`, fix: '' };
  }
  return {
    id: 'user',
    status: 'warn',
    summary: `running as ${name}, neither root nor in the docker group: the engine answers through DOCKER_HOST or a socket of your own (rootless?)`,
    fix: 'for the system engine: `sudo usermod -aG docker $USER`, then log in again',
  };
}

export function checkRootless(info: EngineInfo): Check {
  if (!isRootless(info)) return { id: 'rootless', status: 'pass', summary: 'not a rootless engine: lab nodes get the capabilities and device rules a nested engine needs', fix: '' };
  return {
    id: 'rootless',
    status: 'warn',
    summary: 'rootless engine: lab nodes cannot get real CAP_SYS_ADMIN, cgroups or devices for their nested engine (the nested check tries)',
    fix: "use the system engine: root, or a user in the docker group (`docker context use default`)",
  };
}

export function checkDesktop(where: EngineWhere, info: EngineInfo): Check {
  if (where !== 'desktop') {
    return { id: 'desktop', status: 'pass', summary: 'not Docker Desktop: this machine reaches lab addresses directly, and 127.0.0.1 ports as well', fix: '' };
  }
  return {
    id: 'desktop',
    status: 'pass',
    summary: `Docker Desktop (${info.OperatingSystem ?? 'VM'}): this machine cannot route to container addresses; the lab's web UI is on a 127.0.0.1 port (\`lab ls\` shows the URL)`,
    fix: '',
  };
}

export function checkWsl(wsl: boolean): Check {
  if (!wsl) return { id: 'wsl', status: 'pass', summary: 'not WSL: the kernel is this machine\'s own', fix: '' };
  return {
    id: 'wsl',
    status: 'pass',
    summary: "WSL: the kernel is WSL's (IPVS often missing: see routing-mesh); a browser on Windows opens the web UI on its 127.0.0.1 port (`lab ls` shows the URL)",
    fix: '',
  };
}

export function checkInotify(inotify: HostFacts['inotify'], where: EngineWhere): Check {
  // the limits that matter are the engine's kernel's: read here only when that is this machine
  const v = where === 'local' ? judgeInotify(inotify.instances, inotify.watches) : judgeInotify(undefined, undefined);
  return { id: 'inotify', status: v.ok ? 'pass' : 'warn', summary: v.summary, fix: v.fix };
}

function checkStorage(info: EngineInfo): Check {
  const d = info.Driver ?? 'unknown';
  if (d === 'overlay2' || d === 'overlayfs' || d === 'btrfs' || d === 'zfs' || d === 'fuse-overlayfs') {
    return { id: 'storage', status: 'pass', summary: `storage driver ${d}`, fix: '' };
  }
  return {
    id: 'storage',
    status: 'warn',
    summary: `storage driver ${d}: slow, and every image is copied whole`,
    fix: 'use overlay2 ("storage-driver": "overlay2" in /etc/docker/daemon.json) where the file system allows it',
  };
}

async function checkDisk(engine: Engine): Promise<Check> {
  const disk = await engineDisk(engine);
  if (!disk) return { id: 'disk', status: 'warn', summary: 'free disk unknown (remote engine)', fix: 'make sure the engine has about 5 GiB free' };
  const free = disk.freeBytes;
  const summary = `${gib(free)} free on ${disk.path}`;
  if (free < 3 * 1024 ** 3) return { id: 'disk', status: 'fail', summary, fix: 'the images and lab need about 5 GiB: free some space' };
  if (free < 10 * 1024 ** 3) return { id: 'disk', status: 'warn', summary, fix: 'enough for the images and one lab; 10 GiB gives room for more' };
  return { id: 'disk', status: 'pass', summary, fix: '' };
}

async function checkNested(face: Face, docker: Docker): Promise<Check> {
  if (!(await imageExists(docker, IMAGES.node))) {
    return { id: 'nested', status: 'warn', summary: `not tried: ${IMAGES.node} is not built yet`, fix: 'run `devcoin-workshop setup`, then doctor again' };
  }
  await removeStaleTrials(docker);
  // DEVCOIN_TRIAL_SECONDS: more than the default 60 s for slow machines (the VM lane's emulation)
  const seconds = Number(process.env.DEVCOIN_TRIAL_SECONDS);
  const timeoutMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  const r = await task(face, 'trial run of a nested engine', () => nestedEngineTrial(docker, { image: IMAGES.node, timeoutMs }));
  if (r.ok) return { id: 'nested', status: 'pass', summary: `a lab node ran Docker ${r.version} inside (answered in ${r.seconds}s)`, fix: '' };
  return {
    id: 'nested',
    status: 'fail',
    summary: `a lab node could not run its engine: ${r.error}`,
    fix: 'the engine must allow CAP_SYS_ADMIN, unconfined seccomp/apparmor and device cgroup rules (not rootless Docker); see docs/decisions.md',
  };
}

async function checkRoutingMesh(face: Face, docker: Docker): Promise<{ check: Check; available: boolean }> {
  const p = await probeRoutingMesh(docker, { localFallback: true });
  face.emit({ type: 'log', level: 'debug', text: `routing mesh: IPVS ${p.available ? 'present' : 'missing'} (${p.how})` });
  if (p.available) {
    const summary = p.loaded
      ? 'IPVS present: Swarm routing mesh and VIPs work'
      : 'IPVS available as a module (ip_vs, loaded by the kernel when Swarm first needs it): Swarm routing mesh and VIPs work';
    return { available: true, check: { id: 'routing-mesh', status: 'pass', summary, fix: '' } };
  }
  return {
    available: false,
    check: {
      id: 'routing-mesh',
      status: 'warn',
      summary: 'IPVS missing: lab uses dnsrr + host publishing instead of the routing mesh',
      fix: 'nothing to do for the workshop; for the mesh, load the kernel module (`modprobe ip_vs` on the engine host) if the kernel has it',
    },
  };
}

async function checkImages(docker: Docker): Promise<Check> {
  const statuses = (await imageStatuses(docker)).filter((s) => s.state !== 'no-dockerfile');
  const bad = statuses.filter((s) => s.state !== 'current');
  if (!bad.length) return { id: 'images', status: 'pass', summary: `${statuses.length} images built and current`, fix: '' };
  const missing = bad.filter((s) => s.state === 'missing').map((s) => s.name);
  const outdated = bad.filter((s) => s.state === 'outdated').map((s) => s.name);
  const parts = [missing.length ? `missing: ${missing.join(', ')}` : '', outdated.length ? `outdated: ${outdated.join(', ')}` : ''].filter(Boolean);
  return { id: 'images', status: 'warn', summary: parts.join('; '), fix: 'run `devcoin-workshop setup`' };
}

export interface DoctorReport {
  checks: Check[];
  host: Record<string, unknown>;
  routingMesh: boolean;
  ok: boolean;
  verdict: { line: string; exitCode: number };
}

export async function doctor(face: Face): Promise<DoctorReport> {
  const ep = discoverHostEndpoint();
  // no engine: one line that says what to do, exit 3 (thrown by connect)
  const engine = await connect(ep);
  const docker = engine.docker;
  const checks: Check[] = [{ id: 'engine', status: 'pass', summary: `engine answers at ${ep.host} (found via ${ep.source})`, fix: '' }];
  const info = (await docker.info()) as EngineInfo;
  const facts = readHostFacts();
  const where = engineWhere(ep.host, info);
  const name = (() => {
    try {
      return userInfo().username;
    } catch {
      return `uid ${facts.user.uid}`;
    }
  })();
  checks.push(checkHost(where, info, osName()));
  checks.push(checkUser(facts.user, name));
  checks.push(await checkVersion(docker));
  checks.push(checkCgroup(info, facts.localCgroup, where));
  checks.push(checkRootless(info));
  checks.push(checkDesktop(where, info));
  checks.push(checkWsl(facts.wsl));
  checks.push(checkInotify(facts.inotify, where));
  checks.push(checkStorage(info));
  checks.push(await checkDisk(engine));
  checks.push(await checkNested(face, docker));
  const mesh = await checkRoutingMesh(face, docker);
  checks.push(mesh.check);
  checks.push(await checkImages(docker));

  const v = verdict(checks);
  const host = {
    engine: where,
    kernel: info.KernelVersion ?? null,
    cgroup: cgroupModeFromInfo(info) !== 'unknown' ? cgroupModeFromInfo(info) : where === 'local' ? (facts.localCgroup?.mode ?? 'unknown') : 'unknown',
    localCgroup: facts.localCgroup ?? null,
    ipvs: mesh.available,
    rootless: isRootless(info),
    desktop: where === 'desktop',
    wsl: facts.wsl,
    inotify: where === 'local' ? { maxUserInstances: facts.inotify.instances ?? null, maxUserWatches: facts.inotify.watches ?? null } : null,
    user: { name, uid: facts.user.uid, kind: userKind(facts.user) },
  };
  return { checks, host, routingMesh: mesh.available, ok: v.exitCode === 0, verdict: v };
}
