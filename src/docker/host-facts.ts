// Which host this is, and what follows for the lab (issue #15): cgroup version, rootless
// engine, Docker Desktop, WSL2, inotify limits, and who runs the CLI. Each fact comes from a
// small pure function fed with the text of a /proc file or the engine's `docker info`, so the
// unit tests can feed the hosts students bring (test/unit/host-facts.test.ts); `readHostFacts`
// is the only part that reads this machine.
import { readFileSync } from 'node:fs';

export type CgroupMode = 'v1' | 'v2' | 'unknown';

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 with a cgroup2 mount at /sys/fs/cgroup/unified too (systemd's hybrid layout; Docker uses v1) */
  hybrid: boolean;
}

/**
 * The cgroup layout from /proc/self/mountinfo, as `stat -fc %T /sys/fs/cgroup` tells it:
 * cgroup2fs there is v2; a tmpfs there with cgroup (v1) hierarchies under it is v1 (hybrid
 * when /sys/fs/cgroup/unified is a cgroup2 mount as well: still v1 for Docker).
 */
export function cgroupFromMountinfo(mountinfo: string): CgroupLayout {
  const mounts = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = line.slice(0, sep).split(' ')[4];
    const fsType = line.slice(sep + 3).split(' ')[0];
    if (mountPoint) mounts.set(mountPoint, fsType); // a later mount on the same point hides the earlier one
  }
  const root = mounts.get('/sys/fs/cgroup');
  if (root === 'cgroup2') return { mode: 'v2', hybrid: false };
  const v1 = [...mounts].some(([p, t]) => p.startsWith('/sys/fs/cgroup/') && t === 'cgroup');
  if (v1) return { mode: 'v1', hybrid: mounts.get('/sys/fs/cgroup/unified') === 'cgroup2' };
  return { mode: 'unknown', hybrid: false };
}

/** The engine's cgroup version as `docker info` says it (CgroupVersion "1" or "2"). */
export function cgroupModeFromInfo(info: { CgroupVersion?: string }): CgroupMode {
  return info.CgroupVersion === '2' ? 'v2' : info.CgroupVersion === '1' ? 'v1' : 'unknown';
}

/** What a cgroup mode means for the lab's nodes (their entrypoint, images/node). */
export function cgroupConsequence(mode: CgroupMode): string {
  switch (mode) {
    case 'v1':
      return 'the node entrypoint remounts each hierarchy read-write for its nested engine';
    case 'v2':
      return 'the node entrypoint moves its processes to an init cgroup and delegates the controllers to its nested engine';
    default:
      return 'unknown cgroup layout: nested engines may fail (the nested check says)';
  }
}

export interface EngineFacts {
  OperatingSystem?: string;
  Name?: string;
  SecurityOptions?: string[];
  KernelVersion?: string;
  CgroupVersion?: string;
}

/** Rootless Docker: `docker info` lists `name=rootless` among its SecurityOptions. */
export function isRootless(info: EngineFacts): boolean {
  return (info.SecurityOptions ?? []).some((o) => o.split(',').includes('name=rootless'));
}

/** Docker Desktop: its OperatingSystem is "Docker Desktop", its host name docker-desktop. */
export function isDockerDesktop(info: EngineFacts): boolean {
  return /docker desktop/i.test(info.OperatingSystem ?? '') || info.Name === 'docker-desktop';
}

/** WSL (1 or 2): the kernel's /proc/version names Microsoft or WSL. */
export function isWsl(procVersion: string): boolean {
  return /microsoft|wsl/i.test(procVersion);
}

/** Below these, engines in containers run out of inotify (each dockerd, containerd, ... takes some). */
export const INOTIFY_MIN = { instances: 512, watches: 65_536 } as const;

export interface InotifyVerdict {
  ok: boolean;
  /** one line: the values and what follows */
  summary: string;
  /** the sysctl that raises what is low; empty when nothing is */
  fix: string;
}

/** Judges fs.inotify.max_user_instances / max_user_watches (undefined: the file is not there). */
export function judgeInotify(instances?: number, watches?: number): InotifyVerdict {
  if (instances === undefined || watches === undefined) {
    return { ok: true, summary: 'inotify limits not readable here (not Linux, or the engine runs in a VM of its own)', fix: '' };
  }
  const low: string[] = [];
  if (instances < INOTIFY_MIN.instances) low.push(`fs.inotify.max_user_instances=${INOTIFY_MIN.instances}`);
  if (watches < INOTIFY_MIN.watches) low.push(`fs.inotify.max_user_watches=${524_288}`);
  const values = `max_user_instances ${instances}, max_user_watches ${watches}`;
  if (!low.length) return { ok: true, summary: `inotify ${values}: enough for the five nested engines`, fix: '' };
  return {
    ok: false,
    summary: `inotify ${values}: low; engines in containers share these per user and start failing ("too many open files") when they run out`,
    fix: `sysctl -w ${low.join(' ')} (as root; add the same lines to /etc/sysctl.d/99-devcoin.conf to keep them)`,
  };
}

export interface UserFacts {
  uid: number;
  /** names of the user's groups */
  groups: string[];
}

export type UserKind = 'root' | 'docker-group' | 'other';

/** root, a user in the docker group (root-equivalent on the engine), or neither. */
export function userKind(u: UserFacts): UserKind {
  if (u.uid === 0) return 'root';
  return u.groups.includes('docker') ? 'docker-group' : 'other';
}

/** The group names of the current process, from /proc/self/status (Groups:) and /etc/group. */
export function groupNames(status: string, etcGroup: string): string[] {
  const gids = (status.match(/^Groups:\s*(.*)$/m)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const byGid = new Map<string, string>();
  for (const line of etcGroup.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid !== undefined) byGid.set(gid, name);
  }
  return gids.map((g) => byGid.get(g) ?? g);
}

export interface HostFacts {
  /** this machine's cgroup mode (from mountinfo); undefined off Linux */
  localCgroup?: CgroupLayout;
  wsl: boolean;
  inotify: { instances?: number; watches?: number };
  user: UserFacts;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const t = read(path)?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

/** The facts of the machine the CLI runs on. */
export function readHostFacts(): HostFacts {
  const mountinfo = read('/proc/self/mountinfo');
  const status = read('/proc/self/status') ?? '';
  return {
    localCgroup: mountinfo === undefined ? undefined : cgroupFromMountinfo(mountinfo),
    wsl: isWsl(read('/proc/version') ?? ''),
    inotify: { instances: readNumber('/proc/sys/fs/inotify/max_user_instances'), watches: readNumber('/proc/sys/fs/inotify/max_user_watches') },
    user: { uid: process.getuid?.() ?? -1, groups: groupNames(status, read('/etc/group') ?? '') },
  };
}
